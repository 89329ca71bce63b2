// Runs a whole simulated city: one MQTT client per device, connections spread over the
// first second or two, each device reporting about every `intervalMs` with jitter.
import { isSensorKind } from '@citygrid/contract';
import { loadCity, type City, type CityDevice } from '@citygrid/contract/node';
import { pino, type Logger } from 'pino';
import { CameraModel } from './camera.js';
import { DeviceClient } from './device-client.js';
import { Environment } from './environment.js';
import { createModel } from './kinds/index.js';
import { rngFor, type Rng } from './random.js';

export interface SimulatorOptions {
  /** A loaded city, or `cityDir` to load one. */
  city?: City;
  cityDir?: string;
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  /** Each device's secret; the demo city's is `demo-<deviceId>`. */
  secretFor?: (deviceId: string) => string;
  /** How often each device reports (with ±15 % jitter). */
  intervalMs?: number; // default 5 s
  /** Simulated time runs this many times faster for the signal models (timestamps stay real). */
  speed?: number; // default 1
  seed?: number; // default 42
  logger?: Logger;
  /** Only these device ids (default: every device in the city). */
  devices?: string[];
  /** Wall clock, injectable for tests. */
  clock?: () => number; // default Date.now
}

export interface SimulatorStats {
  devices: number;
  connected: number;
  sent: number;
  errors: number;
}

export interface Simulator {
  stop(): Promise<void>;
  stats(): SimulatorStats;
}

const CONNECT_SPREAD_MS = 1_500; // connect the whole city over about 1.5 s
const FIRST_REPORT_MS = [200, 1_500] as const; // first reading this soon after connecting
const JITTER = 0.15; // ±15 % on every interval

function resolveDevices(city: City, ids: string[] | undefined): CityDevice[] {
  if (!ids) return city.devices;
  const unknown = ids.filter((id) => !city.devicesById.has(id));
  if (unknown.length > 0) throw new Error(`Unknown device id${unknown.length > 1 ? 's' : ''} for city ${city.dir}: ${unknown.join(', ')}`);
  return ids.map((id) => city.devicesById.get(id)!);
}

export function startSimulator(options: SimulatorOptions): Simulator {
  const city = options.city ?? (options.cityDir !== undefined ? loadCity(options.cityDir) : undefined);
  if (!city) throw new Error('startSimulator needs a city or a cityDir');
  const devices = resolveDevices(city, options.devices);
  const intervalMs = options.intervalMs ?? 5_000;
  const speed = options.speed ?? 1;
  const seed = options.seed ?? 42;
  const clock = options.clock ?? Date.now;
  const secretFor = options.secretFor ?? ((id: string) => `demo-${id}`);
  const logger = (options.logger ?? pino({ name: 'simulator' })).child({ stage: 'simulator' });
  if (!(intervalMs > 0)) throw new Error(`intervalMs must be positive, got ${intervalMs}`);
  if (!(speed > 0)) throw new Error(`speed must be positive, got ${speed}`);

  const env = new Environment(seed);
  const t0 = clock();
  const simNow = (wall: number) => t0 + (wall - t0) * speed;
  const timers = new Set<NodeJS.Timeout>();
  const clients: DeviceClient[] = [];
  let stopped = false;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timers.add(timer);
  };

  /** What one report of a device sends: a sensor's current metrics, or a camera's new events. */
  function reporterFor(device: CityDevice): (client: DeviceClient, wall: number) => void {
    const ctx = { deviceId: device.id, seed, env };
    if (isSensorKind(device.kind)) {
      const model = createModel(device.kind, ctx);
      return (client, wall) => client.publishTelemetry(model.sample(simNow(wall)), wall);
    }
    const camera = new CameraModel(ctx);
    let last = simNow(clock());
    return (client, wall) => {
      const now = simNow(wall);
      for (const event of camera.eventsBetween(last, now)) client.publishEvent(event, wall);
      last = now;
    };
  }

  function run(device: CityDevice, rng: Rng): void {
    const report = reporterFor(device);
    let reporting = false;
    const tick = () => {
      report(client, clock());
      later(intervalMs * rng.uniform(1 - JITTER, 1 + JITTER), tick);
    };
    const client = new DeviceClient({
      url: options.url,
      deviceId: device.id,
      secret: secretFor(device.id),
      logger,
      reconnectJitterMs: Math.floor(rng.uniform(0, 1_000)),
      onConnect: () => {
        if (reporting) return; // the loop keeps running across reconnects
        reporting = true;
        later(Math.min(intervalMs, rng.uniform(...FIRST_REPORT_MS)), tick);
      },
    });
    clients.push(client);
  }

  devices.forEach((device, i) => {
    const rng = rngFor(seed, device.id, 'schedule');
    later((i * CONNECT_SPREAD_MS) / Math.max(1, devices.length), () => run(device, rng));
  });
  logger.info({ devices: devices.length, url: options.url, intervalMs, speed, seed }, 'simulator starting');

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(clients.map((c) => c.stop()));
      logger.info('simulator stopped');
    },
    stats() {
      let connected = 0;
      let sent = 0;
      let errors = 0;
      for (const c of clients) {
        if (c.connected) connected++;
        sent += c.counters.sent;
        errors += c.counters.errors;
      }
      return { devices: devices.length, connected, sent, errors };
    },
  };
}
