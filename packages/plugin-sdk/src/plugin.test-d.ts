import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { BashSessionSandboxStatus, BashSessionSnapshot } from './bash-session-types.js';
import type { ProcessExitEvent, SessionStartEvent, BeforeToolCallResult } from './hooks.js';
import {
  definePlugin,
  type PluginApi,
  type PluginCaller,
  type PluginDefinition,
  type PluginHttpRequest,
  type PluginToolContext,
} from './plugin.js';

// Type tests (vitest typecheck): they fail the run when the public generic types stop inferring.
describe('definePlugin inference', () => {
  it('infers the config type from configSchema and hands it to register', () => {
    const plugin = definePlugin({
      id: 'typed',
      configSchema: z.object({ limitMs: z.number(), label: z.string().optional() }),
      register(api) {
        expectTypeOf(api).toEqualTypeOf<PluginApi<{ limitMs: number; label?: string | undefined }>>();
        expectTypeOf(api.config.limitMs).toEqualTypeOf<number>();
      },
    });
    expectTypeOf(plugin).toEqualTypeOf<PluginDefinition<{ limitMs: number; label?: string | undefined }>>();
  });

  it('has an undefined config without a configSchema', () => {
    definePlugin({
      id: 'plain',
      register(api) {
        expectTypeOf(api.config).toEqualTypeOf<undefined>();
      },
    });
  });

  it('infers a tool’s execute arguments from its zod parameters', () => {
    definePlugin({
      id: 'tools',
      register(api) {
        api.registerTool({
          name: 'count',
          description: 'counts',
          parameters: z.object({ text: z.string(), max: z.number().int() }),
          execute(params, context) {
            expectTypeOf(params).toEqualTypeOf<{ text: string; max: number }>();
            expectTypeOf(context).toEqualTypeOf<PluginToolContext>();
            return params.text.length;
          },
        });
        api.registerTool({
          name: 'bad',
          description: 'wrong argument type',
          // @ts-expect-error the schema's output (text: string) does not match execute's argument (text: number)
          parameters: z.object({ text: z.string() }),
          execute: (params: { text: number }) => params.text,
        });
      },
    });
  });

  it('types each hook’s event and result by its name', () => {
    definePlugin({
      id: 'hooks',
      register(api) {
        api.on('process_exit', (event) => {
          expectTypeOf(event).toEqualTypeOf<ProcessExitEvent>();
        });
        api.on('session_start', (event) => {
          expectTypeOf(event).toEqualTypeOf<SessionStartEvent>();
        });
        api.on('before_tool_call', (event) => {
          expectTypeOf(event.toolName).toEqualTypeOf<string>();
          return { block: false } satisfies BeforeToolCallResult;
        });
        // @ts-expect-error not a hook name
        api.on('process_spawn', () => undefined);
      },
    });
  });

  it('route handlers receive the caller: an identity, or null (plugin-auth routes, older hosts)', () => {
    definePlugin({
      id: 'routes',
      register(api) {
        api.registerHttpRoute({
          method: 'GET',
          path: '/who',
          handler(request) {
            expectTypeOf(request).toEqualTypeOf<PluginHttpRequest>();
            expectTypeOf(request.caller).toEqualTypeOf<PluginCaller | null>();
            return { status: 200, body: { caller: request.caller?.credentialId ?? null } };
          },
        });
        api.registerHttpRoute({
          method: 'POST',
          path: '/hook',
          auth: 'plugin',
          handler: (request) => ({ status: request.caller === null ? 202 : 403 }),
        });
        // @ts-expect-error auth is 'gateway' or 'plugin'
        api.registerHttpRoute({ method: 'GET', path: '/x', auth: 'none', handler: () => ({ status: 200 }) });
      },
    });
  });

  it('snapshots expose the sandbox status read-only', () => {
    expectTypeOf<BashSessionSnapshot['sandbox']>().toEqualTypeOf<BashSessionSandboxStatus>();
    expectTypeOf<BashSessionSandboxStatus['backend']>().toEqualTypeOf<'bwrap' | undefined>();
  });
});
