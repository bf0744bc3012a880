#!/usr/bin/env node
import { createNodeIo } from './io.js';
import { runCli } from './program.js';

/**
 * The `pincer` binary. SIGINT/SIGTERM abort the running command (the gateway closes cleanly,
 * waits stop); a second signal exits at once (130 / 143).
 */
async function main(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.exitCode = await runCli(process.argv.slice(2), createNodeIo(controller.signal));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await main();
