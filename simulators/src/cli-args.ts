// Parses and checks the simulator's command line; every problem is reported at once.
import { parseArgs } from 'node:util';
import { isDeviceId, parseDuration } from '@citygrid/contract';
import { isScenarioName, SCENARIO_NAMES, type ScenarioName } from './scenarios/index.js';

export const USAGE = `Usage: npm run simulate -- [options]

Simulates the sensors and cameras of a city over MQTT.

Options:
  --city <dir>        city configuration folder (default: config/demo-city)
  --url <url>         MQTT broker (default: $MQTT_URL or mqtt://127.0.0.1:1883)
  --interval <time>   how often each device reports, e.g. 5s, 500ms, 1m (default: 5s)
  --seed <n>          random seed, a whole number (default: 42)
  --speed <x>         run the simulated day x times faster; timestamps stay real (default: 1)
  --devices <ids>     only these devices, comma-separated (default: all)
  --scenario <name>   play a scenario on top of the normal city: ${SCENARIO_NAMES.join(', ')}
  --scenario-device <id>
                      the device the scenario centres on (flooding: a water_level id; default: picked)
  -h, --help          show this help`;

export interface CliOptions {
  cityDir: string;
  url: string;
  intervalMs: number;
  seed: number;
  speed: number;
  devices?: string[];
  scenario?: ScenarioName;
  scenarioDevice?: string;
}

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
        scenario: { type: 'string' },
        'scenario-device': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return { kind: 'invalid', problems: [(err as Error).message] };
  }
  if (values.help) return { kind: 'help' };

  const problems: string[] = [];
  const url = values.url ?? env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (!URL_PROTOCOLS.includes(protocol)) problems.push(`--url "${url}" is not a broker URL such as mqtt://127.0.0.1:1883`);

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
  if (values.devices !== undefined) {
    devices = values.devices.split(',').map((d) => d.trim()).filter((d) => d.length > 0);
    const bad = devices.filter((d) => !isDeviceId(d));
    if (devices.length === 0) problems.push('--devices is empty; give comma-separated device ids');
    if (bad.length > 0) problems.push(`--devices: ${bad.map((d) => `"${d}"`).join(', ')} ${bad.length > 1 ? 'are not device ids' : 'is not a device id'} ([a-z0-9][a-z0-9-]{0,63})`);
  }

  const scenario = values.scenario;
  if (scenario !== undefined && !isScenarioName(scenario)) problems.push(`--scenario "${scenario}" is not a scenario; known scenarios: ${SCENARIO_NAMES.join(', ')}`);
  const scenarioDevice = values['scenario-device'];
  if (scenarioDevice !== undefined) {
    if (!isDeviceId(scenarioDevice)) problems.push(`--scenario-device "${scenarioDevice}" is not a device id ([a-z0-9][a-z0-9-]{0,63})`);
    if (scenario === undefined) problems.push('--scenario-device needs --scenario');
  }

  if (problems.length > 0) return { kind: 'invalid', problems };
  const options: CliOptions = { cityDir: values.city ?? 'config/demo-city', url, intervalMs: intervalMs!, seed, speed };
  if (devices) options.devices = devices;
  if (scenario !== undefined && isScenarioName(scenario)) options.scenario = scenario;
  if (scenarioDevice !== undefined) options.scenarioDevice = scenarioDevice;
  return { kind: 'run', options };
}
