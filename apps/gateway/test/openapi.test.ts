import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp, createGatewayRuntime, type GatewayRuntime } from '../src/index.js';

type Operation = {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; schema?: { type?: string | string[] } }>;
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
};
type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
};

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/**
 * Routes registered on purpose without a document entry: plugin-declared routes (plugins describe their
 * own) and the console's static files (HTML and assets, not an API).
 */
const UNDOCUMENTED = new Set(['/plugins/*', '/console', '/console/*']);

let dir: string;
let runtime: GatewayRuntime;
let app: FastifyInstance;
let document: OpenApiDocument;
const registered: Array<{ method: string; url: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pincer-openapi-'));
  runtime = await createGatewayRuntime({ stateDir: dir, logLevel: 'silent' });
  app = await buildHttpApp(runtime, {
    token: 'openapi-test',
    onRoute: (route) => {
      for (const method of [route.method].flat()) registered.push({ method: method.toLowerCase(), url: route.url });
    },
  });
  await app.ready();
  const response = await app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: 'Bearer openapi-test' } });
  expect(response.statusCode).toBe(200);
  document = response.json() as OpenApiDocument;
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  rmSync(dir, { recursive: true, force: true });
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );

describe('the OpenAPI document', () => {
  it('documents every registered route, and every documented route is registered', () => {
    const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
    const routes = registered
      .filter((route) => route.method !== 'head' && !UNDOCUMENTED.has(route.url))
      .map((route) => `${route.method} ${toOpenApiPath(route.url)}`);
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    expect(routes.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...new Set(routes)].sort());
  });

  it('gives every operation a unique operationId, a JSON success body schema and the uniform error body', () => {
    const ids = new Set<string>();
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(operation.operationId!), `${where}: duplicate operationId`).toBe(false);
      ids.add(operation.operationId!);
      const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(success.length, `${where}: success status`).toBeGreaterThan(0);
      for (const [status, response] of success) {
        const schema = Object.values(response.content ?? {})[0]?.schema;
        expect(schema, `${where} ${status}: success body schema`).toBeDefined();
      }
      for (const status of ['400', '401', '429', '500']) {
        expect(operation.responses[status]?.content?.['application/json']?.schema, `${where} ${status}`).toBeDefined();
      }
    }
  });

  it('documents the statuses routes answer beyond the common ones (403, 404, 409, 413, 503)', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {});
    expect(statuses('/v1/agent', 'post')).toEqual(expect.arrayContaining(['200', '202', '413', '503']));
    expect(statuses('/v1/inbound', 'post')).toEqual(expect.arrayContaining(['202', '403', '413']));
    expect(statuses('/v1/sessions/{key}', 'delete')).toEqual(expect.arrayContaining(['404', '409']));
    expect(statuses('/v1/tools/invoke', 'post')).toEqual(expect.arrayContaining(['403', '404']));
    expect(statuses('/v1/cron', 'post')).toEqual(expect.arrayContaining(['201', '413']));
    expect(statuses('/v1/events', 'get')).toEqual(expect.arrayContaining(['503']));
  });

  it('types query parameters: numbers are numbers, scopes are strings', () => {
    const parameter = (path: string, method: string, name: string) =>
      document.paths[path]?.[method]?.parameters?.find((entry) => entry.name === name && entry.in === 'query');
    for (const [path, name] of [
      ['/v1/runs/{id}', 'waitMs'],
      ['/v1/sessions', 'limit'],
      ['/v1/sessions/{key}/transcript', 'afterSeq'],
      ['/v1/processes/{id}/log', 'offset'],
    ] as const) {
      expect([parameter(path, 'get', name)?.schema?.type].flat(), `${path} ${name}`).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(integer|number)$/)]),
      );
    }
    expect(parameter('/v1/sessions', 'get', 'sessionKey')?.schema?.type).toBe('string');
  });

  it('generates a client whose every operation has a typed success body (openapi-typescript + tsc)', async () => {
    const generated = astToString(await openapiTS(document as never));
    const typesDir = mkdtempSync(join(tmpdir(), 'pincer-openapi-types-'));
    try {
      writeFileSync(join(typesDir, 'api.d.ts'), generated);
      writeFileSync(
        join(typesDir, 'check.ts'),
        `import type { operations } from './api';
type SuccessStatus = 200 | 201 | 202;
type SuccessBody<Op> = Op extends { responses: infer Responses }
  ? { [Status in keyof Responses]: Status extends SuccessStatus ? (Responses[Status] extends { content: infer Content } ? Content[keyof Content] : never) : never }[keyof Responses]
  : never;
type IsUntyped<T> = 0 extends 1 & T ? true : [T] extends [never] ? true : false;
type Untyped = { [Id in keyof operations]: IsUntyped<SuccessBody<operations[Id]>> extends true ? Id : never }[keyof operations];
const everyOperationTyped: [Untyped] extends [never] ? true : Untyped = true;
// A few concrete shapes, so a regression to \`unknown\` bodies fails to compile.
type SessionList = operations['listSessions']['responses'][200]['content']['application/json'];
const firstKey: (sessions: SessionList) => string = (sessions) => sessions.sessions[0]?.key ?? '';
type Accepted = operations['submitAgentTurn']['responses'][202]['content']['application/json'];
const runId: (accepted: Accepted) => string = (accepted) => accepted.runId;
type Processes = operations['listProcesses']['responses'][200]['content']['application/json'];
const source: (list: Processes) => 'registry' | 'journal' | undefined = (list) => list.processes[0]?.source;
type LimitQuery = NonNullable<operations['listSessions']['parameters']['query']>['limit'];
const limit: LimitQuery = 5;
export { everyOperationTyped, firstKey, runId, source, limit };
`,
      );
      const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
      const compile = () =>
        execFileSync(
          process.execPath,
          [
            tsc,
            '--noEmit',
            '--strict',
            '--skipLibCheck',
            '--target',
            'es2022',
            '--module',
            'esnext',
            '--moduleResolution',
            'bundler',
            join(typesDir, 'check.ts'),
          ],
          {
            encoding: 'utf8',
          },
        );
      expect(compile).not.toThrow();
    } finally {
      rmSync(typesDir, { recursive: true, force: true });
    }
  });
});

describe('response schemas are the allow-list', () => {
  it('sends only the declared fields of a process (journal internals never leave)', async () => {
    runtime.store.processes.start({
      id: 'p-journal',
      pid: 42,
      scopeKey: 'agent:main:main',
      sessionKey: 'agent:main:main',
      command: 'true',
      cwd: '/',
      startedAt: 1,
      status: 'running',
      record: { procStartTime: 7, bootId: 'boot' },
      gatewayPid: 9,
    });
    runtime.store.processes.exit('p-journal', { status: 'completed', exitCode: 0, signal: null, endedAt: 2, tail: 'done' });
    const response = await app.inject({ method: 'GET', url: '/v1/processes', headers: { authorization: 'Bearer openapi-test' } });
    const listed = (response.json() as { processes: Array<Record<string, unknown>> }).processes.find(
      (process) => process.id === 'p-journal',
    );
    expect(Object.keys(listed ?? {}).sort()).toEqual([
      'command',
      'cwd',
      'endedAt',
      'exitCode',
      'id',
      'pid',
      'scopeKey',
      'sessionKey',
      'signal',
      'source',
      'startedAt',
      'status',
      'tail',
      'truncated',
    ]);
  });
});
