import { afterEach } from 'vitest';

/**
 * A list a test file pushes what it opens onto (engines, stores): each is closed after its
 * test, even a failed one, so the next test starts clean.
 */
export function closedAfterEach<T extends { close(): Promise<void> }>(): T[] {
  const opened: T[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((item) => item.close()));
  });
  return opened;
}
