import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { protocol } from '../../shared/index.ts';
import { formatAuditTable, formatSummary, summarizeAudit } from './audit-format.ts';
import { type AuditSource, httpAuditSource, readAll, storeAuditSource } from './audit-source.ts';
import { reactionsMain } from './reactions.ts';

const USAGE = `usage: weft audit (--url URL --token TOKEN | --db FILE) [filters] [--json] [--summary] [--all]

  --url URL          a running weft server (with the admin token, or a user's token and --scope)
  --token TOKEN      the bearer token (default: $WEFT_TOKEN)
  --db FILE          read a SQLite store directly instead
filters:
  --scope S  --outcome clean|rebased|diverged|rejected  --client ID  --user ID  --command NAME
  --since TIME  --until TIME   (ISO date or ms since the epoch; since inclusive, until exclusive)
  --after ID  --limit N        (a page: records after the cursor ID, at most N, default 100)
output:
  --json             one JSON document ({ records, next }, or the summary) for scripts
  --summary          counts by outcome and command, and the top conflicting scopes (reads every match)
  --all              follow the cursor through every page`;

/** `weft audit …`: the audit log as a table, JSON or a summary. Returns the exit code. */
export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'reactions') return reactionsMain(rest, out, err);
  if (command !== 'audit' || rest.includes('--help')) {
    (command === 'audit' ? out : err).write(`${USAGE}\n`);
    return command === 'audit' ? 0 : 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        db: { type: 'string' },
        scope: { type: 'string' },
        outcome: { type: 'string' },
        client: { type: 'string' },
        user: { type: 'string' },
        command: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        summary: { type: 'boolean' },
        all: { type: 'boolean' },
      },
    }));
  } catch (error) {
    err.write(`weft audit: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const parsed = v.safeParse(protocol.AuditQuerySchema, {
    ...Object.fromEntries(
      ['scope', 'outcome', 'client', 'user', 'command', 'after', 'limit'].flatMap((k) =>
        str(k) === undefined ? [] : [[k, str(k)]],
      ),
    ),
    ...timeFilter('since', str('since')),
    ...timeFilter('until', str('until')),
  });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    err.write(`weft audit: --${issue.path?.[0]?.key ?? 'filter'}: ${issue.message}\n`);
    return 2;
  }
  const url = str('url');
  const db = str('db');
  const token = str('token') ?? process.env.WEFT_TOKEN;
  if ((url === undefined) === (db === undefined)) {
    err.write(`weft audit: give either --url or --db\n${USAGE}\n`);
    return 2;
  }
  let source: AuditSource;
  let close = async () => {};
  if (db !== undefined) {
    if (!existsSync(db)) {
      err.write(`weft audit: no such store file: ${db}\n`);
      return 2;
    }
    // Loaded only here, so `weft audit --url` works where better-sqlite3 is not installed.
    const { sqliteStore } = await import('../store/sqlite.ts');
    const store = sqliteStore({ file: db });
    source = storeAuditSource(store);
    close = () => store.close();
  } else {
    if (!token) {
      err.write('weft audit: --url needs --token (or $WEFT_TOKEN)\n');
      return 2;
    }
    source = httpAuditSource(url as string, token);
  }
  try {
    const progress = (n: number) => err.write(`weft audit: read ${n} records\r`);
    if (values.summary) {
      const summary = summarizeAudit(await readAll(source, parsed.output, progress));
      err.write('\n');
      out.write(`${values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary)}\n`);
    } else if (values.all) {
      const records = await readAll(source, parsed.output, progress);
      err.write('\n');
      out.write(`${values.json ? JSON.stringify({ records, next: null }) : formatAuditTable(records)}\n`);
    } else {
      const page = await source(parsed.output);
      if (values.json) out.write(`${JSON.stringify(page)}\n`);
      else {
        out.write(`${formatAuditTable(page.records)}\n`);
        if (page.next !== null) out.write(`more: --after ${page.next}\n`);
      }
    }
    return 0;
  } catch (error) {
    err.write(`weft audit: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await close();
  }
}

/** Accepts ms since the epoch or an ISO date, as the query's decimal string. */
function timeFilter(key: 'since' | 'until', text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  if (/^\d+$/u.test(text)) return { [key]: text };
  const ms = Date.parse(text);
  return { [key]: Number.isNaN(ms) ? text : String(ms) };
}
