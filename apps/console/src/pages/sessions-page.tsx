import { useMemo } from 'preact/hooks';
import type { SessionList, SessionView } from '../api/types.js';
import { useApp } from '../app-context.js';
import { Link } from '../components/link.js';
import { Problem } from '../components/problem.js';
import { formatCount, formatTime } from '../format.js';
import { CONSOLE_BASE, navigate, pathFor } from '../router.js';
import { useResource } from '../use-resource.js';

/** Sessions per page of the table. */
export const SESSIONS_PAGE_SIZE = 50;
/** The most sessions one `GET /v1/sessions` returns (the gateway's `limit` ceiling). */
export const SESSIONS_FETCH_LIMIT = 1000;

/** Filters sessions by a case-insensitive key substring. Pure. */
export function searchSessions(sessions: ReadonlyArray<SessionView>, search: string): SessionView[] {
  const needle = search.trim().toLowerCase();
  return needle === '' ? [...sessions] : sessions.filter((session) => session.key.toLowerCase().includes(needle));
}

/** The sessions list: filter by agent (server side), search by key and page (in the browser). */
export function SessionsPage(props: { search: string }) {
  const { api } = useApp();
  const params = new URLSearchParams(props.search);
  const agent = params.get('agent') ?? '';
  const query = params.get('q') ?? '';
  const requestedPage = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const setParams = (next: { agent?: string; q?: string; page?: number }) => {
    const merged = new URLSearchParams();
    const nextAgent = next.agent ?? agent;
    const nextQuery = next.q ?? query;
    const nextPage = next.page ?? 1;
    if (nextAgent) merged.set('agent', nextAgent);
    if (nextQuery) merged.set('q', nextQuery);
    if (nextPage > 1) merged.set('page', String(nextPage));
    const text = merged.toString();
    navigate(`${CONSOLE_BASE}/sessions${text ? `?${text}` : ''}`, { replace: true });
  };

  const all = useResource('sessions:all', () => api.get<SessionList>('/v1/sessions', { limit: SESSIONS_FETCH_LIMIT }), { pollMs: 10_000 });
  const filtered = useResource(`sessions:${agent}`, () =>
    agent ? api.get<SessionList>('/v1/sessions', { limit: SESSIONS_FETCH_LIMIT, agentId: agent }) : Promise.resolve(undefined),
  );
  const agents = useMemo(() => [...new Set((all.data?.sessions ?? []).map((session) => session.agentId))].sort(), [all.data]);
  const source = agent ? filtered.data : all.data;
  const matches = useMemo(() => searchSessions(source?.sessions ?? [], query), [source, query]);
  const pageCount = Math.max(1, Math.ceil(matches.length / SESSIONS_PAGE_SIZE));
  const page = Math.min(requestedPage, pageCount);
  const rows = matches.slice((page - 1) * SESSIONS_PAGE_SIZE, page * SESSIONS_PAGE_SIZE);
  const error = agent ? filtered.error : all.error;

  return (
    <>
      <h1 tabIndex={-1}>Sessions</h1>
      {/* biome-ignore lint/a11y/useSemanticElements: Preact's JSX types have no <search> element; role="search" on the form is its equivalent. */}
      <form class="toolbar" role="search" aria-label="Filter sessions" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-agent">Agent</label>
          <select id="filter-agent" value={agent} onChange={(event) => setParams({ agent: event.currentTarget.value })}>
            <option value="">All agents</option>
            {[...new Set([...agents, ...(agent ? [agent] : [])])].map((id) => (
              <option value={id} key={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        <div class="field grow">
          <label for="filter-key">Search by key</label>
          <input
            id="filter-key"
            type="search"
            value={query}
            placeholder="agent:main:…"
            onInput={(event) => setParams({ q: event.currentTarget.value })}
          />
        </div>
      </form>
      {error && !source ? (
        <Problem error={error} what="Sessions" onRetry={all.reload} />
      ) : !source ? (
        <p role="status">Loading sessions…</p>
      ) : (
        <>
          <p class="summary" role="status" id="sessions-summary">
            {matches.length === 0
              ? 'No sessions match.'
              : `Showing ${formatCount((page - 1) * SESSIONS_PAGE_SIZE + 1)}–${formatCount((page - 1) * SESSIONS_PAGE_SIZE + rows.length)} of ${formatCount(matches.length)} sessions`}
            {source.count >= SESSIONS_FETCH_LIMIT ? ` (the gateway lists at most ${formatCount(SESSIONS_FETCH_LIMIT)})` : ''}
          </p>
          {rows.length > 0 && (
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region takes keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1).
            <section class="table-wrap" tabIndex={0} aria-labelledby="sessions-summary">
              <table class="data" data-testid="sessions-table">
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Agent</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Channel</th>
                    <th scope="col" class="num">
                      Queued events
                    </th>
                    <th scope="col">Updated (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((session) => (
                    <tr key={session.key}>
                      <td class="key">
                        <Link href={pathFor({ name: 'session', key: session.key })}>{session.key}</Link>
                        {session.spawnedBy && <span class="hint"> sub-agent of {session.spawnedBy}</span>}
                      </td>
                      <td>{session.agentId}</td>
                      <td>{session.kind}</td>
                      <td>{session.channel ?? '—'}</td>
                      <td class="num">{session.queuedEvents}</td>
                      <td>
                        <time dateTime={new Date(session.updatedAt).toISOString()}>{formatTime(session.updatedAt)}</time>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          {pageCount > 1 && (
            <nav class="pager" aria-label="Session pages">
              <button type="button" disabled={page <= 1} onClick={() => setParams({ page: page - 1 })}>
                Previous<span class="visually-hidden"> page</span>
              </button>
              <span aria-current="page">
                Page {page} of {pageCount}
              </span>
              <button type="button" disabled={page >= pageCount} onClick={() => setParams({ page: page + 1 })}>
                Next<span class="visually-hidden"> page</span>
              </button>
            </nav>
          )}
        </>
      )}
    </>
  );
}
