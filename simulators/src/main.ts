// CLI: simulate a city's sensors and cameras against an MQTT broker until SIGINT/SIGTERM.
//   npm run simulate -- --city config/demo-city --url mqtt://127.0.0.1:1883 [--interval 5s] [--seed 42]
//                       [--scenario flooding [--scenario-device wl-0007] [--speed 20]]
//   gateway mode: npm run simulate -- --gateway sl-0001 (its children publish through its one connection)
//   load mode: npm run simulate -- --city <dir> --devices 100000 --interval 10s [--ramp 2000] [--batch 1] [--duration 5m]
import { existsSync, readFileSync, statSync } from 'node:fs';
import { CityConfigError, loadCity, type City } from '@citygrid/contract/node';
import { pino } from 'pino';
import { parseCli, USAGE } from './cli-args.js';
import { runLoadMode } from './load/load-mode.js';
import { startSimulator, type Simulator } from './simulator.js';
import { parseSecrets, SECRETS_FILE_MAX_BYTES } from './secrets-file.js';

const PROGRESS_MS = 10_000; // log progress every 10 s
const STOP_DEADLINE_MS = 10_000; // give up on a graceful stop after 10 s

function fail(code: number, problems: string[], usage = false): never {
  process.stderr.write(`simulate: ${problems.join('\n  ')}\n${usage ? `\n${USAGE}\n` : ''}`);
  process.exit(code);
}

const parsed = parseCli(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (parsed.kind === 'invalid') fail(2, parsed.problems, true);
const options = parsed.options;

if (!existsSync(options.cityDir)) fail(2, [`--city: folder "${options.cityDir}" does not exist`], true);
let city: City;
try {
  city = loadCity(options.cityDir);
} catch (err) {
  if (err instanceof CityConfigError) fail(1, [err.message]);
  throw err;
}
if (options.load) {
  try {
    await runLoadMode({ city, url: options.url, intervalMs: options.intervalMs, load: options.load });
  } catch (err) {
    fail(2, [(err as Error).message]);
  }
}
const unknown = (options.devices ?? []).filter((id) => !city.devicesById.has(id));
if (unknown.length > 0) fail(2, [`--devices: not in ${options.cityDir}/devices.yaml: ${unknown.join(', ')}`]);

// --secrets: the devices' own secrets (the rest use the demo's demo-<id>)
let secretFor: ((id: string) => string) | undefined;
if (options.secretsFile !== undefined) {
  if (!existsSync(options.secretsFile)) fail(2, [`--secrets: file "${options.secretsFile}" does not exist`]);
  if (statSync(options.secretsFile).size > SECRETS_FILE_MAX_BYTES) fail(2, [`--secrets: "${options.secretsFile}" is over 64 MiB`]);
  const { secrets, problems } = parseSecrets(readFileSync(options.secretsFile, 'utf8'));
  const strangers = [...secrets.keys()].filter((id) => !city.devicesById.has(id));
  if (strangers.length) problems.push(`not in ${options.cityDir}/devices.yaml: ${strangers.slice(0, 10).join(', ')}${strangers.length > 10 ? ', …' : ''}`);
  if (problems.length) fail(2, problems.map((p) => `--secrets ${options.secretsFile}: ${p}`));
  secretFor = (id) => secrets.get(id) ?? `demo-${id}`;
}

const logger = pino({ name: 'simulate' });
let sim: Simulator;
try {
  // a scenario logs its target device and cell, then one progress line as each phase begins
  sim = startSimulator({ ...options, city, logger, ...(secretFor ? { secretFor } : {}) });
} catch (err) {
  fail(2, [(err as Error).message]);
}
const total = sim.stats().devices;

let lastSent = 0;
let allConnected = false;
const progress = setInterval(() => {
  const { connected, sent, errors, scenario } = sim.stats();
  const phase = scenario ? { scenario: `${scenario.name}: ${scenario.phase}` } : {};
  logger.info({ connected, devices: total, sentPerSecond: Math.round(((sent - lastSent) * 1000) / PROGRESS_MS), errors, ...phase }, 'progress');
  lastSent = sent;
}, PROGRESS_MS);
const watchConnect = setInterval(() => {
  if (!allConnected && sim.stats().connected === total) {
    allConnected = true;
    logger.info({ devices: total }, 'all devices connected');
    clearInterval(watchConnect);
  }
}, 250);

let stoppingSince = 0;
async function shutdown(signal: string): Promise<void> {
  if (stoppingSince > 0) {
    // npm forwards the terminal's Ctrl-C, so a second signal within a second is the same request
    if (Date.now() - stoppingSince < 1_000) return;
    logger.warn(`${signal} again: exiting without waiting`);
    process.exit(130);
  }
  stoppingSince = Date.now();
  logger.info({ signal }, 'stopping: devices publish offline and disconnect');
  clearInterval(progress);
  clearInterval(watchConnect);
  setTimeout(() => {
    logger.error('graceful stop took too long; exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  await sim.stop();
  logger.info({ sent: sim.stats().sent }, 'stopped');
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
