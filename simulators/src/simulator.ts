// Runs a whole simulated city: one MQTT client per device, connections spread over the
// first second or two, each device reporting about every `intervalMs` with jitter. A scenario
// (e.g. 'flooding', 'rainstorm') can play on top of it, taking over a few devices for a while.
// Gateway mode (`gateways`): the children of those gateways open no connection of their own; their
// reports go out through their gateway's one connection, on the gateway topics.
import { isSensorKind } from '@citygrid/contract';
import { loadCity, type City, type CityDevice } from '@citygrid/contract/node';
import { pino, type Logger } from 'pino';
import { CameraModel } from './camera.js';
import { ChildReporter, DeviceClient, type Reporter } from './device-client.js';
import { Environment } from './environment.js';
import { createModel } from './kinds/index.js';
import { rngFor, type Rng } from './random.js';
import { resolveScenario, SCENARIOS, type ScenarioRun, type ScenarioTarget } from './scenarios/index.js';

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
  /**
   * Gateway mode: these gateways (devices.yaml `children:`) publish for their children (those among
   * `devices`) through their own connection; a gateway not among `devices` is simulated too.
   */
  gateways?: string[];
  /** Wall clock, injectable for tests. */
  clock?: () => number; // default Date.now
  /**
   * A scenario to play on top of the normal city, by name (see SCENARIOS: 'flooding', 'rainstorm',
   * 'gas-leak', 'pollution', 'traffic-incident', 'sensor-faults'); undefined, null or '' for none.
   * It starts with the simulator and runs `speed` times faster than wall time.
   */
  scenario?: string | null;
  /** The device the scenario centres on (flooding: a water_level device id); default: the scenario picks one. */
  scenarioDevice?: string | null;
  /**
   * The server's rule durations are this many times shorter than the demo city's (default 1): the
   * scenario then stretches its phases less (see ScenarioContext.ruleTimeScale). Tests that divide the
   * rules' durations by the speed pass the speed.
   */
  ruleTimeScale?: number;
  /** Simulated city time (epoch ms) at the start, for the signal models; default: the clock's start. Timestamps stay real. */
  simStart?: number;
}

export interface ScenarioStats {
  name: string;
  /** The current phase (flooding: normal, rain, rising, peak, draining, done). */
  phase: string;
  /** The main target device and its grid cell. */
  device: string;
  grid: string;
  /** Every device the scenario drives, with its role. */
  targets: ScenarioTarget[];
}

export interface SimulatorStats {
  devices: number;
  /** Devices whose messages can go out now (a gateway's children count while it is connected). */
  connected: number;
  /** MQTT connections opened: one per device, but one per gateway for it and its carried children. */
  connections: number;
  sent: number;
  errors: number;
  /** The scenario being played, or null. */
  scenario: ScenarioStats | null;
}

export interface Simulator {
  stop(): Promise<void>;
  stats(): SimulatorStats;
  /** The scenario being played (its targets, timeline, phases), or null. */
  readonly scenario: ScenarioRun | null;
  /** The scenario's time now (ms since its storyline started; 0 before, and without a scenario). */
  scenarioTime(): number;
}

const CONNECT_SPREAD_MS = 1_500; // connect the whole city over about 1.5 s
const FIRST_REPORT_MS = [200, 1_500] as const; // first reading this soon after connecting
const JITTER = 0.15; // ±15 % on every interval
// a scenario's targets report at least every second while it runs, and about every 5 s of scenario
// time at higher speeds (but at most 10 times a second)
const SCENARIO_INTERVAL_MS = 1_000;
const SCENARIO_STEP_MS = 5_000;
const SCENARIO_MIN_INTERVAL_MS = 100;
const PHASE_WATCH_MS = 250; // how often the scenario's phase is checked for the progress log
// the storyline starts once its targets have connected and reported (at high speeds, seconds are
// minutes of it): at the earliest after the city's connection spread, at the latest after SCENARIO_WAIT_MS
const SCENARIO_PREROLL_MS = CONNECT_SPREAD_MS + FIRST_REPORT_MS[1];
const SCENARIO_SETTLE_MS = 1_000; // after the last target connects: its first report
const SCENARIO_WAIT_MS = 30_000;

