import { createSubagentSpawner, type SubagentSpawner } from '@pincer/subagent-spawn';
import { createCeilingLedger, eventCeilingOf } from '../credentials/event-ceiling.js';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { GatewayClock, IdSource } from '../clock.js';
import type { Notify } from '../events/notify.js';
import type { GatewayMetrics } from '../metrics.js';
import type { RunQueue } from '../runs/run-queue.js';
import type { SessionService } from '../sessions/sessions.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { SpawnIdentities } from './spawn-identities.js';

/** Chars of a sub-agent's reply quoted in its announcement. */
const ANNOUNCEMENT_BODY_CHARS = 2000;

/** The announcement text a requester's next turn shows. */
export function formatSubagentAnnouncement(input: {
  status: string;
  childSessionKey: string;
  runId: string;
  result?: string | undefined;
  error?: string | undefined;
}): string {
  const body = input.status === 'ok' ? (input.result ?? '(no reply)') : (input.error ?? input.status);
  const outcome = input.status === 'ok' ? 'completed' : input.status === 'timeout' ? 'timed out' : 'failed';
  return `Sub-agent ${outcome} (${input.childSessionKey}, run ${input.runId}) :: ${body.replace(/\s+/g, ' ').slice(0, ANNOUNCEMENT_BODY_CHARS)}`;
}

/**
 * subagent-spawn over the gateway: runs stored in `store.subagentRuns`, children launched as
 * `subagent` runs on their own lanes, results announced exactly once as a system event of the
 * requester (the durable enqueue and the "delivered" mark commit together).
 */
export function createSubagents(options: {
  config: GatewayConfig;
  store: GatewayStore;
  clock: GatewayClock;
  newId: IdSource;
  runs: Pick<RunQueue, 'enqueue'>;
  sessions: SessionService;
  notify: Notify;
  metrics: GatewayMetrics;
  logger: Logger;
  /** The credential of the spawn in progress per requester session (children inherit its ceiling). */
  spawnIdentities: SpawnIdentities;
}): SubagentSpawner {
  const { config, store, clock } = options;
  const subagents = config.subagents;
  const announceCeilings = createCeilingLedger();
  const perAgent: Record<string, { allowAgents?: string[] }> = {};
  for (const agent of config.agents) if (agent.allowAgents) perAgent[agent.id] = { allowAgents: agent.allowAgents };
  return createSubagentSpawner({
    policy: {
      agents: config.agents.map((agent) => agent.id),
      perAgent,
      ...(subagents?.maxSpawnDepth !== undefined ? { maxSpawnDepth: subagents.maxSpawnDepth } : {}),
      ...(subagents?.maxChildrenPerSession !== undefined ? { maxChildrenPerSession: subagents.maxChildrenPerSession } : {}),
      ...(subagents?.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: subagents.maxConcurrentRuns } : {}),
    },
    runs: store.subagentRuns,
    clock,
    newId: options.newId,
    launch: async (request) => {
      options.sessions.ensure(request.childSessionKey, request.agentId, {
        kind: 'subagent',
        spawnedBy: request.requesterSessionKey,
        depth: request.depth,
        ...(request.label ? { label: request.label } : {}),
      });
      const identity = options.spawnIdentities.of(request.requesterSessionKey);
      // The announcement (the child's reply, shown to the requester's next turn) carries this ceiling.
      announceCeilings.record(request.childSessionKey, eventCeilingOf(identity));
      const { done } = options.runs.enqueue({
        identity,
        sessionKey: request.childSessionKey,
        agentId: request.agentId,
        message: request.task,
        kind: 'subagent',
        depth: request.depth,
        deniedTools: request.toolPolicy.deny,
        signal: request.signal,
        ...(request.runTimeoutSeconds > 0 ? { timeoutMs: request.runTimeoutSeconds * 1000 } : {}),
      });
      const finished = await done;
      return {
        status: finished.status === 'ok' ? 'ok' : finished.status === 'timeout' ? 'timeout' : 'error',
        ...(finished.reply ? { result: finished.reply } : {}),
        ...(finished.error ? { error: finished.error } : {}),
      };
    },
    announce: async (announcement) => {
      // Exactly once per run id: the announcements table is the gateway-side idempotency record.
      const isFirst = store.announcements.put({
        runId: announcement.runId,
        requesterSessionKey: announcement.requesterSessionKey,
        payload: { childSessionKey: announcement.childSessionKey, status: announcement.status },
        state: 'pending',
        attempts: 0,
        createdAt: clock.now(),
        deliveredAt: null,
      });
      const prior = store.announcements.get(announcement.runId);
      if (!isFirst && prior?.state === 'delivered') return;
      const text = formatSubagentAnnouncement(announcement);
      store.transaction(() => {
        // The claim and the notice commit together: of gateways racing to announce a run, one wins.
        if (!store.announcements.claimDelivery(announcement.runId, clock.now())) return;
        options.notify({
          sessionKey: announcement.requesterSessionKey,
          text,
          source: 'subagent',
          contextKey: `subagent:${announcement.runId}`,
          ceiling: announceCeilings.take(announcement.childSessionKey),
        });
      });
      if (announcement.cleanup === 'delete') store.sessions.delete(announcement.childSessionKey);
    },
    onError: (error) => {
      options.metrics.errors.inc({ where: 'subagent' });
      options.logger.warn({ err: error }, 'sub-agent background failure');
    },
  });
}
