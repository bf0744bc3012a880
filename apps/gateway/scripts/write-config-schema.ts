/**
 * Writes `schema/pincer.config.schema.json` from the zod config schema (`configJsonSchema()`).
 * Run after changing `src/config.ts`: `npx tsx apps/gateway/scripts/write-config-schema.ts`
 * (a test in `src/config.test.ts` fails while the file is stale).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'pincer.config.schema.json');
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
