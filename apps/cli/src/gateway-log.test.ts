import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogDestination, formatLogLine } from './gateway-log.js';

describe('readable gateway log lines (pincer gateway on a TTY)', () => {
  it('turns real pino JSON lines into time, level, message and fields, with escapes neutralised', () => {
    const printed: string[] = [];
    const logger = pino(
      { level: 'info', base: { app: 'pincer-gateway' } },
      createLogDestination({ write: (chunk: string) => printed.push(chunk) }),
    );
    logger.warn({ agentId: 'ops', error: 'provider down' }, 'heartbeat failed');
    logger.info({ command: `echo \x1b[2J` }, 'process started');
    logger.debug('not at this level');
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  heartbeat failed agentId=ops error="provider down"\n$/);
    expect(printed[1]).toMatch(/ INFO  process started command="echo \\u001b\[2J"\n$/);
    expect(printed.join('')).not.toContain('\x1b');
  });

  it('prints a line that is not pino JSON as it is, escaped', () => {
    expect(formatLogLine('plain \x07 text')).toBe('plain \\x07 text');
  });
});
