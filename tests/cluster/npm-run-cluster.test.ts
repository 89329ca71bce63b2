// Proves the README's `npm run cluster`: it starts 3 NATS nodes, Redis, InfluxDB, 2 edges, 3
// replicas and the simulator, says where each is, the replicas share the 64 partitions and store
// the simulator's readings, and SIGINT stops every process it started.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PARTITIONS, type HealthResponse } from '@citygrid/contract';
import { ROOT, waitFor } from '../helpers/system.js';

describe('npm run cluster', () => {
  it('starts a whole cluster on this machine, and Ctrl-C stops all of it', async () => {
    // its own process group, as in a terminal, where Ctrl-C reaches every process of the group
    const child = spawn('npm', ['run', 'cluster'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      await waitFor(() => {
        if (child.exitCode !== null) throw new Error(`npm run cluster exited:\n${out}`);
        return out.includes('[cluster] ready.');
      }, 'npm run cluster to be ready', 240_000, 250);
      const replicas = [...out.matchAll(/replica-\d: (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]!);
      expect(replicas).toHaveLength(3);
      for (const line of ['NATS: 3 nodes', 'Redis at', 'InfluxDB at', 'edge-1: MQTT', 'edge-2: MQTT', 'simulator:']) expect(out).toContain(line);
      const health = await waitFor(async () => {
        const all = await Promise.all(replicas.map(async (u) => (await (await fetch(`${u}/api/health`)).json()) as HealthResponse));
        const parts = all.flatMap((h) => h.cluster?.partitions ?? []);
        return parts.length === PARTITIONS && new Set(parts).size === PARTITIONS && all.every((h) => h.ingest.stored > 0) ? all : null;
      }, 'the partitions shared and readings stored by every replica', 60_000, 500);
      expect(health.map((h) => h.broker.mode)).toEqual(['cluster', 'cluster', 'cluster']);
      const pids = [...out.matchAll(/(?:edge|replica|nats)-\d (\d+)/g)].map((m) => Number(m[1]));
      expect(pids).toHaveLength(8);
      process.kill(-child.pid!, 'SIGINT'); // Ctrl-C
      await exited;
      expect(out).toContain('engines stopped');
      const alive = pids.filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
      expect(alive, 'processes still running after Ctrl-C').toEqual([]);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // whatever is left of the group
      } catch { /* all gone */ }
    }
  }, 360_000);
});
