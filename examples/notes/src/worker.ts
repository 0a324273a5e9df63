// The module worker: the whole engine (IndexedDB, outbox, sync, tab election) lives here.
import { exposeWeftWorker } from 'weft/client/worker';
import { notes } from './app.js';

exposeWeftWorker(notes);
