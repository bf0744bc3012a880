import { useEffect, useRef, useState } from 'preact/hooks';
import { segment } from '../api/api-client.js';
import { ConsoleError } from '../api/console-error.js';
import { openLogStream } from '../api/log-stream.js';
import type { ProcessList, ProcessLog } from '../api/types.js';
import { useApp } from '../app-context.js';
import { KillButton, sandboxLabel } from '../components/kill-button.js';
import { Link } from '../components/link.js';
import { Problem } from '../components/problem.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatTime } from '../format.js';
import { applyLogChunk, EMPTY_LOG_TAIL, nextLogOffset, type LogTail } from '../log-tail.js';
import { pathFor } from '../router.js';
import { useResource } from '../use-resource.js';

/** How long a dropped live tail waits before it reconnects, ms. */
const LOG_RETRY_MS = 1_000;

/** One shell: its facts, a live log tail (follow / pause) and Kill. */
export function ShellPage(props: { shellId: string }) {
  const { api } = useApp();
  const id = props.shellId;
  const list = useResource('shells', () => api.get<ProcessList>('/v1/processes'), { pollMs: 2_000 });
  const shell = list.data?.processes.find((candidate) => candidate.id === id);
  const [tail, setTail] = useState<LogTail>(EMPTY_LOG_TAIL);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ConsoleError | undefined>(undefined);
  const [isFollowing, setFollowing] = useState(true);
  // Bumped after a kill so the log (and its status) is read once more even when paused.
  const [refresh, setRefresh] = useState(0);
  const tailRef = useRef(tail);
  const logBox = useRef<HTMLPreElement>(null);

  useEffect(() => {
    tailRef.current = EMPTY_LOG_TAIL;
    setTail(EMPTY_LOG_TAIL);
    setError(undefined);
    setStatus(undefined);
  }, [id]);

  const isRunning = (status ?? shell?.status) === 'running';
  useEffect(() => {
    let isCancelled = false;
    let stream: { close(): void } | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const apply = (offset: number, output: string, nextStatus: string) => {
      tailRef.current = applyLogChunk(tailRef.current, offset, output);
      setTail(tailRef.current);
      setStatus(nextStatus);
      setError(undefined);
    };
    const fail = (failure: unknown) => {
      if (isCancelled) return;
      setError(ConsoleError.isInstance(failure) ? failure : new ConsoleError('invalid_response', String(failure)));
    };
    // Following: the live tail over SSE (GET /v1/processes/{id}/log/stream), from the last line held;
    // a dropped stream is reopened after LOG_RETRY_MS. Paused (or after a kill): one read of the log.
    const follow = () => {
      stream = openLogStream({
        headers: api.authHeaders(),
        id,
        offset: nextLogOffset(tailRef.current),
        onLog: (offset, output, nextStatus) => {
          if (!isCancelled) apply(offset, output, nextStatus);
        },
        onEnd: (nextStatus) => {
          if (!isCancelled) setStatus(nextStatus);
        },
        onError: (failure) => {
          if (isCancelled) return;
          if (failure.code === 'network') retry = setTimeout(follow, LOG_RETRY_MS);
          else fail(failure);
        },
      });
    };
    const readOnce = async () => {
      const offset = nextLogOffset(tailRef.current);
      try {
        const answer = await api.get<ProcessLog>(`/v1/processes/${segment(id)}/log`, { offset, limit: 100_000 });
        if (isCancelled) return;
        apply(offset, answer.output, answer.status);
        if (answer.status === 'running' && isFollowing) follow();
      } catch (failure) {
        fail(failure);
      }
    };
    void readOnce();
    return () => {
      isCancelled = true;
      stream?.close();
      if (retry !== undefined) clearTimeout(retry);
    };
  }, [api, id, isFollowing, refresh]);

  useEffect(() => {
    if (isFollowing && logBox.current) logBox.current.scrollTop = logBox.current.scrollHeight;
  }, [tail, isFollowing]);

  if (error && error.code === 'not_found') {
    return (
      <>
        <h1 tabIndex={-1}>Shell {id}</h1>
        <Problem error={error} what={`Shell ${id}`} />
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>
        Shell <code>{id}</code>
      </h1>
      <dl class="facts panel">
        <div>
          <dt>Status</dt>
          <dd data-testid="shell-status">
            <StatusBadge status={status ?? shell?.status ?? 'unknown'} />
          </dd>
        </div>
        <div>
          <dt>Command</dt>
          <dd>
            <code>{shell?.command ?? '—'}</code>
          </dd>
        </div>
        <div>
          <dt>Session</dt>
          <dd class="key">
            {shell?.sessionKey ? <Link href={pathFor({ name: 'session', key: shell.sessionKey })}>{shell.sessionKey}</Link> : '—'}
          </dd>
        </div>
        <div>
          <dt>Pid</dt>
          <dd>{shell?.pid ?? '—'}</dd>
        </div>
        <div>
          <dt>Sandbox</dt>
          <dd>{shell ? sandboxLabel(shell) : 'unknown'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(shell?.startedAt)} UTC</dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>
            {formatTime(shell?.endedAt)}
            {shell?.exitCode !== undefined && shell.exitCode !== null ? ` · exit ${shell.exitCode}` : ''}
            {shell?.signal ? ` · ${shell.signal}` : ''}
          </dd>
        </div>
        <div>
          <dt>Working dir</dt>
          <dd>
            <code>{shell?.cwd ?? '—'}</code>
          </dd>
        </div>
      </dl>
      <div class="toolbar">
        <button type="button" aria-pressed={isFollowing} onClick={() => setFollowing(!isFollowing)} disabled={!isRunning && isFollowing}>
          {isFollowing ? 'Pause' : 'Follow'}
        </button>
        <span class="hint" role="status">
          {isRunning ? (isFollowing ? 'Following live' : 'Paused') : 'Finished: full retained output'} · {tail.totalLines} lines
        </span>
        {shell && (
          <KillButton
            shell={{ ...shell, status: status ?? shell.status }}
            onKilled={() => {
              list.reload();
              setRefresh((count) => count + 1);
            }}
          />
        )}
      </div>
      {error && <Problem error={error} what="The log" />}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; it takes keyboard focus so it can be scrolled without a mouse (WCAG 2.1.1). */}
      <pre class="log" ref={logBox} tabIndex={0} role="log" aria-live="off" aria-label={`Output of shell ${id}`} data-testid="shell-log">
        {tail.lines.join('\n')}
      </pre>
    </>
  );
}
