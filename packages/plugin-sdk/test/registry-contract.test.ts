import type { ExitEvent, KillResult, ProcessRegistry, ProcessSnapshot } from '@pincer/process-registry';
import { describe, expectTypeOf, it } from 'vitest';
import type { BashSessionKillResult, BashSessionSnapshot } from '../src/bash-sessions.js';
import type { ProcessExitEvent } from '../src/hooks.js';
import type { PluginHostExitSource, PluginHostRegistry } from '../src/host.js';

// Compile-time contract between the SDK's re-declared DTOs and @pincer/process-registry's pinned
// types. `pnpm --filter @pincer/plugin-sdk typecheck` fails if either side drifts.
describe('process-registry contract (types)', () => {
  it('a ProcessRegistry can be handed to the plugin host as is', () => {
    expectTypeOf<ProcessRegistry>().toExtend<PluginHostRegistry>();
    expectTypeOf<ProcessRegistry>().toExtend<PluginHostExitSource>();
  });

  it('the SDK DTOs carry exactly the pinned snapshot, kill-result and exit-event fields', () => {
    expectTypeOf<BashSessionSnapshot>().toEqualTypeOf<ProcessSnapshot>();
    expectTypeOf<BashSessionKillResult>().toEqualTypeOf<KillResult>();
    expectTypeOf<keyof ProcessExitEvent>().toEqualTypeOf<Exclude<keyof ExitEvent, 'shouldNotify'>>();
    expectTypeOf<ExitEvent>().toExtend<ProcessExitEvent>();
  });
});
