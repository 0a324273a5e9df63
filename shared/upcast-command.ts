import type { AnyApp, CommandForm } from './define-app.ts';

/** A command in its current form, or why an upcaster failed on it. */
export type UpcastResult =
  | ({ readonly ok: true } & CommandForm)
  | { readonly ok: false; readonly code: 'bad_request'; readonly message: string };

/**
 * Brings a command issued under app version `from` to the app's current version, one
 * upcaster step at a time (`upcasters[from]`, then `upcasters[from + 1]`, …). Pure: the
 * client (its outbox after an upgrade) and the server (an older client inside the accepted
 * window) get the same form from the same command. A command from a newer version than the
 * app is returned unchanged; the server refuses such a client before anything runs.
 *
 * @example
 * const current = upcastCommand(app, { name: 'addItem', args: { text: 'a' } }, 1);
 */
export function upcastCommand(app: AnyApp, command: CommandForm, from: number): UpcastResult {
  let form: CommandForm = { name: command.name, args: command.args };
  for (let version = from; version < app.version; version++) {
    const step = app.upcasters?.[version];
    if (!step) continue;
    try {
      const next: unknown = step(form);
      if (!isForm(next)) throw new TypeError('it returned no { name, args }');
      form = { name: next.name, args: next.args };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, code: 'bad_request', message: `upcasting ${command.name} from version ${version}: ${why}` };
    }
  }
  return { ok: true, ...form };
}

function isForm(value: unknown): value is CommandForm {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string';
}
