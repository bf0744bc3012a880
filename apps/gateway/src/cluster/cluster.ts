import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { DEFAULT_CLUSTER_LEASE_MS, DEFAULT_CLUSTER_SECRET_ENV, type GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { ClusterNode, ClusterTable } from '../store/gateway-store.js';

/** Shortest cluster secret accepted (chars). */
export const MIN_CLUSTER_SECRET_CHARS = 32;
/** The header a node-to-node call carries the cluster secret in (never `Authorization`: it is no API credential). */
export const CLUSTER_SECRET_HEADER = 'x-pincer-cluster-secret';
/** How long one node-to-node call may take, ms. */
export const CLUSTER_CALL_TIMEOUT_MS = 10_000;
/** First and longest wait between two tries of a session's run lock held by another node, ms. */
const LOCK_RETRY_FIRST_MS = 10;
const LOCK_RETRY_MAX_MS = 200;

/** A new node id for a start without `cluster.nodeId`. */
export const randomNodeId = (): string => `node-${randomBytes(4).toString('hex')}`;

/** Read and check the cluster secret: it must be set and long enough, or the node does not start. */
export function readClusterSecret(config: GatewayConfig): string {
  const name = config.cluster?.secretEnv ?? DEFAULT_CLUSTER_SECRET_ENV;
  const secret = process.env[name]?.trim() ?? '';
  if (secret.length < MIN_CLUSTER_SECRET_CHARS) {
    throw new GatewayError(
      'invalid_config',
      `cluster mode needs ${name}: the secret every node shares for node-to-node calls, at least ${MIN_CLUSTER_SECRET_CHARS} chars (${secret.length === 0 ? 'not set' : `${secret.length} given`})`,
      { field: 'cluster.secretEnv' },
    );
  }
  return secret;
}

/** Where a shell another node owns can be reached. */
export type ShellOwner = { kind: 'local' } | { kind: 'remote'; node: ClusterNode } | { kind: 'gone'; nodeId: string };

/** This gateway as a node of a cluster. */
export interface ClusterService {
  readonly nodeId: string;
  /** Register at `url` (the listen address unless `cluster.advertiseUrl`) and start renewing the lease. */
  join(url: string): void;
  /** Every node, as the database has them. */
  nodes(): ClusterNode[];
  /** Who owns a shell of the journal: this node, a live other node, or a node that is gone. */
  ownerOf(ownerNode: string | null | undefined): ShellOwner;
  /** Wait for the run lock of a session (no other node runs a turn of it meanwhile); resolves to its release. */
  lockSession(sessionKey: string): Promise<() => void>;
  /** True when `presented` is the cluster secret (constant time). */
  isClusterSecret(presented: string | undefined): boolean;
  /** POST `body` to another node's `path` with the cluster secret; its JSON answer (errors keep their status). */
  call(node: ClusterNode, path: string, body: unknown): Promise<unknown>;
  /** Stop renewing and end this node's lease (a clean stop). */
  leave(): void;
}

/** Options of {@link createClusterService}. */
export interface ClusterServiceOptions {
  table: ClusterTable;
  config: GatewayConfig;
  secret: string;
  logger: Logger;
  /** Take over the work of a node this one declared dead (called once per dead node). */
  onNodeDead(nodeId: string): Promise<void>;
  /** This node lost its lease (a survivor took over its work): it must stop serving. Called once. */
  onFenced(): void;
  /** Also run on every renewal, after the take-overs (cluster mode: cron jobs other nodes changed). */
  onTick?: (() => Promise<void>) | undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The node service: lease renewal and take-over every `leaseMs / 4`, the session run lock, node-to-node calls. */
export function createClusterService(options: ClusterServiceOptions): ClusterService {
  const { table, logger } = options;
  const leaseMs = options.config.cluster?.leaseMs ?? DEFAULT_CLUSTER_LEASE_MS;
  const secretDigest = digest(options.secret);
  let timer: ReturnType<typeof setInterval> | undefined;
  let isStopped = false;
  let isFenced = false;
  let isTicking = false;
  let renewedAt = performance.now();

  const fence = (why: string, error?: unknown) => {
    if (isFenced) return;
    isFenced = true;
    if (timer) clearInterval(timer);
    logger.error({ err: error, nodeId: table.nodeId }, `cluster node ${table.nodeId} stops serving: ${why}`);
    options.onFenced();
  };

  const tick = async () => {
    if (isTicking || isStopped || isFenced) return;
    isTicking = true;
    try {
      if (!table.renew(leaseMs)) return fence('its lease ran out and another node took over its work');
      renewedAt = performance.now();
      for (const deadNode of table.claimExpired()) {
        logger.warn({ deadNode }, `cluster: node ${deadNode} stopped renewing its lease; taking over its work`);
        try {
          await options.onNodeDead(deadNode);
        } catch (error) {
          logger.error({ err: error, deadNode }, 'cluster: taking over a dead node failed part-way');
        }
      }
      await options.onTick?.().catch((error: unknown) => logger.warn({ err: error }, 'cluster: a periodic sync failed'));
    } catch (error) {
      // The database is unreachable (or ended this connection): once the lease is surely over,
      // another node takes over this one's work, so this one must stop serving.
      if (performance.now() - renewedAt > leaseMs) return fence('its lease could not be renewed before it ran out', error);
      logger.error({ err: error }, 'cluster: could not renew this node’s lease');
    } finally {
      isTicking = false;
    }
  };

  return {
    nodeId: table.nodeId,
    join(url) {
      table.join(options.config.cluster?.advertiseUrl ?? url, leaseMs);
      timer = setInterval(() => void tick(), Math.max(250, Math.floor(leaseMs / 4)));
      timer.unref();
      void tick();
    },
    nodes: () => table.nodes(),
    ownerOf(ownerNode) {
      if (ownerNode === null || ownerNode === undefined || ownerNode === table.nodeId) return { kind: 'local' };
      const node = table.nodes().find((candidate) => candidate.id === ownerNode);
      return node?.state === 'live' ? { kind: 'remote', node } : { kind: 'gone', nodeId: ownerNode };
    },
    async lockSession(sessionKey) {
      let wait = LOCK_RETRY_FIRST_MS;
      while (!table.tryLockSession(sessionKey)) {
        if (isStopped || isFenced) throw new GatewayError('unavailable', 'The gateway is shutting down; retry against another node.');
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, LOCK_RETRY_MAX_MS);
      }
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        try {
          table.unlockSession(sessionKey);
        } catch (error) {
          // The connection is gone, and with it the lock.
          logger.warn({ err: error, sessionKey }, 'cluster: could not release a session run lock');
        }
      };
    },
    isClusterSecret(presented) {
      if (presented === undefined || presented === '') return false;
      return timingSafeEqual(digest(presented), secretDigest);
    },
    async call(node, path, body) {
      let response: Response;
      try {
        response = await fetch(new URL(path, node.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [CLUSTER_SECRET_HEADER]: options.secret },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(CLUSTER_CALL_TIMEOUT_MS),
        });
      } catch (error) {
        throw new GatewayError(
          'unavailable',
          `Node ${node.id} (which owns this shell) did not answer; retry, or wait for its lease to end.`,
          {
            cause: error,
          },
        );
      }
      const answer = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      if (response.ok) return answer;
      if (response.status === 404) throw new GatewayError('not_found', answer?.error?.message ?? 'Not found');
      throw new GatewayError('unavailable', `Node ${node.id} answered ${response.status}: ${answer?.error?.message ?? 'no message'}`);
    },
    leave() {
      isStopped = true;
      if (timer) clearInterval(timer);
      if (isFenced) return;
      try {
        table.leave();
      } catch (error) {
        logger.warn({ err: error }, 'cluster: could not end this node’s lease (it runs out by itself)');
      }
    },
  };
}
