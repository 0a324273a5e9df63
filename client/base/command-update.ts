// The stages of a command as every layer reports them: apart from command-lifecycle.ts (the
// engine's bookkeeping), so the page and the protocol share them without importing the engine.

/** A step in one command's life, as plain data (it crosses `postMessage` unchanged). */
export type CommandUpdate =
  | { readonly id: string; readonly stage: 'durable' }
  | { readonly id: string; readonly stage: 'confirmed' }
  | { readonly id: string; readonly stage: 'rejected'; readonly code: string; readonly message: string };

export type CommandState = 'pending' | 'confirmed' | 'rejected' | 'unknown';
