import { exposeWeftWorker } from '../../../client/worker/worker.ts';
import { kanban } from '../../../demo/app.ts';

exposeWeftWorker(kanban);
