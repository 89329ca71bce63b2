// Parses and checks the simulator's command line; every problem is reported at once.
import { parseArgs } from 'node:util';
import { isDeviceId, parseDuration } from '@citygrid/contract';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from './scenarios/index.js';

export const USAGE = `Usage: npm run simulate -- [options]

Simulates the sensors and cameras of a city over MQTT.

Options:
  --city <dir>        city configuration folder (default: config/demo-city)
  --url <url>         MQTT broker, or several comma-separated (default: $MQTT_URL or mqtt://127.0.0.1:1883)
  --interval <time>   how often each device reports, e.g. 5s, 500ms, 1m (default: 5s)
  --seed <n>          random seed, a whole number (default: 42)
  --speed <x>         run the simulated day x times faster; timestamps stay real (default: 1)
  --devices <ids>     only these devices, comma-separated (default: all)
  --gateway <ids>     gateway mode: these gateways (devices.yaml children:), comma-separated, publish
                      their children's readings and events through their own one connection each, on
                      city/v1/gateways/{gateway}/devices/{child}/...; the children open none of their own
  --devices <n>       load mode: the city's first n devices over lightweight raw MQTT connections,
                      each reporting once per --interval (n / interval readings/s in total), with a
                      progress bar on stderr and a report of what was sent on exit. Make a city that
                      big first: npm run city:synthetic -- --devices <n> --out <dir>, then --city <dir>
  --ramp <n>          load mode: new connections per second while ramping up (default: 2000)
  --batch <n>         load mode: readings per message, 1..500 (default: 1)
  --sources <n>       load mode: spread connections over n loopback source addresses 127.0.0.1..n
                      (default: one per 20,000 connections; only for a loopback broker)
  --duration <time>   load mode: stop this long after the ramp-up (default: until Ctrl-C)
  --secrets <file>    device secrets as id,secret lines (the CSV the Devices page and the import
                      give once); devices not in it use the demo's demo-<id>
  --scenario <name>   play a scenario on top of the normal city: ${SCENARIO_NAMES.join(', ')}
  --scenario-device <id>
                      the device the scenario centres on, of the kind it drives (e.g. flooding: a water_level id; default: picked)
  -h, --help          show this help`;

export interface CliOptions {
  cityDir: string;
  url: string;
  intervalMs: number;
  seed: number;
  speed: number;
  devices?: string[];
  /** Gateway mode (`--gateway <ids>`): these gateways carry their children's messages. */
  gateways?: string[];
  /** Load mode (`--devices <n>`). */
  load?: LoadOptions;
  scenario?: ScenarioName;
  scenarioDevice?: string;
  /** `--secrets <file>`: id,secret lines. */
  secretsFile?: string;
}

export interface LoadOptions {
  count: number;
  rampPerS: number;
  batch: number;
  /** Loopback source addresses to spread connections over (empty: let the system choose). */
  sources: string[];
  durationMs: number | null;
}

export const CONNECTIONS_PER_SOURCE = 20_000;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

export type CliResult = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'invalid'; problems: string[] };

