import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
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
