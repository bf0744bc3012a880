import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { BODY_ERRORS, errorResponses } from '../http/route-schema.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ForwardedShellCall, ProcessService } from '../processes/processes.js';
import { CLUSTER_SECRET_HEADER, type ClusterService } from './cluster.js';

/** The path of node-to-node shell calls. */
export const CLUSTER_SHELLS_PATH = '/v1/cluster/shells';

const Target = { id: z.string().min(1).max(256), scopeKey: z.string().min(1).max(4096) };
/** A shell call another node forwards: the shell and the scope key the forwarding node checked. */
const ForwardedShellCallSchema = z.discriminatedUnion('op', [
  z
    .object({ op: z.literal('log'), ...Target, offset: z.number().int().min(0).optional(), limit: z.number().int().min(1).optional() })
    .strict(),
  z.object({ op: z.literal('poll'), ...Target, waitMs: z.number().int().min(0).max(30_000).optional() }).strict(),
  z.object({ op: z.literal('write'), ...Target, data: z.string().max(1_000_000), eof: z.boolean().optional() }).strict(),
  z.object({ op: z.literal('kill'), ...Target }).strict(),
  z.object({ op: z.literal('tree'), ...Target }).strict(),
]);

/**
 * `POST /v1/cluster/shells` (cluster mode; otherwise 404): the owner's side of a shell call forwarded by another node. Only the
 * cluster secret (header `x-pincer-cluster-secret`) opens it; no operator token or scoped token
 * does, and the secret opens nothing else. The call names the scope key the forwarding node
 * checked against its caller; a shell outside it answers like a missing one.
 */
export const clusterRoutes: FastifyPluginAsyncZod<{
  cluster: ClusterService | undefined;
  processes: ProcessService;
  metrics: GatewayMetrics;
}> = async (app, { cluster, processes, metrics }) => {
  app.post(
    CLUSTER_SHELLS_PATH,
    {
      schema: {
        operationId: 'clusterShellCall',
        summary: 'Node-to-node: answer a shell call (log, poll, write, kill, tree) another node of the cluster forwarded.',
        tags: ['cluster'],
        security: [{ clusterSecret: [] }],
        body: ForwardedShellCallSchema,
        response: { 200: z.unknown().describe('The answer the call gets on a local shell.'), ...errorResponses(404, BODY_ERRORS) },
      },
    },
    async (request) => {
      if (!cluster) throw new GatewayError('not_found', `Route POST ${CLUSTER_SHELLS_PATH} not found (cluster mode is off)`);
      const presented = request.headers[CLUSTER_SECRET_HEADER];
      if (!cluster.isClusterSecret(typeof presented === 'string' ? presented : undefined)) {
        metrics.authFailures.inc();
        throw new GatewayError('unauthorized', 'This route takes the cluster secret of a node, and nothing else.');
      }
      return processes.serveForwarded(request.body as ForwardedShellCall);
    },
  );
};
