// biome-ignore lint/style/noRestrictedImports: a test fixture; the real server under test runs the kanban app
import { kanban } from '../../../demo/app.ts';
import { exposeWeftWorker } from '../../worker.ts';

exposeWeftWorker(kanban);
