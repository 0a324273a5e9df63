import { useCallback, useEffect, useMemo, useState } from 'react';
import type { RejectedRecord } from '../../client/index.ts';
import type { DemoClient } from '../demo-client.ts';
import { type AuditFetcher, isBootstrapRace } from '../session.ts';
import { AuditPanel } from './AuditPanel.tsx';
import { Board } from './Board.tsx';
import { type Demo, DemoContext, type Toast } from './demo-context.ts';
import { StatusBar } from './StatusBar.tsx';
import { Toasts } from './Toasts.tsx';
import { UserName } from './UserName.tsx';

export interface AppProps {
  readonly client: DemoClient;
  readonly boardId: string;
  readonly userName: string;
  readonly onUserNameChange: (name: string) => void;
  readonly fetchAudit: AuditFetcher;
  /** Where the online switch's position is mirrored across reloads and tabs. */
  readonly onlineStorage?: { readonly key: string; readonly storage: Storage };
  /** Opens weft's devtools panel (weft/client/devtools); no button without it. */
  readonly onOpenDevtools?: () => void;
}

/** The demo page: status bar, the board, the audit panel and the rejection toasts. */
export function App({
  client,
  boardId,
  userName,
  onUserNameChange,
  fetchAudit,
  onlineStorage,
  onOpenDevtools,
}: AppProps) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const notify = useCallback((toast: Toast) => {
    setToasts((shown) => (shown.some((t) => t.id === toast.id) ? shown : [...shown, toast]));
  }, []);
  const demo: Demo = useMemo(() => ({ client, boardId, notify }), [client, boardId, notify]);

  // The server's rejections: the inbox left from earlier sessions, then each new one.
  useEffect(() => {
    let live = true;
    const show = (rejection: RejectedRecord) => {
      if (isBootstrapRace(rejection)) void client.dismiss([rejection.id]);
      else notify(serverToast(rejection));
    };
    const stop = client.onRejected(show);
    void client.rejections().then((inbox) => live && inbox.forEach(show));
    return () => {
      live = false;
      stop();
    };
  }, [client, notify]);

  const close = (toast: Toast) => {
    setToasts((shown) => shown.filter((t) => t.id !== toast.id));
    if (toast.fromServer) void client.dismiss([toast.id]);
  };

  return (
    <DemoContext.Provider value={demo}>
      <div className="app">
        <header className="top">
          <span className="brand">weft · kanban</span>
          <StatusBar {...(onlineStorage ? { storageKey: onlineStorage.key, storage: onlineStorage.storage } : {})} />
          <UserName name={userName} onChange={onUserNameChange} />
          {onOpenDevtools ? (
            <button type="button" className="devtools-button" data-testid="open-devtools" onClick={onOpenDevtools}>
              devtools
            </button>
          ) : null}
        </header>
        <main>
          <Board />
          <AuditPanel fetchAudit={fetchAudit} />
        </main>
        <Toasts toasts={toasts} onClose={close} />
      </div>
    </DemoContext.Provider>
  );
}

function serverToast(rejection: RejectedRecord): Toast {
  return {
    id: rejection.id,
    command: rejection.name,
    code: rejection.code,
    message: rejection.message,
    fromServer: true,
  };
}
