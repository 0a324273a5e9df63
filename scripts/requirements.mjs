// What the test suite needs from the system beyond npm packages, and where Debian has it.
// Each part of the suite that needs one of these adds it here, so `npm test` installs it or
// names it, and never skips that part.
import { existsSync } from 'node:fs';

export const requirements = [
  {
    what: 'Chromium (the real-browser tests)',
    debianPackage: 'chromium',
    present: () => existsSync('/usr/bin/chromium'),
  },
  {
    what: 'PostgreSQL 15 (the PostgreSQL store tests)',
    debianPackage: 'postgresql',
    present: () => existsSync('/usr/lib/postgresql/15/bin/initdb') && existsSync('/usr/lib/postgresql/15/bin/pg_ctl'),
  },
];
