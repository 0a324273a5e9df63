import { exposeWeftWorker } from '../../../client/worker.ts';
import { kanban } from '../../../demo/app.ts';

exposeWeftWorker(kanban);
