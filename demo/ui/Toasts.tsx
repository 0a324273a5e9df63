import type { Toast } from './demo-context.ts';

/** The toast area: one toast per rejected command, with its code and message, until closed. */
export function Toasts({ toasts, onClose }: { toasts: ReadonlyArray<Toast>; onClose: (toast: Toast) => void }) {
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((toast) => (
        <div className="toast" role="alert" key={toast.id} data-testid="toast" data-code={toast.code}>
          <div>
            <strong>
              {toast.fromServer ? 'The server rejected' : 'Rejected'} {toast.command}
            </strong>
            <span className="code" data-testid="toast-code">
              {toast.code}
            </span>
          </div>
          <p data-testid="toast-message">{toast.message}</p>
          <button type="button" data-testid="toast-close" aria-label="Dismiss" onClick={() => onClose(toast)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
