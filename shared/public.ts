/**
 * weft (and weft/shared): what an app author needs to define an app once for client, server
 * and tests: `defineApp`, `table`, collaborative text fields (`textField`, `textEdit`, caret
 * mapping), their types, the errors and the wire types an app meets.
 * The kernel that runs definitions (executor, tables, protocol schemas) stays internal.
 */
export type { Brand, ClientId, CommandId, Scope, Seq } from './brand.ts';
export type {
  AnyApp,
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
export { isErrorCode, WeftError } from './errors.ts';
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
export { PROTOCOL_VERSION } from './protocol/index.ts';
export type { Direction, OrderBy, RangeBounds, TableQuery } from './query-model.ts';
export { QueryError } from './query-model.ts';
export type { StandardSchemaV1 } from './standard-schema.ts';
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
  caretAfter,
  compactText,
  EMPTY_TEXT,
  idBefore,
  isTextValue,
  mapCaret,
  spansIn,
  TEXT_LIMITS,
  TextEditSchema,
  TextOpsSchema,
  textEdit,
  textEditAt,
  textField,
  textSize,
  textString,
} from './text/index.ts';
