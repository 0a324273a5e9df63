import type { AnyApp, AppliedEvent, ProjectionTx } from './define-app.ts';

/**
 * Runs the app's projection handler for one event against `tx`. Events without a handler
 * change nothing; an event type the app does not know (a newer server) is ignored here and left
 * to the caller to report, never a crash.
 */
export function applyEvent(app: AnyApp, tx: ProjectionTx, event: AppliedEvent): void {
  const handler = (app.projections as Record<string, ((tx: ProjectionTx, e: AppliedEvent) => void) | undefined>)[
    event.type
  ];
  handler?.(tx, event);
}
