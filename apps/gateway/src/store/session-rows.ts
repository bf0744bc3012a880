import type { SessionRecord } from './gateway-store.js';
import { nullableString, type Row } from './sqlite/rows.js';

/** A `sessions` row as a {@link SessionRecord} (both stores' columns are the same). */
export function toSession(row: Row): SessionRecord {
  return {
    key: String(row.key),
    agentId: String(row.agent_id),
    sessionId: String(row.session_id),
    kind: String(row.kind),
    label: nullableString(row.label),
    spawnedBy: nullableString(row.spawned_by),
    spawnDepth: Number(row.spawn_depth ?? 0),
    channel: nullableString(row.channel),
    peerKind: nullableString(row.peer_kind),
    peerId: nullableString(row.peer_id),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastRunId: nullableString(row.last_run_id),
  };
}

/**
 * The JSON object of a row, as `'field', column` pairs: the {@link SessionRecord} field names over
 * the columns (SQLite's `json_object` and PostgreSQL's `json_build_object` take the same list).
 */
export const SESSION_RECORD_FIELDS = [
  ['key', 'key'],
  ['agentId', 'agent_id'],
  ['sessionId', 'session_id'],
  ['kind', 'kind'],
  ['label', 'label'],
  ['spawnedBy', 'spawned_by'],
  ['spawnDepth', 'spawn_depth'],
  ['channel', 'channel'],
  ['peerKind', 'peer_kind'],
  ['peerId', 'peer_id'],
  ['createdAt', 'created_at'],
  ['updatedAt', 'updated_at'],
  ['lastRunId', 'last_run_id'],
]
  .map(([field, column]) => `'${field}', ${column}`)
  .join(', ');
