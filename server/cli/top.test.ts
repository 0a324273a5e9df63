import { describe, expect, it } from 'vitest';
import { parsePrometheus } from './prometheus-text.ts';
import { topMain } from './top.ts';
import { topFigures } from './top-figures.ts';

const scrape = (lines: string[]) => `# HELP x y\n# TYPE x counter\n${lines.join('\n')}\n`;

const BEFORE = scrape([
  'weft_commands_total{outcome="clean"} 10',
  'weft_commands_total{outcome="rebased"} 2',
  'weft_commands_total{outcome="diverged"} 0',
  'weft_commands_total{outcome="rejected"} 1',
  'weft_commands_total{outcome="duplicate"} 5',
  'weft_push_duration_seconds_sum 0.05',
  'weft_push_duration_seconds_count 10',
  'weft_scope_push_seconds_total{scope="board:a"} 0.010',
  'weft_scope_pushes_total{scope="board:a"} 5',
  'weft_scope_push_seconds_total{scope="board:b"} 0.002',
  'weft_scope_pushes_total{scope="board:b"} 2',
  'weft_live_connections 3',
]);
const AFTER = scrape([
  'weft_commands_total{outcome="clean"} 16',
  'weft_commands_total{outcome="rebased"} 3',
  'weft_commands_total{outcome="diverged"} 1',
  'weft_commands_total{outcome="rejected"} 3',
  'weft_commands_total{outcome="duplicate"} 50',
  'weft_push_duration_seconds_sum 0.09',
  'weft_push_duration_seconds_count 14',
  'weft_scope_push_seconds_total{scope="board:a"} 0.014',
  'weft_scope_pushes_total{scope="board:a"} 9',
  'weft_scope_push_seconds_total{scope="board:b"} 0.032',
  'weft_scope_pushes_total{scope="board:b"} 5',
  'weft_scope_push_seconds_total{scope="board:idle"} 1',
  'weft_scope_pushes_total{scope="board:idle"} 1',
  'weft_live_connections 7',
  'weft_reaction_lag{reaction="mailer"} 12',
  'weft_scope_quarantined 0',
]);

describe('weft top', () => {
  it('computes rates between two scrapes: push rate, rejection and lost-update shares, slowest scopes, lag', () => {
    const before = parsePrometheus(BEFORE);
    // The idle scope's counters were already there before: no push in the interval.
    const withIdle = [
      ...before,
      ...parsePrometheus(
        scrape([
          'weft_scope_push_seconds_total{scope="board:idle"} 1',
          'weft_scope_pushes_total{scope="board:idle"} 1',
        ]),
      ),
    ];
    const figures = topFigures(withIdle, parsePrometheus(AFTER), 2);
    expect(figures.pushRate).toBe(10 / 2); // 6 clean + 1 rebased + 1 diverged + 2 rejected, duplicates left out
    expect(figures.rejectionRate).toBeCloseTo(0.2);
    expect(figures.lostUpdateRate).toBeCloseTo(0.1);
    expect(figures.rebasedRate).toBeCloseTo(0.1);
    expect(figures.pushMs).toBeCloseTo(10);
    expect(figures.liveConnections).toBe(7);
    expect(figures.slowestScopes.map((s) => s.scope)).toEqual(['board:b', 'board:a']);
    expect(figures.slowestScopes[0]?.ms).toBeCloseTo(10);
    expect(figures.slowestScopes[1]?.ms).toBeCloseTo(1);
    expect(figures.reactionLag).toEqual([{ reaction: 'mailer', lag: 12 }]);
  });

  it('says "no data" rather than 0 % when nothing settled, and counts a restarted counter from zero', () => {
    const same = topFigures(parsePrometheus(AFTER), parsePrometheus(AFTER), 1);
    expect(same.rejectionRate).toBeNull();
    expect(same.pushMs).toBeNull();
    expect(same.slowestScopes).toEqual([]);
    const restarted = topFigures(
      parsePrometheus(AFTER),
      parsePrometheus(scrape(['weft_commands_total{outcome="clean"} 4'])),
      1,
    );
    expect(restarted.pushRate).toBe(4);
  });

  it('refreshes from /metrics with the token and prints the figures', async () => {
    const texts = [BEFORE, AFTER, AFTER];
    const calls: Array<{ url: string; auth: string | null }> = [];
    const out: string[] = [];
    const code = await topMain(
      ['--url', 'http://weft.test/', '--token', 'admin-t', '--count', '2', '--json'],
      { write: (t: string) => out.push(t) },
      { write: () => true },
      {
        fetch: (async (url: string, init?: RequestInit) => {
          calls.push({ url, auth: new Headers(init?.headers).get('authorization') });
          return new Response(texts.shift() ?? AFTER);
        }) as typeof fetch,
        sleep: async () => undefined,
      },
    );
    expect(code).toBe(0);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({ url: 'http://weft.test/metrics', auth: 'Bearer admin-t' });
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pushRate: number; liveConnections: number });
    expect(lines).toHaveLength(2);
    expect(lines[0]?.liveConnections).toBe(7);
    expect(lines[1]?.pushRate).toBe(0);

    const screen: string[] = [];
    await topMain(
      ['--url', 'http://weft.test', '--token', 't', '--count', '1'],
      { write: (t: string) => screen.push(t) },
      { write: () => true },
      {
        fetch: (async () => new Response(AFTER)) as unknown as typeof fetch,
        sleep: async () => undefined,
      },
    );
    expect(screen.join('')).toMatch(/live connections\s+7/u);
    expect(screen.join('')).toMatch(/mailer\s+12/u);
  });

  it('refuses bad arguments with exit code 2 and a refused token with 1', async () => {
    const run = async (args: string[], response = new Response('')) => {
      const err: string[] = [];
      const code = await topMain(
        args,
        { write: () => true },
        { write: (t: string) => err.push(t) },
        {
          fetch: (async () => response) as unknown as typeof fetch,
          sleep: async () => undefined,
        },
      );
      return { code, err: err.join('') };
    };
    const saved = process.env.WEFT_TOKEN;
    delete process.env.WEFT_TOKEN;
    try {
      expect(await run(['--url', 'http://x'])).toMatchObject({ code: 2, err: expect.stringContaining('--token') });
      expect(await run(['--token', 't'])).toMatchObject({ code: 2, err: expect.stringContaining('--url') });
      expect(await run(['--url', 'ftp://x', '--token', 't'])).toMatchObject({ code: 2 });
      expect(await run(['--url', 'http://x', '--token', 't', '--interval', '0.01'])).toMatchObject({
        code: 2,
        err: expect.stringContaining('--interval must be at least 0.2'),
      });
      expect(await run(['--url', 'http://x', '--token', 't', '--count', 'lots'])).toMatchObject({ code: 2 });
      expect(await run(['--url', 'http://x', '--token', 't', '--nope'])).toMatchObject({ code: 2 });
    } finally {
      if (saved !== undefined) process.env.WEFT_TOKEN = saved;
    }
    const forbidden = new Response(
      JSON.stringify({ error: { code: 'forbidden', message: 'only the admin may read metrics' } }),
      { status: 403 },
    );
    expect(await run(['--url', 'http://x', '--token', 'demo:ann', '--count', '1'], forbidden)).toMatchObject({
      code: 1,
      err: expect.stringContaining('403 forbidden'),
    });
  });
});
