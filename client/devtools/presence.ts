import type { WeftClient } from '../index.ts';
import type { TabInfo } from './panel-context.ts';

type Message = { readonly kind: 'hello' } | ({ readonly kind: 'here' } & TabInfo);

/**
 * The tabs of one client that mounted the devtools, over a BroadcastChannel: a tab opening the
 * panel says hello, the others answer with whether they lead. Nothing is sent until asked.
 */
export class Presence {
  readonly #tabId = crypto.randomUUID();
  readonly #channel: BroadcastChannel | null;
  readonly #tabs = new Map<string, TabInfo>();
  readonly #client: WeftClient;
  onChange: () => void = () => undefined;

  constructor(client: WeftClient, name: string) {
    this.#client = client;
    this.#channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`weft-devtools:${name}`);
    if (this.#channel) this.#channel.onmessage = (event: MessageEvent<Message>) => this.#receive(event.data);
  }

  /** The other tabs that answered, by id. */
  tabs(): TabInfo[] {
    return [...this.#tabs.values()];
  }

  /** Asks the other tabs to announce themselves again. */
  ping(): void {
    this.#tabs.clear();
    this.#channel?.postMessage({ kind: 'hello' } satisfies Message);
  }

  close(): void {
    this.#channel?.close();
  }

  #receive(message: Message): void {
    if (message?.kind === 'hello') {
      this.#channel?.postMessage({
        kind: 'here',
        tabId: this.#tabId,
        leader: this.#client.status().leader,
        href: typeof location === 'undefined' ? '' : location.href,
        seenAt: Date.now(),
      } satisfies Message);
    } else if (message?.kind === 'here' && typeof message.tabId === 'string') {
      this.#tabs.set(message.tabId, {
        tabId: message.tabId,
        leader: message.leader === true,
        href: String(message.href),
        seenAt: Number(message.seenAt),
      });
      this.onChange();
    }
  }
}
