import type { AnyApp, TableReader } from '../../shared/index.ts';
import type { EventStore } from '../store/port.ts';
import type { InProcessPush } from './saga-commands.ts';

/** What the server hands the reaction runner when it attaches: the feed and the push pipeline. */
export interface ReactionHost {
  readonly app: AnyApp;
  readonly store: EventStore;
  readonly push: InProcessPush;
  read(scope: string): Promise<{ readonly tables: TableReader; readonly head: number }>;
}
