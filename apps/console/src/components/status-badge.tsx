const TONE: Record<string, string> = {
  running: 'live',
  queued: 'live',
  ok: 'good',
  completed: 'good',
  killed: 'bad',
  failed: 'bad',
  error: 'bad',
  timeout: 'bad',
};

/** A status word with a colour that is never the only cue (the word is always shown). */
export function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${TONE[props.status] ?? 'neutral'}`}>{props.status}</span>;
}
