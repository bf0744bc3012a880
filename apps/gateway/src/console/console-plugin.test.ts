import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_IDENTITY, type Identity } from '../credentials/identity.js';
import { zodValidatorCompiler } from '../http/route-schema.js';
import { CONSOLE_CONTENT_SECURITY_POLICY, consolePlugin, isPublicConsoleRequest, mapConsolePath } from './console-plugin.js';

describe('mapConsolePath', () => {
  it('maps assets and top-level files, and every client-side route to index.html', () => {
    expect(mapConsolePath('')).toEqual({ file: 'index.html', isIndex: true });
    expect(mapConsolePath('assets/index-AbC_1.js')).toEqual({ file: 'assets/index-AbC_1.js', isIndex: false });
    expect(mapConsolePath('favicon.svg')).toEqual({ file: 'favicon.svg', isIndex: false });
    expect(mapConsolePath('sessions/agent%3Amain%3Ax.y')).toEqual({ file: 'index.html', isIndex: true });
    expect(mapConsolePath('shells/amber-atlas')).toEqual({ file: 'index.html', isIndex: true });
  });

  it('refuses dot segments, encoded separators, hidden files and unknown extensions', () => {
    for (const rest of [
      'assets/../../package.json',
      'assets/..%2f..%2fpackage.json',
      'assets/.env.js',
      'assets/a/b.js',
      'assets/x.sh',
      'assets/',
      '.hidden.js',
      '%2e%2e.js',
    ]) {
      expect(mapConsolePath(rest), rest).toBeUndefined();
    }
  });
});

describe('isPublicConsoleRequest', () => {
  it('is true only for GET and HEAD under /console', () => {
    expect(isPublicConsoleRequest('GET', '/console')).toBe(true);
    expect(isPublicConsoleRequest('HEAD', '/console/assets/a.js')).toBe(true);
    expect(isPublicConsoleRequest('POST', '/console/')).toBe(false);
    expect(isPublicConsoleRequest('GET', '/consoles')).toBe(false);
    expect(isPublicConsoleRequest('GET', '/v1/sessions')).toBe(false);
  });
});

describe('consolePlugin', () => {
  let root: string;
  let dist: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'pincer-console-plugin-'));
    dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, 'secret.txt'), 'do not serve');
    symlinkSync(join(root, 'secret.txt'), join(dist, 'assets', 'leak.txt'));
  });
  afterEach(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const start = async (distDir: string | null, identity: Identity = OPERATOR_IDENTITY) => {
    app = Fastify();
    app.setValidatorCompiler(zodValidatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    // What the gateway's auth plugin does before any route: the request's identity.
    app.decorateRequest('identity', {
      getter: () => identity,
      setter: () => undefined,
    });
    await app.register(consolePlugin, { distDir });
    await app.ready();
    return app;
  };

  it('serves the page with the strict CSP, hashed assets with long caching, and routes as the page', async () => {
    await start(dist);
    const page = await app.inject({ url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('id="app"');
    const asset = await app.inject({ url: '/console/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    const route = await app.inject({ url: '/console/sessions/agent%3Amain%3Ax' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('id="app"');
    expect((await app.inject({ url: '/console' })).headers.location).toBe('/console/');
    expect((await app.inject({ method: 'HEAD', url: '/console/favicon.svg' })).statusCode).toBe(200);
  });

  it('never serves a file outside the build: traversal, encoded traversal and symlinks answer 404 or the page', async () => {
    await start(dist);
    for (const url of [
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/assets/%2e%2e/%2e%2e/secret.txt',
      '/console/assets/leak.txt',
      '/console/..%2fsecret.txt',
      '/console/assets/missing.js',
    ]) {
      const answer = await app.inject({ url });
      expect(answer.body, url).not.toContain('do not serve');
      expect([404, 200], url).toContain(answer.statusCode);
      if (answer.statusCode === 200) expect(answer.body, url).toContain('id="app"');
    }
    expect((await app.inject({ url: '/console/assets/leak.txt' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/console/assets/missing.js' })).statusCode).toBe(404);
  });

  it('answers 503 with how to build the console when the build is missing, and still sends the CSP', async () => {
    await start(join(root, 'nowhere'));
    const answer = await app.inject({ url: '/console/' });
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toContain('pnpm build');
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CONTENT_SECURITY_POLICY);
    await app.close();
    await start(null);
    const uninstalled = await app.inject({ url: '/console/sessions' });
    expect(uninstalled.statusCode).toBe(503);
    expect(uninstalled.body).toContain('not installed');
  });

  it('answers GET /v1/whoami with the caller: a scoped token gets its scope and grants, never a secret', async () => {
    await start(dist, {
      kind: 'token',
      credentialId: 'tk_test',
      name: 'dashboard',
      scope: { kind: 'session', sessionKey: 'agent:main:x' },
      capabilities: new Set(['processes:read', 'sessions:read']),
      expiresAt: 1_900_000_000_000,
    });
    const answer = await app.inject({ url: '/v1/whoami' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      kind: 'token',
      credentialId: 'tk_test',
      name: 'dashboard',
      scope: { kind: 'session', sessionKey: 'agent:main:x' },
      capabilities: ['sessions:read', 'processes:read'],
      expiresAt: 1_900_000_000_000,
    });
    await app.close();
    await start(dist);
    const operator = (await app.inject({ url: '/v1/whoami' })).json() as { kind: string; capabilities: string[] };
    expect(operator.kind).toBe('operator');
    expect(operator.capabilities).toEqual(expect.arrayContaining(['processes:kill', 'audit:read', 'tokens:admin']));
  });
});
