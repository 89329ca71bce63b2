// A real NATS cluster (Debian's nats-server 2.9, JetStream) for tests, in a temp dir (scripts/engines.ts).
import { afterAll, beforeAll } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsCluster, type NatsCluster } from '../../scripts/engines.js';
import { tempDir } from './system.js';

export type { NatsNode } from '../../scripts/engines.js';
export interface TestNats extends NatsCluster {
  remove(): Promise<void>;
}

export async function startNats(count = 3): Promise<TestNats> {
  const dir = tempDir('citygrid-nats-');
  const cluster = await natsCluster(dir.path, count);
  return { ...cluster, remove: async () => { await cluster.stop(); dir.remove(); } };
}

/**
 * One single-node nats-server for a test file: started before its tests, removed after them, and the
 * connections made through connect() closed first.
 */
export function natsForFile(): { url(): string; connect(): Promise<NatsConnection>; pid(): number | undefined } {
  let nats: TestNats | undefined;
  const conns: NatsConnection[] = [];
  beforeAll(async () => { nats = await startNats(1); });
  afterAll(async () => {
    for (const c of conns) await c.close().catch(() => undefined);
    await nats?.remove();
  });
  return {
    url: () => nats!.url,
    /** The server's pid (to pause it with SIGSTOP, as a NATS too busy to answer). */
    pid: () => nats!.nodes[0]!.pid(),
    connect: async () => {
      const nc = await connect({ servers: nats!.url });
      conns.push(nc);
      return nc;
    },
  };
}