function resolveDevices(city: City, ids: string[] | undefined, gateways: string[]): CityDevice[] {
  const notGateways = gateways.filter((id) => !city.devicesById.get(id)?.children?.length);
  if (notGateways.length > 0) throw new Error(`Not a gateway (no children: in ${city.dir}/devices.yaml): ${notGateways.join(', ')}`);
  if (!ids) return city.devices;
  const unknown = ids.filter((id) => !city.devicesById.has(id));
  if (unknown.length > 0) throw new Error(`Unknown device id${unknown.length > 1 ? 's' : ''} for city ${city.dir}: ${unknown.join(', ')}`);
  const chosen = new Set(ids);
  return [...ids, ...gateways.filter((g) => !chosen.has(g))].map((id) => city.devicesById.get(id)!);
}

export function startSimulator(options: SimulatorOptions): Simulator {
  const city = options.city ?? (options.cityDir !== undefined ? loadCity(options.cityDir) : undefined);
  if (!city) throw new Error('startSimulator needs a city or a cityDir');
  const gatewayIds = new Set(options.gateways ?? []);
  const devices = resolveDevices(city, options.devices, [...gatewayIds]);
  // gateway mode: each carried child, by its gateway; the rest connect by themselves
  const carried = new Map<string, CityDevice[]>();
  const direct: CityDevice[] = [];
  for (const d of devices) {
    if (d.gateway !== undefined && gatewayIds.has(d.gateway)) carried.set(d.gateway, [...(carried.get(d.gateway) ?? []), d]);
    else direct.push(d);
  }
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

  const ruleTimeScale = options.ruleTimeScale ?? 1;
  if (!(ruleTimeScale > 0) || !Number.isFinite(ruleTimeScale)) throw new Error(`ruleTimeScale must be positive, got ${ruleTimeScale}`);

  const env = new Environment(seed);
  const t0 = clock();
  const sim0 = options.simStart ?? t0;
  const simNow = (wall: number) => sim0 + (wall - t0) * speed;
  /** When the storyline starts (wall ms): set once the scenario's targets have all connected. */
  let scenarioT0: number | null = null;
  let waitingFor = new Set<string>(); // the scenario's targets not connected yet
  /** Scenario time: elapsed wall time × speed, from the scenario's start (0 until then). */
  const scenarioTime = (wall: number) => {
    if (scenarioT0 === null) {
      if (wall < t0 + SCENARIO_WAIT_MS) return 0;
      scenarioT0 = wall; // some targets never connected: start without them (no scenario: nothing to say)
      if (scenario && waitingFor.size) logger.warn({ scenario: scenario?.name, notConnected: [...waitingFor] }, `scenario ${scenario?.name}: starting without ${[...waitingFor].join(', ')} (not connected after ${SCENARIO_WAIT_MS / 1000} s)`);
    }
    return Math.max(0, wall - scenarioT0) * speed;
  };
  /** How often the scenario's targets report while it runs (wall ms). */
  const targetIntervalMs = Math.min(intervalMs, Math.max(SCENARIO_MIN_INTERVAL_MS, Math.min(SCENARIO_INTERVAL_MS, SCENARIO_STEP_MS / speed)));
  const scenario: ScenarioRun | null = scenarioDef
    ? scenarioDef.start({
      devices, seed, env, speed, startSimTime: simNow(t0 + SCENARIO_PREROLL_MS), ruleTimeScale, reportEveryMs: targetIntervalMs * speed,
      ...(options.scenarioDevice ? { device: options.scenarioDevice } : {}),
    })
    : null;
  waitingFor = new Set(scenario?.targets ?? []);
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
  function reporterFor(device: CityDevice): (client: Reporter, wall: number) => void {
    const ctx = { deviceId: device.id, seed, env };
    const driven = scenario?.targets.has(device.id) ? scenario : null;
    if (isSensorKind(device.kind)) {
      const model = createModel(device.kind, ctx);
      return (client, wall) => {
        const s = scenarioTime(wall);
        if (driven?.silent?.(device.id, s)) return; // a silent fault: connected, sending nothing
        const metrics = driven?.telemetry(device.id, s) ?? model.sample(simNow(wall));
        client.publishTelemetry(metrics, wall);
      };
    }
    const camera = new CameraModel(ctx);
    let last = clock();
    return (client, wall) => {
      let events = camera.eventsBetween(simNow(last), simNow(wall));
      if (driven?.silent?.(device.id, scenarioTime(wall))) {
        last = wall;
        return;
      }
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
    if (scenario?.targets.has(device.id) && !scenario.done(scenarioTime(wall))) return targetIntervalMs;
    return intervalMs;
  }

  /** Gateway connections and how many children each carries (they count as connected with it). */
  const carriers: { client: DeviceClient; children: number }[] = [];

  /** Starts a device's report loop, through `reporter`, once it (or its gateway) has connected. */
  function startReporting(device: CityDevice, reporter: Reporter, rng: Rng): void {
    const report = reporterFor(device);
    const tick = () => {
      const wall = clock();
      report(reporter, wall);
      later(intervalFor(device, wall) * rng.uniform(1 - JITTER, 1 + JITTER), tick);
    };
    if (waitingFor.delete(device.id) && waitingFor.size === 0 && scenarioT0 === null) {
      scenarioT0 = Math.max(t0 + SCENARIO_PREROLL_MS, clock() + SCENARIO_SETTLE_MS);
    }
    later(Math.min(intervalFor(device, clock()), rng.uniform(...FIRST_REPORT_MS)), tick);
  }

  function run(device: CityDevice, rng: Rng): void {
    let reporting = false;
    const children = carried.get(device.id) ?? [];
    const client = new DeviceClient({
      url: options.url,
      deviceId: device.id,
      secret: secretFor(device.id),
      logger,
      reconnectJitterMs: Math.floor(rng.uniform(0, 1_000)),
      ...(children.length ? { children: children.map((c) => c.id) } : {}),
      onConnect: () => {
        if (reporting) return; // the loops keep running across reconnects
        reporting = true;
        startReporting(device, client, rng);
        for (const child of children) startReporting(child, new ChildReporter(child.id, client), rngFor(seed, child.id, 'schedule'));
      },
    });
    clients.push(client);
    if (children.length) carriers.push({ client, children: children.length });
  }

  direct.forEach((device, i) => {
    const rng = rngFor(seed, device.id, 'schedule');
    later((i * CONNECT_SPREAD_MS) / Math.max(1, direct.length), () => run(device, rng));
  });
  logger.info({ devices: devices.length, url: options.url, intervalMs, speed, seed, ...(carried.size ? { viaGateways: Object.fromEntries([...carried].map(([g, c]) => [g, c.length])) } : {}) }, 'simulator starting');
  if (scenario) {
    // the targets and one progress line as each phase begins
    const { name, device, grid } = scenario;
    const targets = Object.fromEntries(scenario.roles.map((r) => [r.id, r.role]));
    logger.info({ scenario: name, device, grid, targets, speed, ...(ruleTimeScale !== 1 ? { ruleTimeScale } : {}) }, `scenario ${name}: ${scenario.summary}`);
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
    scenario,
    scenarioTime: () => (scenario ? scenarioTime(clock()) : 0),
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
      for (const { client, children } of carriers) if (client.connected) connected += children;
      const scenarioStats: ScenarioStats | null = scenario && {
        name: scenario.name,
        phase: scenario.phase(scenarioTime(clock())),
        device: scenario.device,
        grid: scenario.grid,
        targets: scenario.roles.map((r) => ({ ...r })),
      };
      return { devices: devices.length, connected, connections: clients.length, sent, errors, scenario: scenarioStats };
    },
  };
}
