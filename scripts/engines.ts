// The engines cluster mode runs on, started from Debian's packages on free loopback ports, each with
// its own directory, and stopped by pid: nats-server (a JetStream cluster), redis-server, influxd.
// `npm run cluster` (scripts/cluster.ts) and the tests (tests/helpers/) both start them from here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it is true; throws what it last threw, or a timeout naming `what`. */
export async function waitUntil(probe: () => Promise<boolean> | boolean, what: string, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One engine process: started, stopped with a signal (its data stays) and started again. */
export interface EngineProcess {
  name: string;
  running(): boolean;
  pid(): number | undefined;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function engineProcess(name: string, command: string, args: string[], ready: (log: string) => Promise<boolean> | boolean, timeoutMs = 30_000): EngineProcess {
  let child: ChildProcess | null = null;
  return {
    name,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    pid: () => child?.pid,
    async start() {
      let log = '';
      const c = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      const keep = (d: Buffer) => { log = (log + d.toString()).slice(-8000); };
      c.stdout!.on('data', keep);
      c.stderr!.on('data', keep);
      await waitUntil(async () => {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${name} (${command}) exited: ${log.slice(-2000)}`);
        return ready(log);
      }, `${name} to be ready`, timeoutMs, 50);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill(signal);
      });
    },
  };
}

export interface NatsNode extends EngineProcess {
  url: string;
  /** Monitoring endpoint (`/healthz`, `/jsz`). */
  http: string;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client URL, comma-separated (BUS_URL). */
  url: string;
  /** The node that leads a stream's RAFT group now (from the monitoring endpoint), or null. */
  streamLeader(stream: string): Promise<NatsNode | null>;
  stop(): Promise<void>;
}

/** `count` nats-server nodes with JetStream, clustered (routes to each other), stores under `dir`. */
export async function natsCluster(dir: string, count = 3): Promise<NatsCluster> {
  const ports = await Promise.all(Array.from({ length: count }, async () => ({ client: await freePort(), cluster: await freePort(), http: await freePort() })));
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`).join(', ');
  const nodes: NatsNode[] = ports.map((p, i) => {
    const name = `nats-${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store, { recursive: true });
    const config = join(dir, `${name}.conf`);
    writeFileSync(config, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${p.client}`,
      `http: 127.0.0.1:${p.http}`,
      `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 2GB }`,
      ...(count > 1 ? [`cluster { name: citygrid, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`] : []),
    ].join('\n'));
    const http = `http://127.0.0.1:${p.http}`;
    const proc = engineProcess(name, 'nats-server', ['-c', config], async () => (await fetch(`${http}/varz`).catch(() => null))?.ok === true);
    return { ...proc, url: `nats://127.0.0.1:${p.client}`, http };
  });
  await Promise.all(nodes.map((n) => n.start()));
  // JetStream in a cluster answers once its meta group has a leader
  await waitUntil(async () => {
    for (const n of nodes) if (!(await fetch(`${n.http}/healthz?js-enabled-only=true`).catch(() => null))?.ok) return false;
    if (count === 1) return true;
    const jsz = await (await fetch(`${nodes[0]!.http}/jsz`)).json() as { meta_cluster?: { leader?: string } };
    return Boolean(jsz.meta_cluster?.leader);
  }, 'the NATS cluster to elect a JetStream leader', 30_000);
  return {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    async streamLeader(stream) {
      for (const n of nodes) {
        if (!n.running()) continue;
        const jsz = await (await fetch(`${n.http}/jsz?streams=true`).catch(() => null))?.json().catch(() => null) as
          { account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[] } | null;
        for (const acc of jsz?.account_details ?? []) {
          const s = acc.stream_detail?.find((d) => d.name === stream);
          if (s?.cluster?.leader) return nodes.find((x) => x.name === s.cluster!.leader) ?? null;
        }
      }
      return null;
    },
    stop: async () => { await Promise.all(nodes.map((n) => n.stop())); },
  };
}

/** redis-server on a free port, keeping nothing on disk (live events only). */
export async function redisServer(dir: string): Promise<EngineProcess & { url: string }> {
  const port = await freePort();
  const proc = engineProcess('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    (log) => log.includes('Ready to accept connections'), 20_000);
  await proc.start();
  return { ...proc, url: `redis://127.0.0.1:${port}` };
}

/** influxd 1.x with its data under `dir`, HTTP and RPC on free ports, no reporting. */
export async function influxd(dir: string): Promise<EngineProcess & { url: string; port: number }> {
  const [http, rpc] = [await freePort(), await freePort()];
  const config = spawnSync('influxd', ['config'], { encoding: 'utf8' }).stdout
    .replace(/^bind-address = .*$/m, `bind-address = "127.0.0.1:${rpc}"`)
    .replace(/dir = "\/var\/lib\/influxdb\/meta"/, `dir = "${join(dir, 'meta')}"`)
    .replace(/dir = "\/var\/lib\/influxdb\/data"/, `dir = "${join(dir, 'data')}"`)
    .replace(/wal-dir = "\/var\/lib\/influxdb\/wal"/, `wal-dir = "${join(dir, 'wal')}"`)
    .replace(/(\[http\][\s\S]*?bind-address = )":8086"/, `$1"127.0.0.1:${http}"`)
    .replace(/store-enabled = true/, 'store-enabled = false')
    .replace(/reporting-disabled = false/, 'reporting-disabled = true');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'influxdb.conf');
  writeFileSync(configPath, config);
  const url = `http://127.0.0.1:${http}`;
  const proc = engineProcess('influxdb', 'influxd', ['run', '-config', configPath], async () => (await fetch(`${url}/ping`).catch(() => null))?.status === 204);
  await proc.start();
  return { ...proc, url, port: http };
}
