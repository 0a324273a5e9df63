/**
 * weft/shared inside the repo: everything app authors get (public.ts, the `weft` entry), and
 * the kernel that client and server share on top of it (executor, tables, query planner,
 * protocol schemas), which stays out of the package's public entries.
 */

export { applyEvent } from './apply-event.ts';
export { canonicalJson, digestEvents } from './canonical-json.ts';
export type { AnyTableDef } from './define-app.ts';
export { ERROR_STATUS } from './errors.ts';
export type { CommandRecord, EmittedEvent, ExecuteResult, ResolvedCommand } from './execute-command.ts';
export { executeCommand, RUNTIME_CODES, resolveCommand } from './execute-command.ts';
export type { JsonLimits } from './json-limits.ts';
export { parseJsonLimited } from './json-limits.ts';
export { compareKeys, findByScan, MemoryTables, matches, queryByScan } from './memory-tables.ts';
export { OrderedIndex } from './ordered-index.ts';
export type { RowChange, ScanReader } from './overlay-tables.ts';
export { OverlayTables } from './overlay-tables.ts';
export * as protocol from './protocol/index.ts';
export { AUDIT_OUTCOMES, PROTOCOL_HEADER } from './protocol/index.ts';
export * from './public.ts';
export type { QueryPlan } from './query-model.ts';
export {
  compareByPlan,
  compareValues,
  declaredIndexes,
  edgeRow,
  indexName,
  pastCursor,
  planFind,
  planMatches,
  planQuery,
  runPlanOn,
} from './query-model.ts';
export type { SchemaOutput, Validation } from './standard-schema.ts';
export { validateSchema } from './standard-schema.ts';
export { applyTextOps, applyTextOpsIfChanged, bunchId, stampTextEdit } from './text/index.ts';
export type { UpcastResult } from './upcast-command.ts';
export { upcastCommand } from './upcast-command.ts';
