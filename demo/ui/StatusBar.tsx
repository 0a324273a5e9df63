import { useEffect, useState } from 'react';
import { useStatus } from '../../client/react.ts';
import { useDemo } from './demo-context.ts';

export interface StatusBarProps {
  /** Where the switch's position is mirrored (see session.ts `onlineKey`); none in tests. */
  readonly storageKey?: string;
  readonly storage?: Storage;
}

/** Online/offline with its switch, pending commands, sync state and the last error. */
export function StatusBar({ storageKey, storage }: StatusBarProps) {
  const { client } = useDemo();
  const status = useStatus(client);
  const [wanted, setWanted] = useState(() => (storageKey && storage?.getItem(storageKey)) !== 'false');

  // Another tab of this client flipped the switch (the client itself applies it to every tab).
  useEffect(() => {
    if (!storageKey || typeof window === 'undefined') return;
    const listener = (event: StorageEvent) => {
      if (event.key === storageKey) setWanted(event.newValue !== 'false');
    };
    window.addEventListener('storage', listener);
    return () => window.removeEventListener('storage', listener);
  }, [storageKey]);

  const toggle = (online: boolean) => {
    setWanted(online);
    if (storageKey) storage?.setItem(storageKey, String(online));
    void client.setOnline(online);
  };

  const sync = status.upgradeRequired
    ? 'upgrade required'
    : !wanted
      ? 'paused'
      : status.syncing
        ? 'syncing'
        : status.online
          ? status.pending > 0
            ? 'waiting'
            : 'in sync'
          : 'reconnecting';
  return (
    <div className="status-bar" data-testid="status-bar">
      <span
        className={`dot ${status.online ? 'online' : 'offline'}`}
        data-testid="status-online"
        data-online={status.online ? 'true' : 'false'}
      >
        {status.online ? 'online' : 'offline'}
      </span>
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          aria-checked={wanted}
          data-testid="online-switch"
          checked={wanted}
          onChange={(event) => toggle(event.target.checked)}
        />
        sync {wanted ? 'on' : 'off'}
      </label>
      <span>
        pending <strong data-testid="status-pending">{status.pending}</strong>
      </span>
      <span data-testid="status-sync" data-sync={sync}>
        {sync}
      </span>
      {status.leader && (
        <span className="leader" title="this tab runs the engine for all tabs" data-testid="status-leader">
          leader
        </span>
      )}
      {storageNote(status) && (
        <span className="error" data-testid="status-storage" data-storage={status.storage}>
          {storageNote(status)}
        </span>
      )}
      {status.lastError && (
        <span className="error" data-testid="status-error" title={new Date(status.lastError.at).toLocaleString()}>
          {status.lastError.code}: {status.lastError.message}
        </span>
      )}
    </div>
  );
}

/** Storage trouble the user must know of (G16), in a few words; null when storage is fine. */
function storageNote(status: { storage: string; storageLost: boolean }): string | null {
  if (status.storage === 'full') return 'storage full: new changes are refused';
  if (status.storage === 'failed') return 'storage failing: new changes are refused';
  if (status.storage === 'memory') return 'not persisted: changes live in this tab until synced';
  if (status.storageLost) return 'local data was lost: unsynced changes on this device may be gone';
  return null;
}
