// Replicache's whole client, bundled the same way as weft's worker, for comparison.
export { Replicache } from 'replicache';
