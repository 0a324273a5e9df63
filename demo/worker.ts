import { exposeWeftWorker } from '../client/worker-entry.ts';
import { kanban } from './app.ts';

exposeWeftWorker(kanban);
