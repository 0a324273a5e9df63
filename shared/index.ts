/** weft/shared: app definitions, the command and projection runtime, the wire protocol. */
export { applyEvent } from './apply-event.ts';
export type { Brand, ClientId, CommandId, Scope, Seq } from './brand.ts';
export { canonicalJson, digestEvents } from './canonical-json.ts';
export type {
  AnyApp,
  AnyTableDef,
  App,
  AppliedEvent,
  AppSpec,
  CommandArgs,
  CommandContext,
  CommandDef,
  CommandForm,
  CommandName,
  CommandUpcaster,
  EventSchemas,
  IndexDef,
  ProjectionHandlers,
  ProjectionTx,
  Row,
  RowOf,
  TableDef,
  TableDefs,
  TableName,
  TableReader,
} from './define-app.ts';
export { defineApp, table } from './define-app.ts';
export type { ErrorCode, ErrorDetails } from './errors.ts';
export { ERROR_STATUS, isErrorCode, WeftError } from './errors.ts';
export type { CommandRecord, EmittedEvent, ExecuteResult, ResolvedCommand } from './execute-command.ts';
export { executeCommand, RUNTIME_CODES, resolveCommand } from './execute-command.ts';
export type { JsonLimits } from './json-limits.ts';
export { parseJsonLimited } from './json-limits.ts';
export { compareKeys, MemoryTables, matches } from './memory-tables.ts';
export { OrderedIndex } from './ordered-index.ts';
export type { RowChange, ScanReader } from './overlay-tables.ts';
export { OverlayTables } from './overlay-tables.ts';
export type {
  AuditOutcome,
  AuditOverwrite,
  AuditQuery,
  AuditRecord,
  AuditResponse,
  HealthResponse,
  LiveMessage,
  PullResponse,
  PushCommand,
  PushRequest,
  PushResponse,
  PushResult,
  WireEvent,
} from './protocol/index.ts';
export * as protocol from './protocol/index.ts';
export { AUDIT_OUTCOMES, PROTOCOL_HEADER, PROTOCOL_VERSION } from './protocol/index.ts';
export type { Direction, OrderBy, QueryPlan, RangeBounds, TableQuery } from './query-model.ts';
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
  QueryError,
  runPlanOn,
} from './query-model.ts';
export type { SchemaOutput, StandardSchemaV1, Validation } from './standard-schema.ts';
export { validateSchema } from './standard-schema.ts';
export type {
  TextCommandContext,
  TextEdit,
  TextEditArgs,
  TextEditOp,
  TextId,
  TextOp,
  TextRun,
  TextSpan,
  TextValue,
} from './text/index.ts';
export {
  applyTextOps,
  applyTextOpsIfChanged,
  bunchId,
  caretAfter,
  compactText,
  EMPTY_TEXT,
  idBefore,
  isTextValue,
  mapCaret,
  spansIn,
  stampTextEdit,
  TEXT_LIMITS,
  TextEditSchema,
  TextOpsSchema,
  textEdit,
  textEditAt,
  textField,
  textSize,
  textString,
} from './text/index.ts';
export type { UpcastResult } from './upcast-command.ts';
export { upcastCommand } from './upcast-command.ts';
