// The page API with the devtools mounted: what `mountDevtools` adds at once, and the panel's lazy chunk.

export { mountDevtools } from '../../client/devtools/index.ts';
export { CommandError, createClient } from '../../client/index.ts';
export { useQuery, useStatus } from '../../client/react.ts';
