/** Everything the panel needs once opened, in one chunk that `mountDevtools` imports on demand. */
export { diagnosticBundle } from './diagnostics.ts';
export { renderPanel } from './panel.ts';
export { httpServer } from './server-api.ts';
