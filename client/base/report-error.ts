/**
 * Re-throws an error from app code (a listener, a subscriber) in a task of its own, as
 * `EventTarget` does: one failing callback neither stops the others nor vanishes silently.
 */
export function reportError(error: unknown): void {
  const platform = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (platform) platform(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}
