import { describe, expect, it } from 'vitest';
import { createHostOriginGuard, hostnameOf } from './host-origin.js';

describe('hostnameOf', () => {
  it('strips ports and IPv6 brackets and refuses malformed values', () => {
    expect(hostnameOf('127.0.0.1:7787')).toBe('127.0.0.1');
    expect(hostnameOf('[::1]:7787')).toBe('::1');
    expect(hostnameOf('LocalHost')).toBe('localhost');
    expect(hostnameOf('localhost.')).toBe('localhost');
    expect(hostnameOf('')).toBeUndefined();
    expect(hostnameOf('a:b:c')).toBeUndefined();
    expect(hostnameOf('evil.com:80x')).toBeUndefined();
    expect(hostnameOf('[::1')).toBeUndefined();
  });
});

describe('createHostOriginGuard', () => {
  const guard = createHostOriginGuard({ allowedHosts: ['pincer.internal'] });

  it('accepts loopback hosts and configured names', () => {
    for (const host of ['127.0.0.1:7787', 'localhost:1', '[::1]:7787', '127.1.2.3', 'pincer.internal:7787']) {
      expect(guard.check({ host })).toEqual({ isAllowed: true });
    }
  });

  it('refuses a rebinding host name and a missing Host', () => {
    expect(guard.check({ host: 'attacker.example:7787' })).toMatchObject({ isAllowed: false, reason: 'host' });
    expect(guard.check({})).toMatchObject({ isAllowed: false, reason: 'host' });
    expect(guard.check({ host: '127.0.0.1.attacker.example' })).toMatchObject({ isAllowed: false, reason: 'host' });
    expect(guard.check({ host: '0.0.0.0:7787' })).toMatchObject({ isAllowed: false, reason: 'host' });
  });

  it('refuses cross-origin browser requests, including the opaque "null" origin', () => {
    for (const origin of ['https://attacker.example', 'null', 'file:///x', 'http://127.0.0.1.nip.io']) {
      expect(guard.check({ host: '127.0.0.1:7787', origin })).toMatchObject({ isAllowed: false, reason: 'origin' });
    }
    expect(guard.check({ host: '127.0.0.1:7787', 'sec-fetch-site': 'cross-site' })).toMatchObject({ isAllowed: false, reason: 'origin' });
  });

  it('accepts a same-origin browser request and CLI requests without Origin', () => {
    expect(guard.check({ host: '127.0.0.1:7787', origin: 'http://127.0.0.1:7787', 'sec-fetch-site': 'same-origin' })).toEqual({
      isAllowed: true,
    });
    expect(guard.check({ host: 'localhost:7787', 'sec-fetch-site': 'none' })).toEqual({ isAllowed: true });
  });
});
