// A real NATS cluster (Debian's nats-server 2.9, JetStream) for tests: one config and store dir per
// node in a temp dir, client, cluster and monitoring ports all free loopback ports, stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './influx.js';
import { tempDir, waitFor } from './system.js';

export interface NatsNode {
  name: string;
  url: string;
  /** Monitoring endpoint (`/healthz`, `/jsz`). */
  http: string;
  running(): boolean;
  /** Sends the signal and waits for the process to exit (its store stays). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and store. */
  start(): Promise<void>;
}

export interface TestNats {
  nodes: NatsNode[];
  /** Every node's client URL, comma-separated (BUS_URL). */
  url: string;
  /** The node that leads a stream's RAFT group now (from the monitoring endpoint), or null. */
  streamLeader(stream: string): Promise<NatsNode | null>;
  remove(): Promise<void>;
}

export async function startNats(count = 3): Promise<TestNats> {
  const dir = tempDir('citygrid-nats-');
  const ports = await Promise.all(Array.from({ length: count }, async () => ({ client: await freePort(), cluster: await freePort(), http: await freePort() })));
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`).join(', ');
  const nodes: NatsNode[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const store = join(dir.path, name);
    mkdirSync(store, { recursive: true });
    const config = join(dir.path, `${name}.conf`);
    writeFileSync(config, [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${p.client}`,
      `http: 127.0.0.1:${p.http}`,
      `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 2GB }`,
      ...(count > 1 ? [`cluster { name: citygrid-test, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`] : []),
    ].join('\n'));
    let child: ChildProcess | null = null;
    let log = '';
    const http = `http://127.0.0.1:${p.http}`;
    return {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      http,
      running: () => child !== null && child.exitCode === null && child.signalCode === null,
      async start() {
        child = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
        const c = child;
        await waitFor(async () => {
          if (c.exitCode !== null) throw new Error(`nats-server ${name} exited: ${log}`);
          return (await fetch(`${http}/varz`).catch(() => null))?.ok === true;
        }, `nats-server ${name} to answer`, 30_000, 50);
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
  });
  await Promise.all(nodes.map((n) => n.start()));
  // JetStream in a cluster answers once its meta group has a leader
  await waitFor(async () => {
    for (const n of nodes) {
      const res = await fetch(`${n.http}/healthz?js-enabled-only=true`).catch(() => null);
      if (!res?.ok) return false;
    }
    const jsz = await (await fetch(`${nodes[0]!.http}/jsz`)).json() as { meta_cluster?: { leader?: string } };
    return count === 1 || Boolean(jsz.meta_cluster?.leader);
  }, 'the NATS cluster to elect a JetStream leader', 30_000, 100);
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
    async remove() {
      await Promise.all(nodes.map((n) => n.stop()));
      dir.remove();
    },
  };
}
