/**
 * The wire protocol's version, sent by clients in the `Weft-Protocol` header.
 * 1 (2026-11-22): push, pull, live (SSE), audit, health.
 *   Extended, still 1: `GET /v1/snapshot` (a scope's rows at a seq, for bootstrapping).
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_HEADER = 'weft-protocol';
