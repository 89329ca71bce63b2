// `npm run cluster`: a whole cluster-mode CityGrid on this machine, for trying it: 3 nats-server
// nodes (JetStream, R3), redis-server and influxd from Debian, 2 edges, 3 server replicas and the
// demo city's simulator, on free loopback ports with a temp dir. One progress line per component;
// Ctrl-C stops everything it started, replicas first (they hand their partitions over).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, influxd, natsCluster, redisServer, waitUntil, type EngineProcess } from './engines.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CITY_DIR = process.env.CITY_DIR ?? join(ROOT, 'config', 'demo-city');
const NEEDS = [['nats-server', 'nats-server'], ['redis-server', 'redis-server'], ['influxd', 'influxdb']] as const;

const missing = NEEDS.filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0);
if (missing.length) {
  process.stderr.write(`npm run cluster needs ${missing.map(([c]) => c).join(', ')} from Debian:\n  sudo apt-get install -y ${missing.map(([, p]) => p).join(' ')}\n`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'citygrid-cluster-'));
const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);
const children: { name: string; child: ChildProcess }[] = [];
const engines: EngineProcess[] = [];
let stopping = false;

/** A CityGrid process (edge, replica, simulator) with its output in DATA/<name>.log; resolves once it logs `ready`. */
async function node(name: string, entry: string, args: string[], env: Record<string, string>, ready: string): Promise<void> {
  const log = join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  const keep = (d: Buffer) => {
    out.write(d);
    if (seen.length < 200_000) seen += d.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (!stopping) say(`${name} exited (${signal ?? `code ${code}`}); its log: ${log}`);
  });
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; its log: ${log}\n${seen.slice(-1500)}`);
    return seen.includes(ready);
  }, `${name} to start`, 120_000);
}

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping: simulator, replicas, edges, then the engines');
  for (const { name, child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    await new Promise<void>((done) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => { clearTimeout(force); done(); });
      child.kill('SIGTERM');
    });
    say(`${name} stopped`);
  }
  for (const e of [...engines].reverse()) await e.stop();
  say(`engines stopped; logs and data are in ${dir}`);
}

process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)));

try {
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs'), '--if-missing'], { stdio: 'inherit' });
  say(`working in ${dir}`);
  mkdirSync(join(dir, 'nats'));
  const nats = await natsCluster(join(dir, 'nats'), 3);
  engines.push(...nats.nodes);
  say(`NATS: 3 nodes with JetStream at ${nats.url}`);
  mkdirSync(join(dir, 'redis'));
  const redis = await redisServer(join(dir, 'redis'));
  engines.push(redis);
  say(`Redis at ${redis.url}`);
  const influx = await influxd(join(dir, 'influxdb'));
  engines.push(influx);
  await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE "citygrid"')}`, { method: 'POST' });
  say(`InfluxDB at ${influx.url} (database citygrid)`);

  const bus = { BUS_URL: nats.url, BUS_REPLICAS: '3', CITY_DIR, CITYGRID_DEMO: process.env.CITYGRID_DEMO ?? '' };
  const edgePorts: number[] = [];
  for (let i = 1; i <= 2; i++) {
    const port = i === 1 ? await preferred(1883) : await freePort();
    edgePorts.push(port);
    const httpPort = await freePort(); // each edge's /metrics, /health and MQTT over WebSockets at /mqtt
    await node(`edge-${i}`, 'broker/src/main.ts', [], { ...bus, MQTT_PORT: String(port), MQTT_HOST: '127.0.0.1', BROKER_HTTP_PORT: String(httpPort) }, 'broker HTTP listening');
    say(`edge-${i}: MQTT on 127.0.0.1:${port}; http://127.0.0.1:${httpPort}/health, /metrics, ws://127.0.0.1:${httpPort}/mqtt`);
  }
  const secret = randomBytes(36).toString('base64');
  const httpPorts: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const port = i === 1 ? await preferred(8080) : await freePort();
    httpPorts.push(port);
    await node(`replica-${i}`, 'server/src/main.ts', [], {
      ...bus, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, `replica-${i}`), STORE: 'influx',
      INFLUX_URL: influx.url, INFLUX_DATABASE: 'citygrid', AUTH_SECRET: secret, REDIS_URL: redis.url, SIMULATE: '0',
    }, 'CityGrid is live');
    say(`replica-${i}: http://127.0.0.1:${port}`);
  }
  const urls = edgePorts.map((p) => `mqtt://127.0.0.1:${p}`).join(',');
  await node('simulator', 'simulators/src/main.ts', ['--city', CITY_DIR, '--url', urls], {}, 'all devices connected');
  say('simulator: the demo city\'s devices, through both edges');
  say(`ready. Open http://127.0.0.1:${httpPorts[0]} (or any replica), sign in as admin / demo-admin.`);
  const pids = [...children.filter((c) => c.name !== 'simulator').map((c) => `${c.name} ${c.child.pid}`), ...nats.nodes.map((n) => `${n.name} ${n.pid()}`)];
  say(`Try: kill -9 a replica, an edge or a NATS node (pids: ${pids.join(', ')}). Ctrl-C stops everything.`);
} catch (err) {
  process.stderr.write(`npm run cluster failed: ${(err as Error).message}\n`);
  await stopAll();
  process.exit(1);
}

/** The usual port when it is free, else any free one. */
async function preferred(port: number): Promise<number> {
  const { createServer } = await import('node:net');
  const free = await new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
  return free ? port : freePort();
}
