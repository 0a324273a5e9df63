import type { AnyApp } from '../../shared/index.ts';
import type { WeftClient } from '../index.ts';
import type { DevtoolsRecorder } from './recorder.ts';
import type { DevtoolsServer } from './server-api.ts';

/** What every view of the panel reads and acts on; tests hand it a scripted client and server. */
export interface PanelContext {
  readonly client: WeftClient;
  readonly recorder: DevtoolsRecorder;
  /** The weft server to read audit records and events from; `null` shows local state only. */
  readonly server: DevtoolsServer | null;
  /** The app definition, to replay a scope and show the rows an event wrote; `null`: not shown. */
  readonly app: AnyApp | null;
  /** The scopes the app syncs (more show up as commands target them). */
  readonly scopes: ReadonlyArray<string>;
  /** Other tabs of this client, as announced over the devtools' BroadcastChannel. */
  readonly tabs: () => ReadonlyArray<TabInfo>;
  /** `navigator.storage.estimate()` where the platform has it. */
  readonly estimate: () => Promise<{ usage?: number; quota?: number } | null>;
  readonly now: () => number;
}

export interface TabInfo {
  readonly tabId: string;
  readonly leader: boolean;
  readonly href: string;
  readonly seenAt: number;
}

/** One view of the panel: its element, a re-render, and its cleanup. */
export interface View {
  readonly el: HTMLElement;
  render(): void;
  dispose(): void;
}
