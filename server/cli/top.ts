import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { parsePrometheus, type Sample } from './prometheus-text.ts';
import type { Writer } from './reactions.ts';
import { formatTop, topFigures } from './top-figures.ts';

const USAGE = `usage: weft top --url URL --token TOKEN [--interval SECONDS] [--count N] [--json]

  --url URL          a running weft server
  --token TOKEN      the admin's bearer token (GET /metrics; default: $WEFT_TOKEN)
  --interval S       seconds between refreshes (default 1; 0.2 to 60)
  --count N          stop after N refreshes (default: until Ctrl-C)
  --json             one JSON line of figures per refresh, for scripts`;

const Decimal = (min: number, max: number, what: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/u, `${what} must be a number`),
    v.transform(Number),
    v.minValue(min, `${what} must be at least ${min}`),
    v.maxValue(max, `${what} must be at most ${max}`),
  );

const ArgsSchema = v.object({
  url: v.pipe(
    v.string('--url is required'),
    v.url('--url must be an http(s) URL'),
    v.regex(/^https?:/u, '--url must be an http(s) URL'),
  ),
  token: v.pipe(
    v.string('--token (or $WEFT_TOKEN) is required'),
    v.minLength(1, '--token (or $WEFT_TOKEN) is required'),
  ),
  interval: v.optional(Decimal(0.2, 60, '--interval'), '1'),
  count: v.optional(v.pipe(Decimal(1, 1_000_000, '--count'), v.integer('--count must be a whole number'))),
  json: v.optional(v.boolean(), false),
});

export interface TopDeps {
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  /** Clears the screen between refreshes (default: when stdout is a terminal and not --json). */
  readonly clear?: boolean;
}

/**
 * `weft top`: the server's vital signs from `GET /metrics` (admin token), refreshed every
 * second: push rate, rejection and lost-update rates, live connections, slowest scopes and
 * reactions lag. Returns the exit code (2 for bad arguments, 1 when the server refuses).
 */
export async function topMain(
  argv: string[],
  out: Writer = process.stdout,
  err: Writer = process.stderr,
  deps: TopDeps = {},
): Promise<number> {
  if (argv.includes('--help')) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        interval: { type: 'string' },
        count: { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    err.write(`weft top: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const parsed = v.safeParse(ArgsSchema, {
    ...values,
    token: values.token ?? process.env.WEFT_TOKEN,
  });
  if (!parsed.success) {
    err.write(`weft top: ${parsed.issues[0].message}\n${USAGE}\n`);
    return 2;
  }
  const { url, token, interval, count, json } = parsed.output;
  const base = url.replace(/\/$/u, '');
  const get = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? (() => new Date());
  const clear = deps.clear ?? (!json && (out as { isTTY?: boolean }).isTTY === true);
  const scrape = async (): Promise<{ samples: Sample[]; at: number }> => {
    const res = await get(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        // not JSON: the status says enough
      }
      throw new Error(`the server answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? 'no message'}`);
    }
    return { samples: parsePrometheus(text), at: performance.now() };
  };
  try {
    let before = await scrape();
    for (let shown = 0; count === undefined || shown < count; shown++) {
      await sleep(interval * 1000);
      const after = await scrape();
      const figures = topFigures(before.samples, after.samples, (after.at - before.at) / 1000);
      if (json) out.write(`${JSON.stringify({ at: now().toISOString(), ...figures })}\n`);
      else out.write(`${clear ? '\x1b[H\x1b[2J' : ''}${formatTop(base, figures, now())}\n`);
      before = after;
    }
    return 0;
  } catch (error) {
    err.write(`weft top: ${(error as Error).message}\n`);
    return 1;
  }
}
