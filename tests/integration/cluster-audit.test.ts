// Cluster mode's audit log (server/src/bus/cluster-audit.ts), against a real nats-server: entries
// recorded on any replica are listed by every replica, each once, in the same order; a replica that
// was away takes in what it missed when it starts again, without repeating what it had.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AuditLog } from '../../server/src/auth/audit-log.js';
import { ClusterAudit } from '../../server/src/bus/cluster-audit.js';
import { natsForFile } from '../helpers/nats.js';
import { waitFor } from '../helpers/system.js';

const nats = natsForFile();
const dir = mkdtempSync(join(tmpdir(), 'citygrid-cluster-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function replica(name: string): Promise<{ log: AuditLog; stream: ClusterAudit }> {
  const nc = await nats.connect();
  const log = new AuditLog(join(dir, `${name}.db`));
  const stream = new ClusterAudit({ nc, audit: log, logger: pino({ level: 'silent' }), replicas: 1, replicaId: `${name}-${Date.now()}` });
  await stream.start();
  return { log, stream };
}
const users = (log: AuditLog) => log.list({ limit: 100 }).map((e) => `${e.user}:${e.action}`).reverse();

describe('the audit log in cluster mode', () => {
  it('lists every replica\'s entries on every replica, each once; a replica that was away catches up', async () => {
    const a = await replica('a');
    let b = await replica('b');
    a.log.record({ user: 'operator', action: 'login', note: 'from 10.0.0.5' });
    b.log.record({ user: 'operator', action: 'acknowledge', target: 'al-1', note: 'crew on the way' });
    a.log.record({ user: 'gw-c-a', action: 'resolve', target: 'al-1', note: 'pumped out' });
    const expected = ['operator:login', 'operator:acknowledge', 'gw-c-a:resolve'];
    await waitFor(() => users(a.log).length === 3 && users(b.log).length === 3, 'both replicas holding the 3 entries', 10_000, 20);
    expect(new Set(users(a.log))).toEqual(new Set(expected));
    expect(users(b.log), 'the same order on every replica').toEqual(users(a.log));

    // b goes away; entries are recorded meanwhile; b comes back on the same file
    await b.stream.close();
    b.log.close();
    a.log.record({ user: 'admin', action: 'rules_reload', target: 'rules.yaml' });
    await waitFor(() => users(a.log).length === 4, 'the entry on a', 10_000, 20);
    b = await replica('b');
    await waitFor(() => users(b.log).length === 4, 'b catching up', 10_000, 20);
    expect(users(b.log)).toEqual(users(a.log));
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives: nothing taken in twice
    expect(users(b.log)).toHaveLength(4);
    await a.stream.close();
    await b.stream.close();
  }, 60_000);
});
