#!/usr/bin/env node
import { createNodeIo } from './io.js';
import { runCli } from './program.js';

/**
 * The `pincer` binary. SIGINT/SIGTERM abort the running command (the gateway closes cleanly,
 * waits stop); an interrupted command exits 130 (SIGINT) or 143 (SIGTERM); a second signal
 * exits at once with the same codes.
 */
async function main(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    first ??= signal;
    if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await runCli(process.argv.slice(2), createNodeIo(controller.signal));
    // runCli reports any interruption as 130; a SIGTERM (a supervisor stopping us) is 143.
    process.exitCode = code === 130 && first === 'SIGTERM' ? 143 : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
