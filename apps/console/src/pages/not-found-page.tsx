import { Link } from '../components/link.js';
import { pathFor } from '../router.js';

/** A console path that names no page. */
export function NotFoundPage(props: { path: string }) {
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <div class="panel notice" role="status">
        <p>
          No console page at <code>{props.path}</code>. <Link href={pathFor({ name: 'sessions' })}>Go to sessions</Link>.
        </p>
      </div>
    </>
  );
}
