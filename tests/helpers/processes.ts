// The broker and the server as real child processes (`npm run broker`, `npm run server`), for the
// fault runs: killed with SIGKILL or SIGTERM and started again on the same ports and data.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, waitFor } from './system.js';

export { freePort } from './influx.js';

export interface Child {
  process: ChildProcess;
  output(): string;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `nodeArgs`: options for node itself (e.g. --cpu-prof, which NODE_OPTIONS may not carry); `args`: the program's own. */
export async function startChild(entry: string, env: Record<string, string>, ready: string, timeoutMs = 60_000, nodeArgs: string[] = [], args: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  // 'close', not 'exit': the process may exit before all it wrote to stdout has been read here
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let gone = false;
  void exited.then(() => { gone = true; });
  await Promise.race([
    waitFor(() => gone || out.includes(ready), `${entry} to log "${ready}"`, timeoutMs, 100).then(() => {
      if (!out.includes(ready)) throw new Error(`${entry} exited with ${child.exitCode}`);
    }),
    exited.then(() => {
      if (!out.includes(ready)) throw new Error(`${entry} exited with ${child.exitCode}`);
    }),
  ]).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${out.slice(-2000)}`);
  });
  return {
    process: child,
    output: () => out,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export const SERVICE_PASSWORD = 'faults-service-password';

/** `npm run broker` for the demo city on `port`, without the per-device budget (the fault runs load 100 readings/s per device). */
export function startBrokerProcess(port: number, cityDir: string): Promise<Child> {
  return startChild('broker/src/main.ts', { MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', CITY_DIR: cityDir, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD, MQTT_DEVICE_RATE: '0', BROKER_HTTP_PORT: 'off', LOG_LEVEL: 'info' }, 'MQTT broker listening');
}

/** `npm run server` against the broker on `mqttPort`, serving HTTP on `httpPort`. */
export function startServerProcess(o: { httpPort: number; mqttPort: number; dataDir: string; cityDir: string; env?: Record<string, string> }): Promise<Child> {
  return startChild('server/src/main.ts', {
    PORT: String(o.httpPort), HOST: '127.0.0.1', MQTT_URL: `mqtt://127.0.0.1:${o.mqttPort}`, MQTT_PASSWORD: SERVICE_PASSWORD,
    DATA_DIR: o.dataDir, CITY_DIR: o.cityDir, LOG_LEVEL: 'info', AUTH_SECRET: 'faults-auth-secret-0123456789-abcdefghijkl', ...o.env,
  }, 'CityGrid is live');
}
