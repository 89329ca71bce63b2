// A real NATS cluster (Debian's nats-server 2.9, JetStream) for tests, in a temp dir (scripts/engines.ts).
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
