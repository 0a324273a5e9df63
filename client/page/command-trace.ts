/**
 * One step of a command's life as this page saw it, for tools (`weft/client/devtools`) and app
 * logging: plain data, stamped with the page's clock when the step was observed. `executed`
 * carries what the command is (name, args, scope); the others only its id.
 */
export type CommandTrace =
  | {
      readonly id: string;
      readonly stage: 'executed';
      readonly at: number;
      readonly name: string;
      readonly args: unknown;
      /** The scope the command targets (its definition's `scope(args)`); `null` if that threw. */
      readonly scope: string | null;
    }
  | { readonly id: string; readonly stage: 'applied' | 'durable' | 'confirmed'; readonly at: number }
  | {
      readonly id: string;
      readonly stage: 'rejected';
      readonly at: number;
      readonly code: string;
      readonly message: string;
    };
