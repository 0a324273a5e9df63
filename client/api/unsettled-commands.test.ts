import { describe, expect, it } from 'vitest';
import type { CommandUpdate } from '../base/index.ts';
import { UnsettledCommands } from './unsettled-commands.ts';

describe('UnsettledCommands', () => {
  it('keeps a command through durable and drops it when it is confirmed, rejected or refused', () => {
    const heard: CommandUpdate[] = [];
    const commands = new UnsettledCommands();
    for (const id of ['a', 'b', 'c']) commands.add({ id, listener: (update) => heard.push(update) });
    commands.update({ id: 'a', stage: 'durable' });
    expect(commands.values().map((command) => command.id)).toEqual(['a', 'b', 'c']);
    commands.update({ id: 'a', stage: 'confirmed' });
    commands.update({ id: 'b', stage: 'rejected', code: 'NO', message: 'no' });
    commands.refused('c');
    expect(commands.size).toBe(0);
    // A stage for a command no longer tracked (a duplicate, a late answer) reaches nobody.
    commands.update({ id: 'a', stage: 'confirmed' });
    expect(heard.map((update) => `${update.id}:${update.stage}`)).toEqual(['a:durable', 'a:confirmed', 'b:rejected']);
  });

  it('settles every command left, once, and forgets them', () => {
    const heard: CommandUpdate[] = [];
    const commands = new UnsettledCommands();
    for (const id of ['a', 'b']) commands.add({ id, listener: (update) => heard.push(update) });
    commands.update({ id: 'a', stage: 'durable' });
    commands.settleAll((id) => ({ id, stage: 'rejected', code: 'closed', message: 'closed' }));
    commands.settleAll((id) => ({ id, stage: 'rejected', code: 'closed', message: 'again' }));
    expect(heard.map((update) => `${update.id}:${update.stage}`)).toEqual(['a:durable', 'a:rejected', 'b:rejected']);
    expect(commands.size).toBe(0);
  });
});
