// The weft worker of the bench page: the kanban engine, exposed with Comlink (as the demo's).

import { exposeWeftWorker } from '../../../client/worker-entry.ts';
import { kanban } from '../../../demo/app.ts';

exposeWeftWorker(kanban);
