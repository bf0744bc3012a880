import type { ConsoleError } from '../api/console-error.js';

/** What an API failure means for the page, in words. `what` names the object (`Session agent:main:x`). */
export function Problem(props: { error: ConsoleError; what: string; onRetry?: () => void }) {
  const { error } = props;
  if (error.code === 'not_found') {
    return (
      <div class="panel notice" role="status">
        <h2>Not found</h2>
        <p>{props.what} was not found, or this token may not see it.</p>
      </div>
    );
  }
  if (error.code === 'forbidden') {
    return (
      <div class="panel notice" role="status">
        <h2>Not permitted</h2>
        <p>This token may not read {props.what.toLowerCase()}.</p>
      </div>
    );
  }
  return (
    <div class="panel error" role="alert">
      <h2>Could not load {props.what.toLowerCase()}</h2>
      <p>{error.message}</p>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
