import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, startTestGateway, type TestGateway } from './helpers.js';

let t: TestGateway | undefined;
let server: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

type Msg = { role: string; content: string | null; tool_calls?: unknown[] };

/** A tiny OpenAI-compatible chat-completions server on loopback. */
async function fakeOpenAi(
  requests: Array<{ model: string; messages: Msg[]; tools?: Array<{ function: { name: string } }> }>,
): Promise<string> {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as (typeof requests)[number];
      requests.push(body);
      const last = body.messages[body.messages.length - 1]!;
      const message =
        last.role === 'tool'
          ? { role: 'assistant', content: `tool said: ${last.content}` }
          : String(last.content).includes('use the tool')
            ? {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'exec', arguments: JSON.stringify({ command: 'echo via-provider' }) },
                  },
                ],
              }
            : { role: 'assistant', content: 'hello from the fake model' };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'cmpl-1',
          object: 'chat.completion',
          created: 0,
          model: body.model,
          choices: [{ index: 0, message, finish_reason: message.content === null ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`;
}

describe('providers through the AI SDK', () => {
  it('runs an agent on an OpenAI-compatible server, with tools', async () => {
    const requests: Parameters<typeof fakeOpenAi>[0] = [];
    const baseUrl = await fakeOpenAi(requests);
    t = await startTestGateway({
      ...FAST,
      providers: { fake: { type: 'openai-compatible', baseUrl } },
      agents: [{ id: 'main', model: 'fake/test-model' }],
    });
    const plain = await t.turn({ message: 'hi' });
    expect(plain).toMatchObject({ status: 'ok', reply: 'hello from the fake model' });
    expect(requests[0]!.model).toBe('test-model');
    expect(requests[0]!.tools?.map((x) => x.function.name)).toEqual([
      'exec',
      'process',
      'sessions_spawn',
      'sessions_list',
      'sessions_history',
      'cron',
    ]);
    const tooled = await t.turn({ message: 'please use the tool' });
    expect(tooled.reply).toContain('tool said:');
    expect(tooled.reply).toContain('via-provider');
  });
});

describe('Anthropic provider through the AI SDK', () => {
  it('runs an agent on an Anthropic Messages API server (key from apiKeyEnv)', async () => {
    const requests: Array<{ path: string; apiKey: string | undefined; body: { model: string; tools?: Array<{ name: string }> } }> = [];
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as (typeof requests)[number]['body'];
        requests.push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined, body });
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text: 'hello from the fake claude' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 1, output_tokens: 1 },
          }),
        );
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    process.env.PINCER_TEST_ANTHROPIC_KEY = 'sk-test-123';
    try {
      t = await startTestGateway({
        ...FAST,
        providers: { claude: { type: 'anthropic', baseUrl, apiKeyEnv: 'PINCER_TEST_ANTHROPIC_KEY' } },
        agents: [{ id: 'main', model: 'claude/claude-test' }],
      });
      const r = await t.turn({ message: 'hi' });
      expect(r).toMatchObject({ status: 'ok', reply: 'hello from the fake claude' });
      expect(requests[0]).toMatchObject({ path: '/v1/messages', apiKey: 'sk-test-123', body: { model: 'claude-test' } });
      expect(requests[0]!.body.tools?.map((x) => x.name)).toEqual([
        'exec',
        'process',
        'sessions_spawn',
        'sessions_list',
        'sessions_history',
        'cron',
      ]);
    } finally {
      delete process.env.PINCER_TEST_ANTHROPIC_KEY;
    }
  });
});
