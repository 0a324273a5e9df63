import type { WeftClient } from '../client/index.ts';
import type { KanbanApp } from './app.ts';

/** The client the demo's UI talks to: weft's main-thread API over the kanban app (DESIGN §3). */
export type DemoClient = WeftClient<KanbanApp>;
