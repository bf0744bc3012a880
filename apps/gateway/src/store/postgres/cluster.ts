import { GatewayError } from '../../errors.js';
import type { ClusterNode, ClusterTable, LostShell } from '../gateway-store.js';
import { jsonColumn, nullableString, type Row } from '../sqlite/rows.js';
import { byteaText, textBytes } from './rows.js';
import type { SyncPostgresClient } from './sync-client.js';

/** The advisory-lock class of the per-session run lock (with the key's hash as the second key): "PINR". */
export const POSTGRES_SESSION_LOCK = 0x50494e52;

/** The database's clock, ms since the epoch: leases never depend on the nodes' clocks agreeing. */
const DB_NOW = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

const toNode = (row: Row): ClusterNode => ({
  id: String(row.id),
  url: String(row.url),
  state: String(row.state) as ClusterNode['state'],
  startedAt: Number(row.started_at),
  leaseUntil: Number(row.lease_until),
  reapedBy: nullableString(row.reaped_by),
});

/**
 * The `nodes` table and the cluster statements over the node-owned rows (`owner_node`, `node_id`).
 * Every take-over statement is one UPDATE … RETURNING guarded by the row's state, so of the
 * survivors racing for a dead node's work each row goes to exactly one.
 */
export function createPostgresClusterTable(client: SyncPostgresClient, nodeId: string): ClusterTable {
  return {
    nodeId,
    join(url, leaseMs) {
      const joined = client.query(
        `INSERT INTO nodes (id, url, state, started_at, lease_until, backend_pid)
         VALUES ($1, $2, 'live', ${DB_NOW}, ${DB_NOW} + $3, pg_backend_pid())
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, state = 'live', started_at = excluded.started_at,
           lease_until = excluded.lease_until, reaped_by = NULL, backend_pid = excluded.backend_pid
         WHERE nodes.state <> 'live' OR nodes.lease_until < ${DB_NOW}`,
        [nodeId, url, leaseMs],
      ).rowCount;
      // Two processes with one node id would own each other's shells and runs: the second is refused.
      if (joined !== 1) {
        throw new GatewayError(
          'unavailable',
          `cluster node id "${nodeId}" is live already (another gateway renews its lease): give each node its own cluster.nodeId, or wait for the old lease to end`,
          { field: 'cluster.nodeId' },
        );
      }
    },
    renew: (leaseMs) =>
      client.query(`UPDATE nodes SET lease_until = ${DB_NOW} + $2 WHERE id = $1 AND state = 'live'`, [nodeId, leaseMs]).rowCount === 1,
    leave() {
      client.query(`UPDATE nodes SET state = 'left', lease_until = ${DB_NOW} WHERE id = $1 AND state = 'live'`, [nodeId]);
    },
    nodes: () => client.query<Row>('SELECT * FROM nodes ORDER BY id').rows.map(toNode),
    claimExpired() {
      const dead = client.query<Row>(
        `UPDATE nodes SET state = 'dead', reaped_by = $1 WHERE state = 'live' AND id <> $1 AND lease_until < ${DB_NOW}
         RETURNING id, backend_pid`,
        [nodeId],
      ).rows;
      // A node declared dead may only be stalled: ending its connection releases its session locks
      // and fences it (its next statement fails) before anyone takes over its work.
      for (const row of dead) {
        if (row.backend_pid === null || row.backend_pid === undefined) continue;
        try {
          client.query(
            // Only a gateway's own connection (a reused pid of something else is left alone).
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND usename = current_user AND application_name LIKE 'pincer%'",
            [row.backend_pid],
          );
        } catch {
          // not allowed (another role) or already gone: its lease is over either way
        }
      }
      return dead.map((row) => String(row.id));
    },
    interruptRuns: (deadNode, reason, now) =>
      client
        .query<Row>(
          `UPDATE runs SET status = 'error', error = $2, ended_at = $3 WHERE node_id = $1 AND status IN ('queued', 'running') RETURNING id`,
          [deadNode, textBytes(reason), now],
        )
        .rows.map((row) => String(row.id)),
    loseShells: (deadNode, now): LostShell[] =>
      client
        .query<Row>(
          `UPDATE processes SET status = 'lost', ended_at = $2 WHERE owner_node = $1 AND status IN ('running', 'starting')
           RETURNING id, session_key, command`,
          [deadNode, now],
        )
        .rows.map((row) => ({ id: String(row.id), sessionKey: nullableString(row.session_key), command: byteaText(row.command) })),
    adoptEvents: (deadNode) =>
      client
        .query<Row>('UPDATE system_events SET node_id = $2 WHERE node_id = $1 RETURNING seq, body', [deadNode, nodeId])
        .rows.sort((a, b) => Number(a.seq) - Number(b.seq))
        .map((row) => jsonColumn(row.body)),
    tryLockSession: (sessionKey) =>
      client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS held', [POSTGRES_SESSION_LOCK, sessionKey]).rows[0]
        ?.held === true,
    unlockSession(sessionKey) {
      client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [POSTGRES_SESSION_LOCK, sessionKey]);
    },
    claimCronSlot: (jobId, slotMs, now) =>
      client.query('INSERT INTO cron_slots (job_id, slot, node_id, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        jobId,
        slotMs,
        nodeId,
        now,
      ]).rowCount === 1,
  };
}
