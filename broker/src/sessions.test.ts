// Proves the session registry: a device's sessions beyond its cap name the least recently used (offline first) for ending, idle offline sessions expire while connected and exempt ones do not, and a clean connection or a takeover's old connection are handled.
import { describe, expect, it } from 'vitest';
import { Sessions } from './sessions.js';

let now = 0;
const make = (perDevice = 2) => new Sessions({ perDevice, expiryMs: 1000, exempt: (id) => id === 'citygrid-server', now: () => now });
const conn = (id: string, clean = false) => ({ id, clean });

describe('Sessions', () => {
  it('ends the least recently used offline session beyond the cap, a connected one only when all are', () => {
    const s = make(2);
    const a = conn('wl-1/a');
    const b = conn('wl-1/b');
    expect(s.opened(a, 'wl-1')).toEqual([]);
    now = 10;
    expect(s.opened(b, 'wl-1')).toEqual([]);
    now = 20;
    s.closed('wl-1/b', b); // b offline since 20, a still connected (since 0)
    const c = conn('wl-1/c');
    expect(s.opened(c, 'wl-1')).toEqual(['wl-1/b']); // the offline one, though a is older
    s.ended('wl-1/b');
    now = 30;
    expect(s.opened(conn('wl-1/d'), 'wl-1')).toEqual(['wl-1/a']); // all connected: the longest connected
    s.ended('wl-1/a');
    expect(s.ofDevice('wl-1').sort()).toEqual(['wl-1/c', 'wl-1/d']);
    // another device has its own cap
    expect(s.opened(conn('wl-2'), 'wl-2')).toEqual([]);
  });

  it("reconnecting to a session refreshes it; a clean connection under its id ends it; a takeover's old connection does not idle it", () => {
    const s = make(4);
    const first = conn('wl-1');
    s.opened(first, 'wl-1');
    const second = conn('wl-1');
    s.opened(second, 'wl-1'); // takeover
    s.closed('wl-1', first); // the old connection's close comes after
    expect(s.get('wl-1')!.client).toBe(second);
    s.opened(conn('wl-1', true), 'wl-1');
    expect(s.get('wl-1')).toBeUndefined();
    expect(s.size()).toBe(0);
  });

  it('expires offline sessions idle longer than the expiry; connected and exempt ones never', () => {
    const s = make(4);
    now = 0;
    const idle = conn('wl-1/idle');
    const stays = conn('wl-1/stays');
    const server = conn('citygrid-server');
    s.opened(idle, 'wl-1');
    s.opened(stays, 'wl-1');
    s.opened(server, null);
    s.closed('wl-1/idle', idle);
    s.closed('citygrid-server', server);
    now = 1000;
    expect(s.expired()).toEqual([]);
    now = 1001;
    expect(s.expired()).toEqual(['wl-1/idle']);
  });
});
