import { describe, expect, it } from 'vitest';
import { Batcher } from './worker-stream.ts';

/** A macrotask later: every microtask of the current one has run. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Batcher', () => {
  it('sends what one synchronous run sends as one message, led by the lead item when it has one', async () => {
    const posts: string[][] = [];
    let lead: string | undefined = 'status';
    const out = new Batcher<string>((items) => posts.push(items), { lead: () => lead });
    for (let i = 0; i < 1000; i++) out.send(`item ${i}`);
    expect(posts).toEqual([]); // nothing before the microtask
    await nextTask();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.[0]).toBe('status');
    expect(posts[0]?.slice(1)).toEqual(Array.from({ length: 1000 }, (_, i) => `item ${i}`));
    lead = undefined;
    out.send('later');
    await nextTask();
    expect(posts.at(-1)).toEqual(['later']);
  });

  it('holds the batch until the work settles, so an answer travels with the items sent before it', async () => {
    const posts: string[][] = [];
    const out = new Batcher<string>((items) => posts.push(items));
    let answer: () => void = () => undefined;
    const work = new Promise<void>((resolve) => {
      answer = resolve;
    });
    out.hold(work.then(() => out.send('answer')));
    out.send('rows');
    await Promise.resolve();
    await Promise.resolve();
    expect(posts).toEqual([]);
    answer();
    await nextTask();
    expect(posts).toEqual([['rows', 'answer']]);
  });

  it('never holds past the next task: a slow answer does not keep back what else was sent', async () => {
    const posts: string[][] = [];
    const out = new Batcher<string>((items) => posts.push(items));
    out.hold(new Promise(() => undefined)); // never settles
    out.send('rows');
    await nextTask();
    await nextTask();
    expect(posts).toEqual([['rows']]);
  });

  it('sends as it goes past `max` items, so the other side starts on a long loop before it ends', () => {
    const posts: number[][] = [];
    const out = new Batcher<number>((items) => posts.push(items), { max: 256 });
    for (let i = 0; i < 600; i++) out.send(i);
    expect(posts.map((items) => items.length)).toEqual([256, 256]);
    out.flush();
    expect(posts.flat()).toEqual(Array.from({ length: 600 }, (_, i) => i));
  });

  it('sends a touched lead in a later task, once for a burst of touches', async () => {
    const posts: string[][] = [];
    let version = 0;
    let sent = -1;
    const out = new Batcher<string>((items) => posts.push(items), {
      lead: () => {
        if (sent === version) return undefined;
        sent = version;
        return `status ${version}`;
      },
    });
    for (let i = 0; i < 50; i++) {
      version++;
      out.touch();
    }
    await nextTask();
    await nextTask();
    expect(posts).toEqual([['status 50']]);
  });
});
