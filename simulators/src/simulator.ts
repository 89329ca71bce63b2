// Runs a whole simulated city: one MQTT client per device, connections spread over the
// first second or two, each device reporting about every `intervalMs` with jitter. A scenario
// (e.g. 'flooding') can play on top of it, taking over a few devices for a while.
import { isSensorKind } from '@citygrid/contract';
import { loadCity, type City, type CityDevice } from '@citygrid/contract/node';
import { pino, type Logger } from 'pino';
import { CameraModel } from './camera.js';
import { DeviceClient } from './device-client.js';
import { Environment } from './environment.js';
import { createModel } from './kinds/index.js';
import { rngFor, type Rng } from './random.js';
import { resolveScenario, SCENARIOS, type ScenarioRun } from './scenarios/index.js';

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
  /**
   * A scenario to play on top of the normal city, by name (see SCENARIOS: 'flooding'); undefined,
   * null or '' for none. It starts with the simulator and runs `speed` times faster than wall time.
   */
  scenario?: string | null;
  /** The device the scenario centres on (flooding: a water_level device id); default: the scenario picks one. */
  scenarioDevice?: string | null;
}

export interface ScenarioStats {
  name: string;
  /** The current phase (flooding: normal, rain, rising, peak, draining, done). */
  phase: string;
  /** The target device and its grid cell. */
  device: string;
  grid: string;
  /** The camera and rain gauge in the same cell that the scenario drives too, if the cell has them. */
  camera: string | null;
  rainGauge: string | null;
}

export interface SimulatorStats {
  devices: number;
  connected: number;
  sent: number;
  errors: number;
  /** The scenario being played, or null. */
  scenario: ScenarioStats | null;
}

export interface Simulator {
  stop(): Promise<void>;
  stats(): SimulatorStats;
}

const CONNECT_SPREAD_MS = 1_500; // connect the whole city over about 1.5 s
const FIRST_REPORT_MS = [200, 1_500] as const; // first reading this soon after connecting
const JITTER = 0.15; // ±15 % on every interval
const SCENARIO_INTERVAL_MS = 1_000; // a scenario's targets report at least this often while it runs
const PHASE_WATCH_MS = 250; // how often the scenario's phase is checked for the progress log

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
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed must be positive, got ${speed}`);
  const scenarioDef = resolveScenario(options.scenario);
  if (options.scenarioDevice && !scenarioDef) throw new Error(`scenarioDevice ${options.scenarioDevice} needs a scenario (${Object.keys(SCENARIOS).join(', ')})`);

  const env = new Environment(seed);
  const t0 = clock();
  const simNow = (wall: number) => t0 + (wall - t0) * speed;
  /** Scenario time: elapsed wall time × speed, from the simulator's start. */
  const scenarioTime = (wall: number) => (wall - t0) * speed;
  const scenario: ScenarioRun | null = scenarioDef
    ? scenarioDef.start({ devices, seed, env, speed, startSimTime: t0, ...(options.scenarioDevice ? { device: options.scenarioDevice } : {}) })
    : null;
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
    const driven = scenario?.targets.has(device.id) ? scenario : null;
    if (isSensorKind(device.kind)) {
      const model = createModel(device.kind, ctx);
      return (client, wall) => {
        const metrics = driven?.telemetry(device.id, scenarioTime(wall)) ?? model.sample(simNow(wall));
        client.publishTelemetry(metrics, wall);
      };
    }
    const camera = new CameraModel(ctx);
    let last = clock();
    return (client, wall) => {
      let events = camera.eventsBetween(simNow(last), simNow(wall));
      if (driven && !driven.done(scenarioTime(last))) {
        // the scenario's detections replace the normal model's of the same types while it runs
        events = events.filter((e) => !driven.cameraTypes.includes(e.type));
        events.push(...driven.events(device.id, scenarioTime(last), scenarioTime(wall)));
      }
      for (const event of events) client.publishEvent(event, wall);
      last = wall;
    };
  }

  /** How long until a device's next report: the scenario's targets report at least every second while it runs. */
  function intervalFor(device: CityDevice, wall: number): number {
    if (scenario?.targets.has(device.id) && !scenario.done(scenarioTime(wall))) return Math.min(intervalMs, SCENARIO_INTERVAL_MS);
    return intervalMs;
  }

  function run(device: CityDevice, rng: Rng): void {
    const report = reporterFor(device);
    let reporting = false;
    const tick = () => {
      const wall = clock();
      report(client, wall);
      later(intervalFor(device, wall) * rng.uniform(1 - JITTER, 1 + JITTER), tick);
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
        later(Math.min(intervalFor(device, clock()), rng.uniform(...FIRST_REPORT_MS)), tick);
      },
    });
    clients.push(client);
  }

  devices.forEach((device, i) => {
    const rng = rngFor(seed, device.id, 'schedule');
    later((i * CONNECT_SPREAD_MS) / Math.max(1, devices.length), () => run(device, rng));
  });
  logger.info({ devices: devices.length, url: options.url, intervalMs, speed, seed }, 'simulator starting');
  if (scenario) {
    // the target and one progress line as each phase begins
    const { name, device, grid, camera, rainGauge } = scenario;
    logger.info({ scenario: name, device, grid, camera, rainGauge, speed }, `scenario ${name}: ${scenario.summary}`);
    for (const note of scenario.notes) logger.warn({ scenario: name }, `scenario ${name}: ${note}`);
    // watch the clock (not timers: the clock is injectable) and log every phase as it begins, in order
    let logged = 0;
    const watchPhase = () => {
      const s = scenarioTime(clock());
      while (logged < scenario.timeline.length && scenario.timeline[logged]!.at <= s) {
        const { phase, at } = scenario.timeline[logged++]!;
        logger.info({ scenario: name, phase, device, grid, scenarioMin: Math.round(at / 60_000) }, `scenario ${name} ${scenario.describe(phase)}`);
      }
      if (logged < scenario.timeline.length) later(PHASE_WATCH_MS, watchPhase);
    };
    watchPhase();
  }

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
      const scenarioStats: ScenarioStats | null = scenario && {
        name: scenario.name,
        phase: scenario.phase(scenarioTime(clock())),
        device: scenario.device,
        grid: scenario.grid,
        camera: scenario.camera,
        rainGauge: scenario.rainGauge,
      };
      return { devices: devices.length, connected, sent, errors, scenario: scenarioStats };
    },
  };
}
