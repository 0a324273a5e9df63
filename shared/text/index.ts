/** Collaborative text fields: ID-anchored insert-after / delete-ids operations (DESIGN §0). */
export { applyTextOps, applyTextOpsIfChanged } from './apply-text.ts';
export { compactText } from './compact-text.ts';
export { type TextCommandContext, textEdit } from './text-command.ts';
export {
  bunchId,
  stampTextEdit,
  type TextEdit,
  type TextEditArgs,
  type TextEditOp,
  TextEditSchema,
  type TextOp,
  TextOpsSchema,
} from './text-ops.ts';
export { caretAfter, idBefore, mapCaret, spansIn, textEditAt, textSize, textString } from './text-positions.ts';
export {
  EMPTY_TEXT,
  isTextValue,
  TEXT_LIMITS,
  type TextId,
  type TextRun,
  type TextSpan,
  type TextValue,
  textField,
} from './text-value.ts';
