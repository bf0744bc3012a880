import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { segment } from '../api/api-client.js';
import { ConsoleError } from '../api/console-error.js';
import type {
  AgentAccepted,
  CronList,
  GatewayEvent,
  ProcessList,
  SessionList,
  SessionView,
  Transcript,
  TranscriptEntry,
} from '../api/types.js';
import { useApp, useCapability } from '../app-context.js';
import { CronTable } from '../components/cron-table.js';
import { Link } from '../components/link.js';
import { Problem } from '../components/problem.js';
import { ShellsTable } from '../components/shells-table.js';
import { formatTime } from '../format.js';
import { pathFor } from '../router.js';
import { streamStatusText, useEventStream } from '../use-event-stream.js';
import { useResource } from '../use-resource.js';

/** Appends `incoming` to `entries`, dropping sequence numbers already shown. Pure. */
export function mergeTranscript(entries: ReadonlyArray<TranscriptEntry>, incoming: ReadonlyArray<TranscriptEntry>): TranscriptEntry[] {
  const seen = new Set(entries.map((entry) => entry.seq));
  return [...entries, ...incoming.filter((entry) => !seen.has(entry.seq))].sort((left, right) => left.seq - right.seq);
}

/** Transcript entries shown at first (the gateway's default page). */
const TRANSCRIPT_INITIAL = 200;

function SendMessage(props: { sessionKey: string }) {
  const { api, capabilities } = useApp();
  const mayRun = useCapability('agent:run');
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  if (!mayRun) return null;
  return (
    <form
      class="panel send"
      onSubmit={async (event) => {
        event.preventDefault();
        const message = text.trim();
        if (message === '') return;
        setStatus('Sending…');
        try {
          const accepted = await capabilities.guard('agent:run', () =>
            api.post<AgentAccepted>('/v1/agent', { message, sessionKey: props.sessionKey }),
          );
          setText('');
          setStatus(`Queued run ${accepted.runId}`);
        } catch (error) {
          setStatus(`Not sent: ${error instanceof Error ? error.message : String(error)}`);
        }
      }}
    >
      <label for="send-message">Send a message to this session</label>
      <textarea id="send-message" rows={2} value={text} onInput={(event) => setText(event.currentTarget.value)} />
      <div class="row">
        <button type="submit" disabled={text.trim() === ''}>
          Send
        </button>
        <span role="status">{status}</span>
      </div>
    </form>
  );
}

