import type { ClientStatus } from '../index.ts';
import type { PanelContext } from './panel-context.ts';
import type { CommandStage } from './recorder.ts';

/** A bug report's attachment: enough to see what the client did, nothing the user typed unless asked. */
export interface DiagnosticBundle {
  readonly kind: 'weft-diagnostics';
  readonly version: 1;
  readonly generatedAt: number;
  readonly userAgent: string;
  readonly status: ClientStatus;
  readonly reconnects: number;
  readonly errors: ReadonlyArray<{ code: string; message: string; at: number }>;
  readonly storage: { usage?: number; quota?: number } | null;
  readonly tabs: ReadonlyArray<unknown>;
  readonly commands: ReadonlyArray<{
    id: string;
    name: string;
    scope: string | null;
    state: string;
    times: Partial<Record<CommandStage, number>>;
    code?: string;
    message?: string;
    args?: unknown;
  }>;
}

/**
 * The diagnostic bundle: status, errors, storage and the outbox's metadata (name, scope, state,
 * times, rejection code). Args stay out unless `includeArgs`: they hold what users typed.
 */
export async function diagnosticBundle(
  ctx: PanelContext,
  options: { includeArgs?: boolean } = {},
): Promise<DiagnosticBundle> {
  const storage = await ctx.estimate().catch(() => null);
  return {
    kind: 'weft-diagnostics',
    version: 1,
    generatedAt: ctx.now(),
    userAgent: typeof navigator === 'undefined' ? '' : navigator.userAgent,
    status: ctx.recorder.status(),
    reconnects: ctx.recorder.reconnects,
    errors: ctx.recorder.errors(),
    storage,
    tabs: ctx.tabs(),
    commands: ctx.recorder.commands().map((entry) => ({
      id: entry.id,
      name: entry.name,
      scope: entry.scope,
      state: entry.state,
      times: { ...entry.times },
      ...(entry.code === undefined ? {} : { code: entry.code, message: entry.message ?? '' }),
      ...(options.includeArgs ? { args: entry.args } : {}),
    })),
  };
}
