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
    await waitFor(() => DEVICES.every((d) => status.get(d.id) === 'online'), 15_000, 'every device online');
    await waitFor(() => sensors.every((d) => (telemetry.get(d.id)?.length ?? 0) >= 3), 15_000, 'telemetry from every sensor');
    await waitFor(() => cameras.every((d) => (events.get(d.id) ?? 0) >= 1), 15_000, 'events from every camera');
    expect(problems).toEqual([]);
    for (const d of sensors) {
      const seqs = telemetry.get(d.id)!;
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(sim.stats()).toMatchObject({ devices: DEVICES.length, connected: DEVICES.length });
    expect(sim.stats().sent).toBeGreaterThan(0);

    await sim.stop();
    expect(sim.stats().connected).toBe(0);
    await waitFor(() => DEVICES.every((d) => status.get(d.id) === 'offline'), 15_000, 'every device offline');
    await watcher.endAsync();

    // a late subscriber sees the retained offline status
    const late = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'late' });
    const retained = new Map<string, string>();
    late.on('message', (topic, payload) => retained.set(topic, payload.toString()));
    await late.subscribeAsync(DEVICES.map((d) => deviceTopic(d.id, 'status')));
    await waitFor(() => retained.size === DEVICES.length, 15_000, 'retained statuses');
    expect([...retained.values()].every((s) => s === 'offline')).toBe(true);
    await late.endAsync();

    // no simulator sockets or timers left behind (the watcher's two ends are gone too): waited for, not slept on
    const allClosed = () => {
      const after = handles();
      return (after.TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0) - 2 && (after.Timeout ?? 0) <= (before.Timeout ?? 0);
    };
    await waitFor(allClosed, 15_000, `the simulator's sockets and timers closed (handles before: ${JSON.stringify(before)})`);
  }, 60_000);

  it('says nothing about a scenario when it plays none, however long it runs', async () => {
    // a clock 200× wall time: the 30 s a scenario waits for its targets pass in a fraction of a second
    const realStart = Date.now();
    const clock = () => realStart + (Date.now() - realStart) * 200;
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const sim = startSimulator({ cityDir: dir, url, intervalMs: 50, speed: 1, seed: 3, logger, clock });
    await waitFor(() => Date.now() - realStart > 1_000, 5_000, 'a second (over 3 simulated minutes)');
    await sim.stop();
    expect(lines.length, 'the control: the simulator logged its start').toBeGreaterThan(0);
    expect(lines.filter((l) => /scenario/.test(l.msg)).map((l) => l.msg)).toEqual([]);
  });

  it('plays the flooding scenario on top of the city: rise past 30 cm, stalled vehicles on the cell\'s camera, drain, done', async () => {
    // a fast fake clock: 200× wall time, at speed 4 the storyline (~70 scenario minutes) takes ~5 s
    // (slower than it could be, so that a busy machine still gets several readings in each phase)
    const realStart = Date.now();
    const FAST = 200;
    // anchored at a fixed instant, so the city around the scenario (rain episodes, daily cycles) is the same on every run
    const BASE = Date.UTC(2026, 3, 15, 2, 0, 0);
    const clock = () => BASE + Math.round((Date.now() - realStart) * FAST);
    const watcher: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'flood-watcher' });
    const levels: number[] = [];
    const rain: number[] = [];
    const cameraEvents: string[] = [];
    const problems: string[] = [];
    const kinds = new Map(DEVICES.map((d) => [d.id, d.kind]));
    watcher.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      const kind = parsed && kinds.get(parsed.deviceId);
      if (!parsed || !kind) return;
      try {
        if (parsed.channel === 'telemetry') {
          const [reading] = parseTelemetry(payload, parsed.deviceId, kind, clock());
          if (parsed.deviceId === 'sim-water-level') levels.push(reading!.metrics.level_cm as number);
          if (parsed.deviceId === 'sim-rainfall') rain.push(reading!.metrics.mm_h as number);
        }
        if (parsed.channel === 'event' && parsed.deviceId === 'sim-cam-1') cameraEvents.push(parseCameraEvent(payload, parsed.deviceId, kind, clock()).type);
      } catch (err) {
        problems.push(`${topic}: ${(err as Error).message}`);
      }
    });
    await watcher.subscribeAsync('city/v1/devices/+/#', { qos: 1 });
    const lines: { phase?: string; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { phase?: string; msg: string }) });

    const sim = startSimulator({ cityDir: dir, url, intervalMs: 50, speed: 4, seed: 9, logger, clock, scenario: 'flooding' });
    expect(sim.stats().scenario).toMatchObject({ name: 'flooding', phase: 'normal', device: 'sim-water-level', grid: 'g-1' });
    expect(sim.stats().scenario!.targets.map((t) => [t.id, t.role])).toEqual([['sim-water-level', 'gauge'], ['sim-rainfall', 'rain-gauge'], ['sim-cam-1', 'camera']]);
    await waitFor(() => sim.stats().scenario?.phase === 'done', 30_000, 'the scenario to finish');
    const readingsAtDone = levels.length;
    await waitFor(() => levels.length > readingsAtDone + 3, 10_000, 'readings after the scenario');
    await sim.stop();
    await watcher.endAsync();

    expect(problems).toEqual([]);
    expect(Math.max(...levels)).toBeGreaterThan(35);
    // back to normal: the last readings (a reading sent just before 'done' may still arrive after it)
    expect(levels.slice(-3).every((v) => v < 10)).toBe(true);
    expect(Math.max(...rain)).toBeGreaterThan(55);
    expect(cameraEvents).toContain('stalled_vehicle');
    expect(cameraEvents).toContain('waterlogging');
    expect(lines.some((l) => /sim-water-level .*in cell g-1 floods/.test(l.msg))).toBe(true);
    expect(lines.filter((l) => l.phase).map((l) => l.phase)).toEqual(['normal', 'rain', 'rising', 'peak', 'draining', 'done']);
  }, 60_000);

  it('plays sensor-faults: the silent device sends nothing, the stuck one repeats itself, until repaired', async () => {
    const realStart = Date.now();
    const FAST = 200;
    const BASE = Date.UTC(2026, 3, 15, 2, 0, 0);
    const clock = () => BASE + Math.round((Date.now() - realStart) * FAST);
    const watcher: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'faults-watcher' });
    const seen = new Map<string, { s: number; metrics: string }[]>();
    let sim: ReturnType<typeof startSimulator> | null = null;
    watcher.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      if (!parsed || parsed.channel !== 'telemetry' || !sim) return;
      const { metrics } = JSON.parse(payload.toString()) as { metrics: unknown };
      seen.set(parsed.deviceId, [...(seen.get(parsed.deviceId) ?? []), { s: sim.scenarioTime(), metrics: JSON.stringify(metrics) }]);
    });
    await watcher.subscribeAsync('city/v1/devices/+/telemetry', { qos: 1 });
    const lines: { phase?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { phase?: string }) });
    // rules as fast as the replay: the storyline (~139 scenario minutes) plays at its natural length, ~2 s here
    sim = startSimulator({ cityDir: dir, url, intervalMs: 50, speed: 20, ruleTimeScale: 20, seed: 9, logger, clock, scenario: 'sensor-faults', devices: ['sim-gas', 'sim-air-quality', 'sim-weather'] });
    const run = sim.scenario!;
    expect(run.roles.map((r) => [r.id, r.role])).toEqual([['sim-gas', 'silent'], ['sim-air-quality', 'stuck'], ['sim-weather', 'noisy']]);
    await waitFor(() => sim!.stats().scenario?.phase === 'done', 30_000, 'the scenario to finish');
    await waitFor(() => (seen.get('sim-gas') ?? []).some((r) => r.s >= at('done')), 10_000, 'the gas detector back after the repair');
    await waitFor(() => lines.some((l) => l.phase === 'done'), 15_000, 'the done line in the log');
    await sim.stop();
    await watcher.endAsync();
    function at(phase: string) {
      return run.timeline.find((p) => p.phase === phase)!.at;
    }
    const gas = seen.get('sim-gas')!;
    expect(gas.filter((r) => r.s > at('silent') + 60_000 && r.s < at('done')), 'nothing while silent').toEqual([]);
    const stuck = seen.get('sim-air-quality')!.filter((r) => r.s > at('stuck') + 60_000 && r.s < at('done'));
    expect(stuck.length).toBeGreaterThan(5);
    expect(new Set(stuck.map((r) => r.metrics)).size).toBe(1);
    expect(lines.filter((l) => l.phase).map((l) => l.phase)).toEqual(['normal', 'silent', 'stuck', 'noisy', 'done']);
  }, 60_000);

  it('refuses an unknown scenario, a scenario device without a scenario, and a device that is not a gauge', () => {
    const silent = pino({ level: 'silent' });
    expect(() => startSimulator({ cityDir: dir, url, logger: silent, scenario: 'earthquake' })).toThrow(/known scenarios: flooding/);
    expect(() => startSimulator({ cityDir: dir, url, logger: silent, scenarioDevice: 'sim-water-level' })).toThrow(/needs a scenario/);
    expect(() => startSimulator({ cityDir: dir, url, logger: silent, scenario: 'flooding', scenarioDevice: 'sim-cam-1' })).toThrow(/not a water_level/);
  });
});
