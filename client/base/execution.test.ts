import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argsAsJson, CommandError, plainJsonCopy, toExecution } from './execution.ts';

describe('toExecution', () => {
  it('a locally refused command rejects all three promises, and only applied goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const execution = toExecution(() => ({ ok: false, id: 'c1', code: 'WIP_LIMIT', message: 'full' }));
      await expect(execution.applied).rejects.toBeInstanceOf(CommandError);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(execution.durable).rejects.toMatchObject({ code: 'WIP_LIMIT' });
      await expect(execution.confirmed).rejects.toMatchObject({ code: 'WIP_LIMIT', message: 'full' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a server rejection rejects confirmed with its code without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let track: ((update: never) => void) | null = null;
      const execution = toExecution((listener) => {
        track = listener as never;
        return { ok: true, id: 'c2', seq: 1 };
      });
      await execution.applied;
      (track as unknown as (u: unknown) => void)({ id: 'c2', stage: 'rejected', code: 'NOT_FOUND', message: 'gone' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(execution.confirmed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('argsAsJson', () => {
  const roundTrip = (value: unknown) => {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  };
  // Values the JSON round trip changes or drops, mixed into plain ones: the fast copy must
  // give way to the exact path for each of them.
  const odd = fc.constantFrom(
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    new Date(0),
    { toJSON: () => 'custom' },
    () => 1,
    Object.create({ inherited: 1 }),
    JSON.parse('{"__proto__": {"polluted": true}}'),
    Object.assign(new Array(3), { 0: 1, 2: 3 }), // a hole at 1
  );
  const value = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue(),
      odd,
      fc.array(tie('any'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('any'), { maxKeys: 4 }),
    ),
  })).any;

  it('gives exactly what JSON.stringify then JSON.parse give, for any value (property)', () => {
    fc.assert(
      fc.property(value, (args) => {
        const json = argsAsJson(args);
        expect(json.ok).toBe(true);
        if (json.ok) {
          expect(json.value).toStrictEqual(roundTrip(args));
          expect(Object.getPrototypeOf(json.value ?? {})).toBe(Object.getPrototypeOf(roundTrip(args) ?? {}));
        }
      }),
    );
  });

  it('copies plain args (a later change of them changes nothing) and refuses a cycle and oversized args', () => {
    const args = { title: 'a', tags: ['x'] };
    const json = argsAsJson(args);
    args.tags.push('y');
    expect(json).toEqual({ ok: true, value: { title: 'a', tags: ['x'] } });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(argsAsJson(cycle)).toMatchObject({ ok: false, code: 'bad_request' });
    expect(argsAsJson({ text: 'x'.repeat(1024 * 1024) })).toMatchObject({ ok: false, code: 'payload_too_large' });
    expect(plainJsonCopy({ text: 'x'.repeat(400_000) })).toBeUndefined(); // near the limit: the exact path decides
  });
});
