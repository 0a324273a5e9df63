import { describe, expect, it } from 'vitest';
import { INITIAL_STATUS, StatusStore } from './status.ts';

describe('StatusStore', () => {
  it('clears a network error once the server is reached again, and keeps other errors', () => {
    const status = new StatusStore(INITIAL_STATUS);
    status.update({ online: false, lastError: { code: 'network', message: 'offline', at: 1 } });
    expect(status.get().lastError?.code).toBe('network');
    status.update({ online: true });
    expect(status.get().lastError).toBeNull();

    status.update({ lastError: { code: 'upgrade_required', message: 'update the app', at: 2 } });
    status.update({ online: true });
    expect(status.get().lastError?.code).toBe('upgrade_required');
  });
});
