import type { LiveMessage } from '../../shared/index.ts';

/** Reads `GET /v1/live` as a client would: fetch, so the Authorization header travels. */
export async function openLive(url: string, token: string, cursors: string[]) {
  const controller = new AbortController();
  const query = cursors.map((c) => `scope=${encodeURIComponent(c)}`).join('&');
  const res = await fetch(`${url}/v1/live?${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const messages: LiveMessage[] = [];
  const waiters: Array<() => void> = [];
  const done = (async () => {
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/mu.exec(frame)?.[1];
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (event === 'events') messages.push(JSON.parse(data) as LiveMessage);
          for (const wake of waiters.splice(0)) wake();
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    response: res,
    messages,
    /** Resolves when the stream ends, by the server closing it or by `close()`. */
    ended: done,
    /** Resolves once `predicate` holds over the messages received so far. */
    async until(predicate: (messages: LiveMessage[]) => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`live stream: condition not met; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}
