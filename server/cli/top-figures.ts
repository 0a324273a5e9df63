import { byLabel, type Sample, total } from './prometheus-text.ts';

/** What `weft top` shows for one interval: rates between two scrapes, gauges from the newer. */
export interface TopFigures {
  readonly seconds: number;
  /** Commands settled per second (duplicates excluded). */
  readonly pushRate: number;
  /** Shares of the settled commands in the interval, 0..1 (`null` when none settled). */
  readonly rejectionRate: number | null;
  /** `diverged`: applied, but its events differ from what the client computed offline. */
  readonly lostUpdateRate: number | null;
  readonly rebasedRate: number | null;
  /** Mean time to handle one `POST /v1/push` in the interval, ms (`null` with no push). */
  readonly pushMs: number | null;
  readonly liveConnections: number;
  /** The scopes pushes held longest on average in the interval, slowest first. */
  readonly slowestScopes: ReadonlyArray<{ scope: string; ms: number; pushes: number }>;
  /** Audit records each reaction is behind the newest. */
  readonly reactionLag: ReadonlyArray<{ reaction: string; lag: number }>;
  readonly quarantinedScopes: number;
}

const OUTCOMES = ['clean', 'rebased', 'diverged', 'rejected'] as const;

/** Compares two scrapes `seconds` apart. A counter that went down (a restart) counts from zero. */
export function topFigures(before: ReadonlyArray<Sample>, after: ReadonlyArray<Sample>, seconds: number): TopFigures {
  const delta = (name: string, where: Record<string, string> = {}) => {
    const now = total(after, name, where);
    const then = total(before, name, where);
    return now >= then ? now - then : now;
  };
  const settled = Object.fromEntries(OUTCOMES.map((o) => [o, delta('weft_commands_total', { outcome: o })])) as Record<
    (typeof OUTCOMES)[number],
    number
  >;
  const all = OUTCOMES.reduce((sum, o) => sum + settled[o], 0);
  const share = (n: number) => (all === 0 ? null : n / all);
  const pushes = delta('weft_push_duration_seconds_count');
  const pushSeconds = delta('weft_push_duration_seconds_sum');
  const scopeSecondsBefore = byLabel(before, 'weft_scope_push_seconds_total', 'scope');
  const scopePushesBefore = byLabel(before, 'weft_scope_pushes_total', 'scope');
  const scopePushesAfter = byLabel(after, 'weft_scope_pushes_total', 'scope');
  const slowest = [...byLabel(after, 'weft_scope_push_seconds_total', 'scope')]
    .map(([scope, secondsNow]) => {
      const secondsThen = scopeSecondsBefore.get(scope) ?? 0;
      const countNow = scopePushesAfter.get(scope) ?? 0;
      const countThen = scopePushesBefore.get(scope) ?? 0;
      const count = countNow >= countThen ? countNow - countThen : countNow;
      const spent = secondsNow >= secondsThen ? secondsNow - secondsThen : secondsNow;
      return { scope, ms: count === 0 ? 0 : (spent / count) * 1000, pushes: count };
    })
    .filter((s) => s.pushes > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5);
  return {
    seconds,
    pushRate: seconds > 0 ? all / seconds : 0,
    rejectionRate: share(settled.rejected),
    lostUpdateRate: share(settled.diverged),
    rebasedRate: share(settled.rebased),
    pushMs: pushes === 0 ? null : (pushSeconds / pushes) * 1000,
    liveConnections: total(after, 'weft_live_connections'),
    slowestScopes: slowest,
    reactionLag: [...byLabel(after, 'weft_reaction_lag', 'reaction')].map(([reaction, lag]) => ({ reaction, lag })),
    quarantinedScopes: total(after, 'weft_scope_quarantined'),
  };
}

/** The screen: one block of aligned lines. */
export function formatTop(url: string, figures: TopFigures, at: Date): string {
  const pct = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)} %`);
  const lines = [
    `weft top · ${url} · ${at.toISOString()} · every ${figures.seconds.toFixed(1)} s (Ctrl-C quits)`,
    '',
    `push rate          ${figures.pushRate.toFixed(1)} commands/s   mean push ${figures.pushMs === null ? '–' : `${figures.pushMs.toFixed(2)} ms`}`,
    `rejections         ${pct(figures.rejectionRate)}`,
    `lost updates       ${pct(figures.lostUpdateRate)} diverged   (${pct(figures.rebasedRate)} rebased cleanly)`,
    `live connections   ${figures.liveConnections}`,
    `quarantined scopes ${figures.quarantinedScopes}`,
    '',
    'slowest scopes (mean time a push held the scope)',
    ...(figures.slowestScopes.length === 0
      ? ['  – no push in this interval']
      : figures.slowestScopes.map(
          (s) => `  ${s.scope.padEnd(32)} ${s.ms.toFixed(2).padStart(9)} ms  ${s.pushes} push(es)`,
        )),
    '',
    'reactions lag (audit records behind)',
    ...(figures.reactionLag.length === 0
      ? ['  – no reactions']
      : figures.reactionLag.map((r) => `  ${r.reaction.padEnd(32)} ${String(r.lag).padStart(9)}`)),
  ];
  return lines.join('\n');
}
