import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverGateway, normalizeBaseUrl, parsePort, readGatewayInfo, resolveConfigPath, resolveStateDir } from './discovery.js';

describe('resolveStateDir', () => {
  it('prefers the explicit flag, then PINCER_STATE_DIR, then ~/.pincer', () => {
    const ctx = { env: { PINCER_STATE_DIR: '/srv/pincer' }, homeDir: '/home/u', cwd: '/work' };
    expect(resolveStateDir(ctx, 'rel/state')).toBe('/work/rel/state');
    expect(resolveStateDir(ctx)).toBe('/srv/pincer');
    expect(resolveStateDir({ ...ctx, env: {} })).toBe('/home/u/.pincer');
    expect(resolveStateDir({ ...ctx, env: { PINCER_STATE_DIR: '   ' } })).toBe('/home/u/.pincer');
  });
});

describe('discovery in a state dir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pincer-cli-disc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const ctx = (env: Record<string, string> = {}) => ({ env, homeDir: '/nowhere', cwd: '/' });

  it('finds no gateway when nothing names one', () => {
    const target = discoverGateway(ctx(), dir);
    expect(target).toMatchObject({ url: undefined, urlSource: 'none', token: undefined, tokenSource: 'none', stateDir: dir });
  });

  it('reads url from gateway.json and the token file (trimmed)', () => {
    writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ url: 'http://127.0.0.1:4567/', port: 4567, pid: 42, startedAt: 1 }));
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    expect(discoverGateway(ctx(), dir)).toMatchObject({
      url: 'http://127.0.0.1:4567',
      urlSource: 'gateway.json',
      token: 'secret-token',
      tokenSource: 'token-file',
    });
    expect(readGatewayInfo(dir)?.pid).toBe(42);
  });

  it('lets PINCER_GATEWAY_URL / PINCER_GATEWAY_TOKEN override the state dir', () => {
    writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ url: 'http://127.0.0.1:4567' }));
    writeFileSync(join(dir, 'token'), 'file-token');
    const target = discoverGateway(ctx({ PINCER_GATEWAY_URL: 'http://127.0.0.1:9999', PINCER_GATEWAY_TOKEN: 'env-token' }), dir);
    expect(target).toMatchObject({ url: 'http://127.0.0.1:9999', urlSource: 'env', token: 'env-token', tokenSource: 'env' });
  });

  it('uses PINCER_PORT when there is no gateway.json', () => {
    expect(discoverGateway(ctx({ PINCER_PORT: '8123' }), dir)).toMatchObject({ url: 'http://127.0.0.1:8123', urlSource: 'port-env' });
  });

  it('ignores a corrupt gateway.json', () => {
    writeFileSync(join(dir, 'gateway.json'), '{"url":');
    expect(readGatewayInfo(dir)).toBeUndefined();
    writeFileSync(join(dir, 'gateway.json'), '{"port":1}');
    expect(readGatewayInfo(dir)).toBeUndefined();
  });

  it('finds the config: flag, then PINCER_CONFIG, then <stateDir>/pincer.config.json if present', () => {
    expect(resolveConfigPath(ctx(), dir)).toBeUndefined();
    writeFileSync(join(dir, 'pincer.config.json'), '{}');
    expect(resolveConfigPath(ctx(), dir)).toBe(join(dir, 'pincer.config.json'));
    expect(resolveConfigPath(ctx({ PINCER_CONFIG: '/etc/p.json' }), dir)).toBe('/etc/p.json');
    expect(resolveConfigPath(ctx({ PINCER_CONFIG: '/etc/p.json' }), dir, 'my.json')).toBe('/my.json');
  });
});

describe('normalizeBaseUrl / parsePort', () => {
  it('accepts http(s) URLs and strips trailing slashes', () => {
    expect(normalizeBaseUrl('http://127.0.0.1:1/')).toBe('http://127.0.0.1:1');
    expect(() => normalizeBaseUrl('ftp://x')).toThrow(/Invalid gateway URL/);
    expect(() => normalizeBaseUrl('not a url')).toThrow(/Invalid gateway URL/);
  });

  it('parses ports 0–65535 and rejects anything else', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort(' 7787 ')).toBe(7787);
    expect(parsePort(undefined)).toBeUndefined();
    expect(() => parsePort('65536')).toThrow(/between 0 and 65535/);
    expect(() => parsePort('12a')).toThrow(/between 0 and 65535/);
  });
});
