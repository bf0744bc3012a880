import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDurationText, configJsonSchema, loadConfig, parseConfig, parseDurationText } from './config.js';
import { GatewayError } from './errors.js';

describe('parseConfig', () => {
  it('defaults to one agent main on the scripted model', () => {
    const c = parseConfig({});
    expect(c.agents).toEqual([{ id: 'main' }]);
    expect(c.defaultAgent).toBe('main');
  });

  it('names the JSON path of the first problem', () => {
    const err = (() => {
      try {
        parseConfig({ agents: [{ id: 'main' }, { id: 'ops', heartbeat: { every: 5 } }] });
      } catch (e) {
        return e;
      }
    })();
    expect(GatewayError.isInstance(err)).toBe(true);
    expect((err as GatewayError).field).toBe('agents[1].heartbeat.every');
  });

  it('rejects unknown providers, duplicate agents and unknown default agents', () => {
    expect(() => parseConfig({ agents: [{ id: 'main', model: 'local/llama' }] })).toThrow(/agents\[0\]\.model/);
    expect(() => parseConfig({ agents: [{ id: 'a' }, { id: 'A' }] })).toThrow(/duplicate/);
    expect(() => parseConfig({ defaultAgent: 'x' })).toThrow(/defaultAgent/);
    expect(() => parseConfig({ unknownKey: 1 })).toThrow(/Unrecognized key/);
  });

  it('accepts providers through the AI SDK', () => {
    const c = parseConfig({
      providers: { local: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1' } },
      agents: [{ id: 'main', model: 'local/qwen' }],
    });
    expect(c.agents[0]!.model).toBe('local/qwen');
  });
});

describe('config files (JSONC) and the duration grammar', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pincer-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string): string => {
    const file = join(dir, 'pincer.config.json');
    writeFileSync(file, text);
    return file;
  };
  const failure = (run: () => unknown): GatewayError & { issues?: Array<{ path: string; message: string }> } => {
    try {
      run();
    } catch (error) {
      if (GatewayError.isInstance(error)) return error;
      throw error;
    }
    throw new Error('expected a GatewayError');
  };

  it('loads the README reference (```jsonc) exactly as it is pasted', () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const block = /```jsonc\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block).toContain('//');
    const config = loadConfig(write(block!));
    expect(config.agents.map((agent) => agent.id)).toEqual(['main', 'ops']);
    expect(config.agents[0]?.heartbeat?.every).toBe('30m');
    expect(config.providers?.local).toMatchObject({ apiKeyEnv: 'VLLM_API_KEY' });
  });

  it('accepts comments and trailing commas, and names every syntax error by line and column', () => {
    expect(loadConfig(write('{\n  // one agent\n  "agents": [{ "id": "ops", }, ], /* done */\n}')).agents).toEqual([{ id: 'ops' }]);
    const error = failure(() => loadConfig(write('{\n  "agents": [\n    { "id": "main" \n    { "id": "ops" }\n  ]\n')));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toMatch(/not valid JSON \(JSONC\): line 4, column 5: comma expected.*; line \d+, column \d+: /);
  });

  it('reports every problem at once, each with its JSON path', () => {
    const error = failure(() =>
      parseConfig({
        agents: [
          { id: 'main', model: 42 },
          { id: 'ops', modle: 'x' },
        ],
        gateway: { port: 'x' },
      }),
    );
    expect(error.field).toBe('gateway.port');
    expect(error.issues?.map((issue) => issue.path)).toEqual(['gateway.port', 'agents[0].model', 'agents[1]']);
    expect(error.issues?.[2]?.message).toMatch(/modle/);
    expect(error.message).toMatch(/^Invalid config at gateway\.port: .* \(and 2 more: at agents\[0\]\.model: .*; at agents\[1\]: /);
    const semantic = failure(() => parseConfig({ agents: [{ id: 'a' }, { id: 'A' }, { id: 'b', model: 'nope/x' }], defaultAgent: 'zz' }));
    expect(semantic.issues?.map((issue) => issue.path)).toEqual(['agents[1].id', 'agents[2].model', 'defaultAgent']);
  });

  it('refuses a bare-number heartbeat interval and asks for a unit; 0 disables; other spellings are normalized', () => {
    const bare = failure(() => parseConfig({ agents: [{ id: 'main', heartbeat: { every: '5' } }] }));
    expect(bare.field).toBe('agents[0].heartbeat.every');
    expect(bare.message).toContain('"5" has no unit: write e.g. 5s, 5m or 5h (0 disables).');
    expect(failure(() => parseConfig({ agents: [{ id: 'main', heartbeat: { every: 'fortnight' } }] })).message).toContain(
      'is not a duration',
    );
    expect(failure(() => parseConfig({ agents: [{ id: 'main', heartbeat: { every: '-5m' } }] })).message).toContain('must not be negative');
    const every = (text: string) => parseConfig({ agents: [{ id: 'main', heartbeat: { every: text } }] }).agents[0]?.heartbeat?.every;
    expect(every('0')).toBe('0');
    expect(every('45m')).toBe('45m');
    expect(every('2 hours')).toBe('7200000ms');
    expect(parseDurationText('1.5h')).toBe(5_400_000);
    expect(checkDurationText('5')).toMatch(/no unit/);
  });

  it('publishes the schema as JSON Schema, and the committed file is current', () => {
    const committed = JSON.parse(readFileSync(join(here, '..', 'schema', 'pincer.config.schema.json'), 'utf8')) as unknown;
    expect(committed, 'run: npx tsx apps/gateway/scripts/write-config-schema.ts').toEqual(configJsonSchema());
    const schema = configJsonSchema() as { additionalProperties?: unknown; properties?: Record<string, unknown> };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {})).toContain('agents');
  });
});
