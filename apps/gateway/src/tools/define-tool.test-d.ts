import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineGatewayTool, type GatewayTool, type ToolContext } from './define-tool.js';

// Type tests (vitest typecheck, and `tsc` over src): they fail when defineGatewayTool stops
// carrying the argument types from a tool's zod schema to its handler.
describe('defineGatewayTool inference', () => {
  it('hands execute the parsed output of the parameters schema (defaults, optionals and transforms applied)', () => {
    const tool = defineGatewayTool({
      name: 'typed',
      description: 'typed arguments',
      parameters: z.object({
        command: z.string(),
        timeoutMs: z.number().int().default(1_000),
        label: z.string().optional(),
        mode: z.enum(['fast', 'safe']),
        tags: z.array(z.string()).transform((tags) => new Set(tags)),
      }),
      async execute(args, context) {
        expectTypeOf(args.command).toEqualTypeOf<string>();
        expectTypeOf(args.timeoutMs).toEqualTypeOf<number>();
        expectTypeOf(args.label).toEqualTypeOf<string | undefined>();
        expectTypeOf(args.mode).toEqualTypeOf<'fast' | 'safe'>();
        expectTypeOf(args.tags).toEqualTypeOf<Set<string>>();
        expectTypeOf(context).toEqualTypeOf<ToolContext>();
        // @ts-expect-error: not a parameter of this tool
        void args.missing;
        return { ran: args.command };
      },
    });
    expectTypeOf(tool).toEqualTypeOf<GatewayTool>();
  });

  it('refuses a handler whose arguments do not match the schema', () => {
    defineGatewayTool({
      name: 'mismatched',
      description: 'handler expects a number where the schema has a string',
      parameters: z.object({ count: z.string() }),
      // @ts-expect-error: count is a string in the schema
      async execute(args: { count: number }) {
        return args.count;
      },
    });
  });

  it('refuses a handler that does not return a promise', () => {
    defineGatewayTool({
      name: 'sync',
      description: 'returns a plain value',
      parameters: z.object({}),
      // @ts-expect-error: execute must return a Promise
      execute() {
        return 'done';
      },
    });
  });

  it('refuses parameters that are not an object of named arguments', () => {
    defineGatewayTool({
      name: 'scalar',
      description: 'a bare string schema',
      // @ts-expect-error: tool arguments are an object
      parameters: z.string(),
      async execute() {
        return null;
      },
    });
  });
});
