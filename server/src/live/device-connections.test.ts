// Proves the device connection history is bounded (20 events per device, a total cap across devices
// that forgets the least recently active devices first, even under a million events from a flapping
// city) and that the state (online, since, address, protocol) follows connects and disconnects.
import { describe, expect, it } from 'vitest';
import type { DeviceConnectionEvent } from '@citygrid/contract';
import { DeviceConnections } from './device-connections.js';

const at = (device: string, ts: number, extra: Partial<DeviceConnectionEvent> & Pick<DeviceConnectionEvent, 'type'>): DeviceConnectionEvent =>
  ({ ts, device, address: '10.0.0.1', transport: 'tcp', clientId: device, ...(extra.type === 'connect' ? { clean: true } : extra.type === 'disconnect' ? { reason: 'socket_closed' } : { message: 'Wrong password' }), ...extra }) as DeviceConnectionEvent;

describe('DeviceConnections', () => {
  it('keeps the last 20 events of a device, newest first', () => {
    const c = new DeviceConnections();
    for (let i = 0; i < 50; i++) c.record(at('d1', i, { type: i % 2 ? 'disconnect' : 'connect' }));
    const h = c.history('d1');
    expect(h).toHaveLength(20);
    expect(h[0]!.ts).toBe(49);
    expect(h[19]!.ts).toBe(30);
    expect(c.size()).toEqual({ events: 20, devices: 1 });
  });

  it('holds its caps under a million events over 150,000 devices, forgetting the least recently active', () => {
    const c = new DeviceConnections({ maxEvents: 200_000 });
    c.record(at('quiet', 0, { type: 'connect' }));
    for (let i = 0; i < 1_000_000; i++) {
      const device = `dev-${i % 150_000}`;
      c.record(i % 3 === 0
        ? { type: 'disconnect', ts: i, device, address: '10.0.0.1', transport: 'tcp', clientId: device, reason: 'socket_closed' }
        : { type: 'connect', ts: i, device, address: '10.0.0.1', transport: 'tcp', clientId: device, clean: true });
      if (i % 100_000 === 0) c.record(at('busy', i, { type: 'connect' })); // active now and then
    }
    const { events, devices } = c.size();
    expect(events).toBeLessThanOrEqual(200_000);
    expect(devices).toBeLessThanOrEqual(200_000);
    for (const d of ['dev-149999', 'dev-0']) expect(c.history(d).length).toBeLessThanOrEqual(20);
    expect(c.history('quiet')).toEqual([]); // least recently active: forgotten
    expect(c.history('dev-149999').length).toBeGreaterThan(0); // the most recent are kept
    // a single device flapping a million times keeps 20
    const one = new DeviceConnections();
    for (let i = 0; i < 1_000_000; i++) {
      one.record(i % 2
        ? { type: 'disconnect', ts: i, device: 'flap', address: '10.0.0.1', transport: 'tcp', clientId: 'flap', reason: 'keepalive_timeout' }
        : { type: 'connect', ts: i, device: 'flap', address: '10.0.0.1', transport: 'tcp', clientId: 'flap', clean: true });
    }
    expect(one.size()).toEqual({ events: 20, devices: 1 });
  }, 60_000);

  it('sums up the same refusal from the same address in one event', () => {
    const c = new DeviceConnections();
    for (let i = 0; i < 1000; i++) c.record(at('d1', i, { type: 'refused', message: 'Wrong password for device "d1"' }));
    c.record(at('d1', 1000, { type: 'refused', message: 'Wrong password for device "d1"', address: '10.0.0.2' }));
    const h = c.history('d1');
    expect(h).toHaveLength(2);
    expect(h[1]).toMatchObject({ type: 'refused', count: 1000, ts: 999 });
    expect(h[0]).toMatchObject({ type: 'refused', address: '10.0.0.2' });
    expect(c.size().events).toBe(2);
  });

  it('says online since the newest open connection, offline since the last disconnect; test connections do not count', () => {
    const c = new DeviceConnections();
    expect(c.state('d1')).toEqual({ online: false, since: null, address: null, transport: null, clientId: null, connections: 0 });
    c.record(at('d1', 100, { type: 'connect', address: '10.0.0.5', transport: 'ws' }));
    expect(c.state('d1')).toMatchObject({ online: true, since: 100, address: '10.0.0.5', transport: 'ws', connections: 1 });
    c.record(at('d1', 150, { type: 'connect', clientId: 'd1/test-1', test: true }));
    expect(c.state('d1').connections).toBe(1);
    // a take-over: the old connection ends, then the new one connects with the same client id
    c.record(at('d1', 200, { type: 'disconnect', reason: 'taken_over', address: '10.0.0.5', transport: 'ws' }));
    c.record(at('d1', 201, { type: 'connect', address: '10.0.0.6' }));
    expect(c.state('d1')).toMatchObject({ online: true, since: 201, address: '10.0.0.6', transport: 'tcp' });
    c.record(at('d1', 300, { type: 'disconnect', reason: 'keepalive_timeout', address: '10.0.0.6' }));
    expect(c.state('d1')).toMatchObject({ online: false, since: 300, address: '10.0.0.6', connections: 0 });
  });
});