/** One session: facts, live transcript, queued events, its shells, sub-agents and cron jobs. */
export function SessionPage(props: { sessionKey: string }) {
  const { api } = useApp();
  const key = props.sessionKey;
  const base = `/v1/sessions/${segment(key)}`;
  const session = useResource(`session:${key}`, () => api.get<SessionView>(base));
  const shells = useResource(`session-shells:${key}`, () => api.get<ProcessList>('/v1/processes', { sessionKey: key }), { pollMs: 5_000 });
  const cron = useResource(`session-cron:${key}`, () => api.get<CronList>('/v1/cron', { sessionKey: key }));
  const children = useResource(`session-children:${key}`, () => api.get<SessionList>('/v1/sessions', { limit: 1000 }));
  const [entries, setEntries] = useState<TranscriptEntry[]>([]);
  const [transcriptError, setTranscriptError] = useState<ConsoleError | undefined>(undefined);
  const [runStatus, setRunStatus] = useState<string>('');
  const lastSeq = useRef(0);
  const entriesRef = useRef<TranscriptEntry[]>([]);

  const loadTranscript = useCallback(
    async (isInitial: boolean) => {
      try {
        const answer = await api.get<Transcript>(
          `${base}/transcript`,
          isInitial ? { limit: TRANSCRIPT_INITIAL } : { afterSeq: lastSeq.current, limit: 2000 },
        );
        const next = isInitial ? [...answer.entries] : mergeTranscript(entriesRef.current, answer.entries);
        entriesRef.current = next;
        lastSeq.current = next.length > 0 ? next[next.length - 1]!.seq : lastSeq.current;
        setEntries(next);
        setTranscriptError(undefined);
      } catch (error) {
        setTranscriptError(ConsoleError.isInstance(error) ? error : new ConsoleError('invalid_response', String(error)));
      }
    },
    [api, base],
  );
  useEffect(() => {
    entriesRef.current = [];
    lastSeq.current = 0;
    setEntries([]);
    void loadTranscript(true);
  }, [loadTranscript]);

  const stream = useEventStream(
    session.data ? [session.data.key] : [],
    (event: GatewayEvent) => {
      if (event.type === 'transcript' || event.type === 'run.finished') void loadTranscript(false);
      if (event.type === 'run.queued' || event.type === 'run.started' || event.type === 'run.finished') {
        setRunStatus(`Run ${event.runId.slice(0, 8)} ${event.type === 'run.finished' ? event.status : event.type.slice(4)}`);
        session.reload();
      }
      if (event.type === 'process.started' || event.type === 'process.exited') shells.reload();
      if (event.type === 'system.event') session.reload();
    },
    () => {
      // Events were missed beyond the gateway's replay window: refetch everything this page shows.
      void loadTranscript(false);
      session.reload();
      shells.reload();
    },
  );

  if (session.error && !session.data)
    return (
      <>
        <h1 tabIndex={-1}>Session</h1>
        <Problem error={session.error} what={`Session ${key}`} />
      </>
    );
  const view = session.data;
  const subAgents = (children.data?.sessions ?? []).filter((candidate) => candidate.spawnedBy === (view?.key ?? key));
  return (
    <>
      <h1 tabIndex={-1} class="key">
        <span class="visually-hidden">Session </span>
        {view?.key ?? key}
      </h1>
      {!view ? (
        <p role="status">Loading session…</p>
      ) : (
        <dl class="facts panel">
          <div>
            <dt>Agent</dt>
            <dd>{view.agentId}</dd>
          </div>
          <div>
            <dt>Kind</dt>
            <dd>
              {view.kind}
              {view.channel ? ` · ${view.channel}` : ''}
            </dd>
          </div>
          <div>
            <dt>Session id</dt>
            <dd>
              <code>{view.sessionId}</code>
            </dd>
          </div>
          <div>
            <dt>Queued events</dt>
            <dd data-testid="queued-events">{view.queuedEvents}</dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>{formatTime(view.updatedAt)} UTC</dd>
          </div>
          {view.spawnedBy && (
            <div>
              <dt>Spawned by</dt>
              <dd>
                <Link href={pathFor({ name: 'session', key: view.spawnedBy })}>{view.spawnedBy}</Link> (depth {view.spawnDepth})
              </dd>
            </div>
          )}
          <div>
            <dt>Updates</dt>
            <dd>
              <span class={`dot dot-${stream}`} aria-hidden="true" />{' '}
              <span role="status" data-testid="stream-status">
                {streamStatusText(stream)}
              </span>
              {runStatus ? ` · ${runStatus}` : ''}
            </dd>
          </div>
        </dl>
      )}

      <section aria-labelledby="transcript-title">
        <h2 id="transcript-title">Transcript</h2>
        {transcriptError ? (
          <Problem error={transcriptError} what="The transcript" onRetry={() => void loadTranscript(true)} />
        ) : (
          <div role="log" aria-label="Transcript" class="transcript" data-testid="transcript">
            <ol>
              {entries.length === 0 && <li class="hint">No messages yet.</li>}
              {entries.map((entry) => (
                <li key={entry.seq} class={`entry entry-${entry.role}`}>
                  <span class="role">{entry.role}</span>
                  <pre>{entry.text}</pre>
                </li>
              ))}
            </ol>
          </div>
        )}
        <SendMessage sessionKey={view?.key ?? key} />
      </section>

      <section aria-labelledby="session-shells-title">
        <h2 id="session-shells-title">Shells</h2>
        {shells.error ? (
          <Problem error={shells.error} what="Shells" />
        ) : (shells.data?.processes.length ?? 0) === 0 ? (
          <p class="hint">{shells.data ? 'No shells in this session.' : 'Loading…'}</p>
        ) : (
          <ShellsTable shells={shells.data!.processes} caption="Shells of this session" onKilled={() => shells.reload()} />
        )}
      </section>

      <section aria-labelledby="subagents-title">
        <h2 id="subagents-title">Sub-agents</h2>
        {subAgents.length === 0 ? (
          <p class="hint">
            {children.data ? 'No sub-agent sessions.' : children.error ? 'Sub-agents not available to this token.' : 'Loading…'}
          </p>
        ) : (
          <ul>
            {subAgents.map((child) => (
              <li key={child.key}>
                <Link href={pathFor({ name: 'session', key: child.key })}>{child.key}</Link>{' '}
                <span class="hint">
                  ({child.agentId}, depth {child.spawnDepth})
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="session-cron-title">
        <h2 id="session-cron-title">Cron jobs</h2>
        {cron.error ? (
          <Problem error={cron.error} what="Cron jobs" />
        ) : !cron.data ? (
          <p class="hint">Loading…</p>
        ) : (
          <CronTable
            jobs={cron.data.jobs}
            caption="Cron jobs of this session"
            emptyText="No cron jobs in this session."
            onChanged={cron.reload}
          />
        )}
      </section>
    </>
  );
}
