/**
 * `@pincer/gateway/schemas`: the HTTP API's request and response schemas (zod), for clients that
 * parse what the gateway sends with the gateway's own shapes. Light: zod only, no server code.
 */
export * from './http/schemas.js';
export type { GatewayEvent, GatewayEventData, ResetEventData } from './events/event-bus.js';
