// Proves copies are recognised only when they can be told apart from a legitimate repeat (the
// message carries ts or seq, or the copy says DUP), only within the window, and that memory is bounded.
import { describe, expect, it } from 'vitest';
import { DUPLICATE_WINDOW_MS, RecentMessages } from './recent-messages.js';

const key = (device: string, payload: string, channel = 'telemetry') => RecentMessages.key(device, channel, Buffer.from(payload));
const T = 1_790_000_000_000;

describe('RecentMessages', () => {
  it('names a message by device, channel and bytes', () => {
    const p = '{"seq":1,"metrics":{"level_cm":3}}';
    expect(key('wl-1', p)).toBe(key('wl-1', p));
    expect(key('wl-1', p)).not.toBe(key('wl-2', p));
    expect(key('wl-1', p)).not.toBe(key('wl-1', p, 'event'));
    expect(key('wl-1', p)).not.toBe(key('wl-1', p.replace('3', '4')));
  });

  it('sees a copy of an identifiable message within the window, with or without DUP', () => {
    const recent = new RecentMessages();
    const k = key('wl-1', '{"seq":1,"metrics":{"level_cm":3}}');
    expect(recent.isCopy(k, T, false)).toBe(false);
    recent.remember(k, T, true);
    expect(recent.isCopy(k, T + 1000, false)).toBe(true);
    expect(recent.isCopy(k, T + 1000, true)).toBe(true);
    expect(recent.isCopy(k, T + DUPLICATE_WINDOW_MS, false)).toBe(true);
    expect(recent.isCopy(k, T + DUPLICATE_WINDOW_MS + 1, false)).toBe(false);
  });

  it('takes a repeat of an unidentifiable message as new unless it says DUP', () => {
    const recent = new RecentMessages();
    const k = key('st-1', '{"metrics":{"on":true}}');
    recent.remember(k, T, false);
    expect(recent.isCopy(k, T + 5000, false)).toBe(false); // a stuck sensor repeating itself
    expect(recent.isCopy(k, T + 5000, true)).toBe(true); // the device re-sent it
  });

  it('forgets the oldest message beyond its capacity', () => {
    const recent = new RecentMessages(DUPLICATE_WINDOW_MS, 3);
    const keys = [1, 2, 3, 4].map((i) => key('wl-1', `{"seq":${i},"metrics":{"level_cm":1}}`));
    keys.forEach((k, i) => recent.remember(k, T + i, true));
    expect(recent.size()).toBe(3);
    expect(keys.map((k) => recent.isCopy(k, T + 10, false))).toEqual([false, true, true, true]);
  });

  it('keeps one entry for a message remembered twice', () => {
    const recent = new RecentMessages(DUPLICATE_WINDOW_MS, 3);
    const k = key('st-1', '{"metrics":{"on":true}}');
    recent.remember(k, T, false);
    recent.remember(k, T + 5000, false);
    expect(recent.size()).toBe(1);
    expect(recent.isCopy(k, T + 5000 + DUPLICATE_WINDOW_MS, true)).toBe(true); // the window runs from the last time
  });
});
