// Proves startSimulator drives a small city through a real aedes broker: every device goes online and publishes valid data, and stop() leaves them offline with no handles running.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SENSOR_KINDS, deviceTopic, parseCameraEvent, parseDeviceTopic, parseTelemetry, type DeviceKind } from '@citygrid/contract';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator.js';

const SECRET_HASH = 'scrypt$10$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA=='; // this broker does no auth
const DEVICES: { id: string; kind: DeviceKind }[] = [
  ...SENSOR_KINDS.map((kind) => ({ id: `sim-${kind.replace('_', '-')}`, kind })),
  { id: 'sim-cam-1', kind: 'camera' },
  { id: 'sim-cam-2', kind: 'camera' },
];

function writeCity(dir: string): void {
  const square = [[114.28, 30.57], [114.30, 30.57], [114.30, 30.59], [114.28, 30.59], [114.28, 30.57]];
  const grid = {
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: { id: 'g-1', name: 'Test cell', district: 'test' }, geometry: { type: 'Polygon', coordinates: [square] } }],
  };
  writeFileSync(join(dir, 'grid.geojson'), JSON.stringify(grid));
  const yaml = DEVICES.map((d, i) => `- id: ${d.id}\n  kind: ${d.kind}\n  location: [${114.281 + i * 0.001}, 30.58]\n  secret_hash: "${SECRET_HASH}"\n`).join('');
  writeFileSync(join(dir, 'devices.yaml'), yaml);
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const handles = () => {
  const counts: Record<string, number> = {};
  for (const h of process.getActiveResourcesInfo()) counts[h] = (counts[h] ?? 0) + 1;
  return counts;
};

describe('startSimulator', () => {
  let dir: string;
  let broker: Aedes;
  let server: net.Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citygrid-sim-'));
    writeCity(dir);
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects every device, publishes valid telemetry and events, and goes offline on stop', async () => {
    const watcher: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'watcher' });
    const status = new Map<string, string>();
    const telemetry = new Map<string, number[]>();
    const events = new Map<string, number>();
    const problems: string[] = [];
    const kinds = new Map(DEVICES.map((d) => [d.id, d.kind]));
    watcher.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      const kind = parsed && kinds.get(parsed.deviceId);
      if (!parsed || !kind) return;
      try {
        if (parsed.channel === 'status') status.set(parsed.deviceId, payload.toString());
        if (parsed.channel === 'telemetry') {
          const [reading] = parseTelemetry(payload, parsed.deviceId, kind, Date.now());
          telemetry.set(parsed.deviceId, [...(telemetry.get(parsed.deviceId) ?? []), reading!.seq!]);
        }
        if (parsed.channel === 'event') {
          parseCameraEvent(payload, parsed.deviceId, kind, Date.now());
          events.set(parsed.deviceId, (events.get(parsed.deviceId) ?? 0) + 1);
        }
      } catch (err) {
        problems.push(`${topic}: ${(err as Error).message}`);
      }
    });
    await watcher.subscribeAsync('city/v1/devices/+/#', { qos: 1 });
    const before = handles();

    const sim = startSimulator({ cityDir: dir, url, intervalMs: 200, speed: 36_000, seed: 5, logger: pino({ level: 'silent' }) });
    const sensors = DEVICES.filter((d) => d.kind !== 'camera');
    const cameras = DEVICES.filter((d) => d.kind === 'camera');
    await waitFor(() => DEVICES.every((d) => status.get(d.id) === 'online'), 5_000, 'every device online');
    await waitFor(() => sensors.every((d) => (telemetry.get(d.id)?.length ?? 0) >= 3), 5_000, 'telemetry from every sensor');
    await waitFor(() => cameras.every((d) => (events.get(d.id) ?? 0) >= 1), 5_000, 'events from every camera');
    expect(problems).toEqual([]);
    for (const d of sensors) {
      const seqs = telemetry.get(d.id)!;
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(sim.stats()).toMatchObject({ devices: DEVICES.length, connected: DEVICES.length });
    expect(sim.stats().sent).toBeGreaterThan(0);

    await sim.stop();
    expect(sim.stats().connected).toBe(0);
    await waitFor(() => DEVICES.every((d) => status.get(d.id) === 'offline'), 2_000, 'every device offline');
    await watcher.endAsync();

    // a late subscriber sees the retained offline status
    const late = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'late' });
    const retained = new Map<string, string>();
    late.on('message', (topic, payload) => retained.set(topic, payload.toString()));
    await late.subscribeAsync(DEVICES.map((d) => deviceTopic(d.id, 'status')));
    await waitFor(() => retained.size === DEVICES.length, 2_000, 'retained statuses');
    expect([...retained.values()].every((s) => s === 'offline')).toBe(true);
    await late.endAsync();

    // no simulator sockets or timers left behind
    await new Promise((r) => setTimeout(r, 200));
    const after = handles();
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual((before.TCPSocketWrap ?? 0) - 2); // the watcher's two ends are gone too
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
  });
});
