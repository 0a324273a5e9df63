/**
 * How every real-browser test and benchmark starts Debian's Chromium (CONVENTIONS §16): the
 * system binary, never a downloaded one, with the flags that keep it off this machine's
 * closed network. Pass these to `chromium.launchPersistentContext(freshTempDir, …)`.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
