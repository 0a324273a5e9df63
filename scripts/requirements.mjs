// What the test suite needs from the system beyond npm packages, and where Debian has it.
// Each part of the suite that needs one of these adds it here, so `npm test` installs it or
// names it, and never skips that part.
export const requirements = [];
