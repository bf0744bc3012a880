import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as GatewayExports from '@pincer/gateway';
import {
  CronDeletedSchema,
  CronJobViewSchema,
  CronListSchema,
  CronRunNowSchema,
  CronRunsSchema,
  ProcessKillSchema,
  SessionDeletedSchema,
  SessionListSchema,
  SessionResetSchema,
  SessionViewSchema,
  TranscriptSchema,
} from '@pincer/gateway/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCronJobRequest } from '../src/commands/cron.js';
import { processesFrom, toLogChunk } from '../src/commands/processes.js';
import { AgentAcceptedSchema, createGatewayClient, parseBody, RunViewSchema } from '../src/gateway-client.js';
import { loadGatewayModule, type GatewayModule } from '../src/gateway-module.js';
import { startTestGateway, tempDir, type TempDir, type TestGateway } from './helpers.js';

// Compile-time: the real @pincer/gateway exports satisfy the contract the CLI codes against
// (src/gateway-module.ts). A drift in startGateway / createGatewayRuntime / loadConfig fails
// `tsc --noEmit` here rather than at run time.
type Used = Pick<typeof GatewayExports, 'startGateway' | 'createGatewayRuntime' | 'loadConfig'>;
const satisfiesContract: Used extends GatewayModule ? true : false = true;

describe('the @pincer/gateway contract', () => {
  it('loads through the lazy loader with the functions the CLI calls', async () => {
    expect(satisfiesContract).toBe(true);
    const mod = await loadGatewayModule();
    expect(typeof mod.startGateway).toBe('function');
    expect(typeof mod.createGatewayRuntime).toBe('function');
    expect(mod.loadConfig()).toMatchObject({ agents: [{ id: 'main' }], defaultAgent: 'main' });
  });
});

describe('the CLI parses what the real gateway sends', () => {
  let state: TempDir | undefined;
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    state?.dispose();
    state = undefined;
  });

  it('parses the answer of every route the CLI calls with the schema the CLI parses it with', async () => {
    state = tempDir();
    gateway = await startTestGateway({ stateDir: state.path });
    const client = createGatewayClient({ url: gateway.url, token: readFileSync(join(state.path, 'token'), 'utf8').trim() });
    const sessionKey = 'agent:main:contract';

    // pincer agent / pincer runs: a background shell, so the process routes have one to answer about.
    const accepted = parseBody(
      AgentAcceptedSchema,
      await client.request('POST', '/v1/agent', { body: { message: 'run in background: echo contract-line; sleep 30', sessionKey } }),
      'POST /v1/agent',
    );
    expect(accepted.sessionKey).toBe(sessionKey);
    const run = parseBody(
      RunViewSchema,
      await client.request('GET', `/v1/runs/${accepted.runId}`, { query: { waitMs: 10_000 } }),
      'GET /v1/runs/:id',
    );
    expect(run).toMatchObject({ runId: accepted.runId, status: 'ok' });

    // pincer sessions list|show|history|reset
    const listed = parseBody(SessionListSchema, await client.request('GET', '/v1/sessions'), 'GET /v1/sessions');
    expect(listed.sessions.map((session) => session.key)).toContain(sessionKey);
    const encodedKey = encodeURIComponent(sessionKey);
    expect(parseBody(SessionViewSchema, await client.request('GET', `/v1/sessions/${encodedKey}`), 'GET /v1/sessions/:key').key).toBe(
      sessionKey,
    );
    const transcript = parseBody(TranscriptSchema, await client.request('GET', `/v1/sessions/${encodedKey}/transcript`), 'GET transcript');
    expect(transcript.entries.map((entry) => entry.role)).toContain('user');

    // pincer ps / logs / kill, through the CLI's own readers.
    const processes = processesFrom(await client.request('GET', '/v1/processes', { query: { sessionKey } }));
    expect(processes).toHaveLength(1);
    const processId = processes[0]!.id;
    const log = toLogChunk(await client.request('GET', `/v1/processes/${processId}/log`, { query: { offset: 0 } }));
    expect(log.id).toBe(processId);
    const killed = parseBody(
      ProcessKillSchema,
      await client.request('POST', `/v1/processes/${processId}/kill`, { body: {}, timeoutMs: 30_000 }),
      'kill',
    );
    expect(killed.status).toBe('killed');

    // pincer cron add|list|run|runs|rm: the CLI's own request builder, then every answer.
    const request = buildCronJobRequest({ every: '1h', message: 'contract tick' }, sessionKey);
    const job = parseBody(CronJobViewSchema, await client.request('POST', '/v1/cron', { body: request }), 'POST /v1/cron');
    expect(job.schedule).toMatchObject({ kind: 'every' });
    expect(
      parseBody(CronListSchema, await client.request('GET', '/v1/cron'), 'GET /v1/cron').jobs.map((listedJob) => listedJob.id),
    ).toEqual([job.id]);
    const ranNow = parseBody(
      CronRunNowSchema,
      await client.request('POST', `/v1/cron/${job.id}/run`, { body: {} }),
      'POST /v1/cron/:id/run',
    );
    expect(ranNow.id).toBe(job.id);
    expect(parseBody(CronRunsSchema, await client.request('GET', `/v1/cron/${job.id}/runs`), 'GET /v1/cron/:id/runs').runs).toHaveLength(1);
    expect(parseBody(CronDeletedSchema, await client.request('DELETE', `/v1/cron/${job.id}`), 'DELETE /v1/cron/:id')).toEqual({
      deleted: true,
      id: job.id,
    });

    // pincer sessions reset / delete, and the error body of a route answering 404.
    expect(
      parseBody(SessionResetSchema, await client.request('POST', `/v1/sessions/${encodedKey}/reset`, { body: {} }), 'reset').sessionKey,
    ).toBe(sessionKey);
    expect(parseBody(SessionDeletedSchema, await client.request('DELETE', `/v1/sessions/${encodedKey}`), 'delete')).toEqual({
      deleted: true,
      sessionKey,
    });
    const missing = await client.request('GET', `/v1/sessions/${encodedKey}`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
  });
});