const MIN_INTERVAL_MS = 50;
const URL_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        city: { type: 'string' },
        url: { type: 'string' },
        interval: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        devices: { type: 'string' },
        gateway: { type: 'string' },
        secrets: { type: 'string' },
        scenario: { type: 'string' },
        'scenario-device': { type: 'string' },
        ramp: { type: 'string' },
        batch: { type: 'string' },
        sources: { type: 'string' },
        duration: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { kind: 'invalid', problems: [(err as Error).message] };
  }
  if (values.help) return { kind: 'help' };

  const problems: string[] = [];
  const url = values.url ?? env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  // several brokers (cluster mode's edges), comma-separated: devices move to the next when one is gone
  for (const one of url.split(',')) {
    let protocol = '';
    try {
      protocol = new URL(one.trim()).protocol;
    } catch {
      // reported below
    }
    if (!URL_PROTOCOLS.includes(protocol)) problems.push(`--url "${one}" is not a broker URL such as mqtt://127.0.0.1:1883 (several: comma-separated)`);
  }

  const intervalText = values.interval ?? '5s';
  const intervalMs = parseDuration(intervalText);
  if (intervalMs === null) problems.push(`--interval "${intervalText}" is not a duration with a unit, such as 5s, 500ms or 1m`);
  else if (intervalMs < MIN_INTERVAL_MS) problems.push(`--interval ${intervalText} is too short; the minimum is ${MIN_INTERVAL_MS}ms`);

  const seedText = values.seed ?? '42';
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || seed > 0xffffffff) problems.push(`--seed "${seedText}" must be a whole number from 0 to 4294967295`);

  const speedText = values.speed ?? '1';
  const speed = Number(speedText);
  if (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0) || speed > 100_000) problems.push(`--speed "${speedText}" must be a number above 0 and at most 100000`);

  let devices: string[] | undefined;
  let load: LoadOptions | undefined;
  if (values.devices !== undefined && /^\s*\d+\s*$/.test(values.devices)) {
    load = parseLoad(values, url, problems);
  } else if (values.devices !== undefined) {
    devices = values.devices.split(',').map((d) => d.trim()).filter((d) => d.length > 0);
    const bad = devices.filter((d) => !isDeviceId(d));
    if (devices.length === 0) problems.push('--devices is empty; give comma-separated device ids');
    if (bad.length > 0) problems.push(`--devices: ${bad.map((d) => `"${d}"`).join(', ')} ${bad.length > 1 ? 'are not device ids' : 'is not a device id'} ([a-z0-9][a-z0-9-]{0,63})`);
  }

  let gateways: string[] | undefined;
  if (values.gateway !== undefined) {
    gateways = values.gateway.split(',').map((d) => d.trim()).filter((d) => d.length > 0);
    const bad = gateways.filter((d) => !isDeviceId(d));
    if (gateways.length === 0) problems.push('--gateway is empty; give comma-separated gateway device ids');
    if (bad.length > 0) problems.push(`--gateway: ${bad.map((d) => `"${d}"`).join(', ')} ${bad.length > 1 ? 'are not device ids' : 'is not a device id'} ([a-z0-9][a-z0-9-]{0,63})`);
    if (load) problems.push('--gateway cannot be combined with load mode (--devices <number>)');
  }

  const scenario = values.scenario;
  if (scenario !== undefined && !isScenarioName(scenario)) problems.push(`--scenario "${scenario}" is not a scenario; known scenarios: ${SCENARIO_NAMES.join(', ')}`);
  const scenarioDevice = values['scenario-device'];
  if (scenarioDevice !== undefined) {
    if (!isDeviceId(scenarioDevice)) problems.push(`--scenario-device "${scenarioDevice}" is not a device id ([a-z0-9][a-z0-9-]{0,63})`);
    if (scenario === undefined) problems.push('--scenario-device needs --scenario');
  }

  if (!load) {
    for (const o of ['ramp', 'batch', 'sources', 'duration'] as const) {
      if (values[o] !== undefined) problems.push(`--${o} is for load mode only (--devices <number>)`);
    }
  } else if (scenario !== undefined) problems.push('--scenario cannot be combined with load mode (--devices <number>)');
  if (load && values.secrets !== undefined) problems.push('--secrets cannot be combined with load mode (--devices <number>), whose devices use the demo secrets');

  if (problems.length > 0) return { kind: 'invalid', problems };
  const options: CliOptions = { cityDir: values.city ?? 'config/demo-city', url, intervalMs: intervalMs!, seed, speed };
  if (devices) options.devices = devices;
  if (gateways) options.gateways = gateways;
  if (load) options.load = load;
  if (scenario !== undefined && isScenarioName(scenario)) options.scenario = scenario;
  if (scenarioDevice !== undefined) options.scenarioDevice = scenarioDevice;
  if (values.secrets !== undefined) options.secretsFile = values.secrets;
  return { kind: 'run', options };
}

function wholeNumber(text: string | undefined, fallback: number, name: string, min: number, max: number, problems: string[]): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    problems.push(`--${name} "${text}" must be a whole number from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

function parseLoad(values: Record<string, string | boolean | undefined>, url: string, problems: string[]): LoadOptions {
  const count = wholeNumber(values.devices as string, 0, 'devices', 1, 1_000_000, problems);
  const rampPerS = wholeNumber(values.ramp as string | undefined, 2000, 'ramp', 1, 100_000, problems);
  const batch = wholeNumber(values.batch as string | undefined, 1, 'batch', 1, 500, problems);
  let host = '';
  try {
    host = new URL(url).hostname;
  } catch {
    // the URL problem is reported elsewhere
  }
  const loopback = LOOPBACK_HOSTS.includes(host);
  const wanted = values.sources === undefined ? (loopback ? Math.ceil(count / CONNECTIONS_PER_SOURCE) : 0) : wholeNumber(values.sources as string, 1, 'sources', 1, 250, problems);
  if (values.sources !== undefined && !loopback) problems.push('--sources needs a broker on 127.0.0.1 (source addresses are loopback addresses)');
  const sources = wanted > 1 ? Array.from({ length: wanted }, (_, i) => `127.0.0.${i + 1}`) : [];
  let durationMs: number | null = null;
  if (values.duration !== undefined) {
    durationMs = parseDuration(values.duration as string);
    if (durationMs === null || durationMs < 1000) problems.push(`--duration "${values.duration as string}" must be a duration of at least 1s, such as 30s or 10m`);
  }
  return { count, rampPerS, batch, sources, durationMs };
}
