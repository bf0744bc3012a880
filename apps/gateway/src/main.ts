import { parseArgs } from 'node:util';
import { startGateway } from './gateway.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`--port must be an integer 0-65535, got ${values.port}`);
  }
  const gateway = await startGateway({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
    ...(values.config ? { configPath: values.config } : {}),
    ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
  });
  process.stdout.write(`pincer gateway listening on ${gateway.url}\n`);
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    const hardStop = setTimeout(() => process.exit(1), 30_000);
    hardStop.unref();
    gateway.close().then(
      () => {
        process.stdout.write(`pincer gateway stopped (${signal})\n`);
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`pincer gateway: error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`pincer gateway: ${(error as Error).message}\n`);
  process.exit(1);
});
