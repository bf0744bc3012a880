import type * as GatewayExports from '@pincer/gateway';
import { describe, expect, it } from 'vitest';
import { loadGatewayModule, type GatewayModule } from '../src/gateway-module.js';

// Compile-time: the real @pincer/gateway exports satisfy the contract the CLI codes against
// (src/gateway-module.ts). A drift in startGateway / createGatewayRuntime / loadConfig fails
// `tsc --noEmit` here rather than at run time.
type Used = Pick<typeof GatewayExports, 'startGateway' | 'createGatewayRuntime' | 'loadConfig'>;
const satisfiesContract: Used extends GatewayModule ? true : false = true;

describe('the @pincer/gateway contract', () => {
  it('loads through the lazy loader with the functions the CLI calls', async () => {
    expect(satisfiesContract).toBe(true);
    const mod = await loadGatewayModule();
    expect(typeof mod.startGateway).toBe('function');
    expect(typeof mod.createGatewayRuntime).toBe('function');
    expect(mod.loadConfig()).toMatchObject({ agents: [{ id: 'main' }], defaultAgent: 'main' });
  });
});
