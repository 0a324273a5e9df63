import { exposeWeftWorker } from '../client/index.ts';
import { kanban } from './app.ts';

exposeWeftWorker(kanban);
