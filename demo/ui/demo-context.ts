import { createContext, useContext } from 'react';
import type { CommandArgs, CommandName } from '../../shared/index.ts';
import type { KanbanApp } from '../app.ts';
import type { DemoClient } from '../demo-client.ts';

/** A message for the toast area: a rejected command, and why. */
export interface Toast {
  readonly id: string;
  readonly command: string;
  readonly code: string;
  readonly message: string;
  /** Rejected by the server (`true`, kept in the client's inbox until dismissed) or locally. */
  readonly fromServer: boolean;
}

export interface Demo {
  readonly client: DemoClient;
  readonly boardId: string;
  /** Shows a toast. */
  readonly notify: (toast: Toast) => void;
}

export const DemoContext = createContext<Demo | null>(null);

export function useDemo(): Demo {
  const demo = useContext(DemoContext);
  if (!demo) throw new Error('useDemo: no <DemoContext.Provider> above');
  return demo;
}

/**
 * Runs a command for the UI: a local refusal becomes a toast; the server's verdict arrives
 * through `onRejected` (see Toasts), so the other promises are only kept from going unhandled.
 */
export function run<N extends CommandName<KanbanApp>>(demo: Demo, name: N, args: CommandArgs<KanbanApp, N>): void {
  const execution = demo.client.execute(name, args);
  execution.durable.catch(() => {});
  execution.confirmed.catch(() => {});
  execution.applied.catch((error: unknown) => {
    const { code, message } = error as { code?: string; message?: string };
    demo.notify({
      id: execution.id,
      command: name,
      code: code ?? 'error',
      message: message ?? String(error),
      fromServer: false,
    });
  });
}

/** A fresh id for a new card: letters, digits and `-`, as the app's ids must be. */
export const newCardId = (): string => `card-${crypto.randomUUID().slice(0, 13)}`;
