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
  const gw = await startGateway({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
    ...(values.config ? { configPath: values.config } : {}),
    ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
  });
  process.stdout.write(`pincer gateway listening on ${gw.url}\n`);
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    const hard = setTimeout(() => process.exit(1), 30_000);
    hard.unref();
    gw.close().then(
      () => {
        process.stdout.write(`pincer gateway stopped (${signal})\n`);
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`pincer gateway: error while stopping: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`pincer gateway: ${(e as Error).message}\n`);
  process.exit(1);
});
