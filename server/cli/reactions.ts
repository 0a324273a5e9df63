import { parseArgs } from 'node:util';
import * as v from 'valibot';

const USAGE = `usage: weft reactions --url URL --token TOKEN [--json] [--resume NAME]

  --url URL          a running weft server
  --token TOKEN      the admin's bearer token (default: $WEFT_TOKEN)
  --json             print the server's JSON ({ reactions }) for scripts
  --resume NAME      re-deliver the parked events of reaction NAME`;

/** Where the command writes: `process.stdout` or a test's capture. */
export interface Writer {
  write(text: string): unknown;
}

const StatusSchema = v.object({
  name: v.string(),
  state: v.string(),
  checkpoint: v.number(),
  lag: v.number(),
  attempts: v.number(),
  failures: v.number(),
  parked: v.number(),
  lastError: v.nullable(v.object({ message: v.string(), at: v.number() })),
});
const ResponseSchema = v.object({ reactions: v.array(v.looseObject(StatusSchema.entries)) });

/** `weft reactions …`: each reaction's checkpoint, lag, failures and parked events. Returns the exit code. */
export async function reactionsMain(
  argv: string[],
  out: Writer = process.stdout,
  err: Writer = process.stderr,
): Promise<number> {
  if (argv.includes('--help')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  let values: { url?: string; token?: string; json?: boolean; resume?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        resume: { type: 'string' },
      },
    }));
  } catch (error) {
    err.write(`weft reactions: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const token = values.token ?? process.env.WEFT_TOKEN;
  if (!values.url || !token) {
    err.write(`weft reactions: --url and --token (or $WEFT_TOKEN) are required\n${USAGE}\n`);
    return 2;
  }
  const base = values.url.replace(/\/$/u, '');
  const call = async (path: string, method = 'GET'): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new Error(`the server answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? 'no message'}`);
    }
    return body;
  };
  try {
    if (values.resume !== undefined) {
      const body = await call(`/v1/reactions/${encodeURIComponent(values.resume)}/resume`, 'POST');
      out.write(`${values.json ? JSON.stringify(body) : `resumed ${(body as { resumed: number }).resumed} parked`}\n`);
      return 0;
    }
    const body = v.parse(ResponseSchema, await call('/v1/reactions'));
    out.write(`${values.json ? JSON.stringify(body) : formatReactions(body.reactions)}\n`);
    return 0;
  } catch (error) {
    err.write(`weft reactions: ${(error as Error).message}\n`);
    return 1;
  }
}

export function formatReactions(reactions: ReadonlyArray<v.InferOutput<typeof StatusSchema>>): string {
  const header = ['REACTION', 'STATE', 'CHECKPOINT', 'LAG', 'ATTEMPTS', 'FAILURES', 'PARKED', 'LAST ERROR'];
  const rows = reactions.map((r) => [
    r.name,
    r.state,
    String(r.checkpoint),
    String(r.lag),
    String(r.attempts),
    String(r.failures),
    String(r.parked),
    r.lastError ? `${new Date(r.lastError.at).toISOString()} ${r.lastError.message}`.slice(0, 80) : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
