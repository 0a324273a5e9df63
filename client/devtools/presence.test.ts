import { afterEach, describe, expect, it } from 'vitest';
import { Presence } from './presence.ts';
import { scriptedClient } from './scripted-client.ts';

const open: Presence[] = [];
afterEach(() => {
  for (const presence of open.splice(0)) presence.close();
});

describe('devtools presence across tabs', () => {
  it("finds the other tabs of a client when asked, each with whether it leads, and not another client's", async () => {
    const leader = scriptedClient();
    const follower = scriptedClient();
    follower.setStatus({ leader: false });
    const [here, leaderTab, otherClient] = [
      new Presence(follower, 'app-a'),
      new Presence(leader, 'app-a'),
      new Presence(scriptedClient(), 'app-b'),
    ];
    open.push(here, leaderTab, otherClient);
    let changes = 0;
    here.onChange = () => changes++;
    expect(here.tabs()).toEqual([]); // nothing is sent until asked
    here.ping();
    await expect.poll(() => here.tabs().length).toBe(1);
    expect(here.tabs()[0]?.leader).toBe(true);
    expect(changes).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(here.tabs()).toHaveLength(1); // the other client's tab stayed silent
  });
});
