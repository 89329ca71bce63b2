// Proves the guard's two-step admission for MQTT over TLS: `arrive` (before the handshake) applies the pending cap and the per-address rate and holds a pending place, which `admit` takes over without charging the address twice, and which a connection that closes during its handshake gives back.
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectionGuard } from './connection-guard.js';
import { newStats } from './context.js';
import { resolveLimits } from './limits.js';

const ADDRESS = '203.0.113.7';

function makeGuard(limits: Parameters<typeof resolveLimits>[0]) {
  const stats = newStats();
  const guard = new ConnectionGuard({ limits: resolveLimits(limits), stats, logger: pino({ level: 'silent' }) });
  return { guard, stats };
}

describe('ConnectionGuard: arrive, then admit (TLS)', () => {
  it('holds a pending place from accept, passes it to the decrypted stream, and frees it once authenticated', () => {
    const { guard } = makeGuard({ maxPending: 2 });
    const raw = new PassThrough();
    expect(guard.arrive(raw, ADDRESS, 'tls')).toBe(true);
    expect(guard.pendingCount()).toBe(1);
    const stream = new PassThrough();
    expect(guard.admit(stream, { remote: ADDRESS, transport: 'tls', arrived: raw })).toBe(true);
    expect(guard.pendingCount()).toBe(1); // the same place, not a second one
    raw.destroy();
    expect(guard.pendingCount()).toBe(1);
    guard.authenticated(stream);
    expect(guard.pendingCount()).toBe(0);
    guard.close();
  });

  it('refuses handshakes beyond the pending cap, and gives the place back when a handshake fails', async () => {
    const { guard, stats } = makeGuard({ maxPending: 1 });
    const first = new PassThrough();
    expect(guard.arrive(first, ADDRESS, 'tls')).toBe(true);
    const second = new PassThrough();
    expect(guard.arrive(second, '198.51.100.1', 'tls')).toBe(false);
    expect(second.destroyed).toBe(true);
    expect(stats.connectionsClosed.pending_limit).toBe(1);
    first.destroy(); // a failed handshake
    await new Promise((r) => setImmediate(r));
    expect(guard.pendingCount()).toBe(0);
    expect(guard.arrive(new PassThrough(), '198.51.100.1', 'tls')).toBe(true);
    guard.close();
  });

  it('charges the per-address rate once per TLS connection, at accept', () => {
    const { guard, stats } = makeGuard({ connectRate: { perSecond: 1, burst: 2 }, maxPending: 100 });
    for (let i = 0; i < 2; i++) {
      const raw = new PassThrough();
      expect(guard.arrive(raw, ADDRESS, 'tls')).toBe(true);
      expect(guard.admit(new PassThrough(), { remote: ADDRESS, transport: 'tls', arrived: raw })).toBe(true);
    }
    expect(guard.arrive(new PassThrough(), ADDRESS, 'tls')).toBe(false);
    expect(stats.connectionsClosed.address_rate).toBe(1);
    guard.close();
  });

  it('counts a refused handshake by its reason', () => {
    const { guard, stats } = makeGuard({});
    guard.refusedArrival('tls_handshake');
    guard.refusedArrival('tls_client_certificate');
    expect(stats.connectionsClosed).toMatchObject({ tls_handshake: 1, tls_client_certificate: 1 });
    guard.close();
  });
});
