// What weft adds to an app's page: the page API and the React hooks (React itself is the app's).
export { CommandError, createClient } from '../../client/index.ts';
export { useQuery, useStatus } from '../../client/react.ts';
