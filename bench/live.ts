import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServerChild } from '../tests/support/server-child.ts';
import { startServer } from '../tests/support/server-process.ts';
import { type BenchRow, printTable, progress, quantile, runsSpread, type Summary, summary } from './report.ts';

const SUBSCRIBERS = [1, 100, 1000] as const;
/** Commits per run at each subscriber count: every subscriber times every commit. */
const ROUNDS: Record<number, number> = { 1: 100, 100: 30, 1000: 10 };
const SCOPE = 'board:live';

/**
 * Commit → live subscriber on loopback: `n` SSE clients follow one scope of the real server
 * (SQLite, in this process), one more client pushes a command, and each subscriber times the
 * event's arrival from the start of that push. The floor, in the same run and the same way: a
 * bare node:http SSE echo, whose POST writes its body to every open stream.
 */
export async function benchLive(runs: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-bench-live-'));
  const server = await startServer(path.join(dir, 'live.db'), {
    limits: { requestsPerSecond: 1e9, requestBurst: 1e9 },
  });
  const echo = await startEcho();
  try {
    await push(server.url, 'writer', 1, 'createBoard', { boardId: 'live', title: 'Live' });
    await push(server.url, 'writer', 2, 'addColumn', { boardId: 'live', columnId: 'todo', title: 'To do' });
    await push(server.url, 'writer', 3, 'addCard', { boardId: 'live', cardId: 'c0', columnId: 'todo', title: 't' });
    let seq = 3;
    const rows: BenchRow[] = [];
    for (const n of SUBSCRIBERS) {
      const weft: Array<{ p50: number; p99: number }> = [];
      const floor: Array<{ p50: number; p99: number }> = [];
      for (let r = 0; r < runs; r++) {
        console.log(`bench: live: ${n} subscribers, run ${r + 1}/${runs} ...`);
        weft.push(
          await measure(
            n,
            ROUNDS[n] ?? 10,
            `${server.url}/v1/live?scope=${encodeURIComponent(`${SCOPE}:${seq}`)}`,
            (i) => {
              seq++;
              const title = `live ${n}-${r}-${i}`;
              return {
                marker: title,
                send: () => push(server.url, 'writer', seq, 'renameCard', { boardId: 'live', cardId: 'c0', title }),
              };
            },
          ),
        );
        floor.push(
          await measure(n, ROUNDS[n] ?? 10, `${echo.url}/live`, (i) => {
            const marker = `echo ${n}-${r}-${i}`;
            return { marker, send: () => echoPost(echo.url, marker) };
          }),
        );
      }
      const w50 = summary(weft.map((s) => s.p50));
      const w99 = summary(weft.map((s) => s.p99));
      const f50 = summary(floor.map((s) => s.p50));
      const f99 = summary(floor.map((s) => s.p99));
      const spread = (s: Summary) => runsSpread(s, `${ROUNDS[n]} commits × ${n} subscribers per run`);
      rows.push(
        {
          what: `floor: SSE echo on loopback (node:http), ${n} subscribers, p50`,
          value: f50.median,
          unit: 'ms',
          spread: spread(f50),
        },
        {
          what: `weft commit → live subscriber, loopback, ${n} subscribers, p50 (push request start → event read)`,
          value: w50.median,
          unit: 'ms',
          spread: spread(w50),
          floor: { what: 'SSE echo p50', value: f50.median },
          target: { text: 'p50 ≤ 3 ms', met: w50.median <= 3 },
        },
        {
          what: `weft commit → live subscriber, ${n} subscribers, p99`,
          value: w99.median,
          unit: 'ms',
          spread: spread(w99),
          floor: { what: 'SSE echo p99', value: f99.median },
          ...(n === 1000 ? { target: { text: 'p99 ≤ 15 ms at 1,000', met: w99.median <= 15 } } : {}),
        },
      );
    }
    const perStream: number[] = [];
    for (let r = 0; r < runs; r++) {
      console.log(`bench: live: server memory per stream, run ${r + 1}/${runs} ...`);
      perStream.push(await measureStreamMemory(path.join(dir, `memory-${r}.db`)));
    }
    const memory = summary(perStream);
    rows.push({
      what: `server memory per open live stream (RSS growth of a server process over ${MEMORY_STREAMS.toLocaleString('en-US')} streams)`,
      value: memory.median / 1024,
      unit: 'kB',
      spread: runsSpread(memory, 'in bytes; the server in its own process, 100 users'),
      target: { text: '≤ 20 kB (issue 15)', met: memory.median <= 20 * 1024 },
    });
    return printTable('Live stream (commit → subscriber, loopback, server in this process)', rows);
  } finally {
    await echo.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const MEMORY_STREAMS = 1000;

/**
 * Bytes of resident memory a server process grows by per open live stream: a server of its
 * own (so the clients' memory is not counted), `MEMORY_STREAMS` streams opened on one scope by
 * 100 users, RSS read from /proc before and after (Linux).
 */
async function measureStreamMemory(file: string): Promise<number> {
  const server = await startServerChild(file);
  const streams: Array<{ close(): void }> = [];
  try {
    await push(server.url, 'writer', 1, 'createBoard', { boardId: 'mem', title: 'Memory' });
    const url = `${server.url}/v1/live?scope=${encodeURIComponent('board:mem:1')}`;
    // One stream first, so what every server allocates once (the SSE code path) is not counted.
    streams.push(await subscribe(url, 'warm'));
    const pid = server.child.pid ?? 0;
    const before = rss(pid);
    for (let i = 0; i < MEMORY_STREAMS; i += 100) {
      const batch = Array.from({ length: Math.min(100, MEMORY_STREAMS - i) }, (_, j) =>
        subscribe(url, `mem${(i + j) % 100}`),
      );
      streams.push(...(await Promise.all(batch)));
    }
    // A heartbeat round (1 s in this server), so every stream has written once.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return (rss(pid) - before) / MEMORY_STREAMS;
  } finally {
    for (const stream of streams) stream.close();
    await server.stop();
  }
}

/** A process's resident set size in bytes, from /proc (Linux). */
function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`bench: no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Opens `n` SSE streams at `url`, then `rounds` times sends one message (`next(i)`) and waits
 * until every stream has read its marker; the p50 and p99 of all arrival times.
 */
async function measure(
  n: number,
  rounds: number,
  url: string,
  next: (i: number) => { marker: string; send: () => Promise<unknown> },
): Promise<{ p50: number; p99: number }> {
  const streams = await Promise.all(Array.from({ length: n }, (_, i) => subscribe(url, `sub${i}`)));
  try {
    const samples: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const { marker, send } = next(i);
      const started = performance.now();
      const arrived = streams.map((stream) => stream.wait(marker));
      await send();
      for (const at of await Promise.all(arrived)) samples.push(at - started);
      progress(`live rounds (${n} subscribers)`, i + 1, rounds);
    }
    return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
  } finally {
    for (const stream of streams) stream.close();
  }
}

/** One SSE client on its own connection; `wait(marker)` resolves with the time it read it. */
function subscribe(url: string, user: string): Promise<{ wait(marker: string): Promise<number>; close(): void }> {
  return new Promise((resolve, reject) => {
    let tail = '';
    let waiting: { marker: string; done: (at: number) => void } | null = null;
    const request = http.get(
      url,
      { agent: false, headers: { authorization: `Bearer demo:${user}`, accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`bench: live stream answered ${response.statusCode}`));
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const text = tail + chunk;
          tail = text.slice(-200); // a marker split across two chunks
          if (waiting && text.includes(waiting.marker)) {
            const { done } = waiting;
            waiting = null;
            done(performance.now());
          }
        });
        response.on('error', () => undefined);
        resolve({
          wait: (marker) =>
            new Promise((done) => {
              waiting = { marker, done };
            }),
          close: () => request.destroy(),
        });
      },
    );
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
  });
}

async function push(url: string, clientId: string, seq: number, name: string, args: unknown): Promise<void> {
  const res = await fetch(`${url}/v1/push`, {
    method: 'POST',
    headers: { authorization: `Bearer demo:${clientId}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      clientId,
      commands: [{ id: `${clientId}-${seq}`, seq, name, args, at: 1_700_000_000_000 + seq, baseSeq: seq - 1 }],
    }),
  });
  const body = (await res.json()) as { results?: Array<{ status: string }> };
  if (res.status !== 200 || body.results?.[0]?.status !== 'applied') {
    throw new Error(`bench: live push failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

async function echoPost(url: string, marker: string): Promise<void> {
  const res = await fetch(`${url}/push`, { method: 'POST', body: JSON.stringify({ marker }) });
  await res.text();
}

/** The floor: GET /live holds an SSE stream open; POST /push writes its body to every stream. */
async function startEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.url === '/live') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': ready\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      for (const stream of streams) stream.write(`event: events\ndata: ${body}\n\n`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
