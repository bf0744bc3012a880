import { describe, expect, it } from 'vitest';
import { parseRoute, pathFor } from './router.js';

describe('parseRoute', () => {
  it('reads every page, decoding keys and ids', () => {
    expect(parseRoute('/console/')).toEqual({ name: 'sessions' });
    expect(parseRoute('/console')).toEqual({ name: 'sessions' });
    expect(parseRoute('/console/shells/')).toEqual({ name: 'shells' });
    expect(parseRoute('/console/sessions/agent%3Amain%3Aa%2Fb')).toEqual({ name: 'session', key: 'agent:main:a/b' });
    expect(parseRoute('/console/shells/amber-atlas')).toEqual({ name: 'shell', id: 'amber-atlas' });
    expect(parseRoute('/console/status')).toEqual({ name: 'status' });
  });

  it('answers not-found for unknown pages, bad encodings and extra segments', () => {
    for (const path of ['/console/nope', '/console/sessions/%E0%A4%A', '/console/shells/a/b', '/elsewhere', '/console/cron/x']) {
      expect(parseRoute(path).name, path).toBe('not-found');
    }
  });

  it('round-trips pathFor for any key', () => {
    for (const key of ['agent:main:main', 'agent:ops:telegram:direct:42', 'a/b?c#d%e', 'ünïcode key']) {
      expect(parseRoute(pathFor({ name: 'session', key }))).toEqual({ name: 'session', key });
      expect(parseRoute(pathFor({ name: 'shell', id: key }))).toEqual({ name: 'shell', id: key });
    }
  });
});
