// A real Redis (Debian's redis-server 7) for tests: its own temp dir, a free loopback port, no
// persistence, stopped by pid and startable again on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './influx.js';
import { tempDir, waitFor } from './system.js';

export interface TestRedis {
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = tempDir('citygrid-redis-');
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';
  async function start() {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    child.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    const c = child;
    await waitFor(() => {
      if (c.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
      return log.includes('Ready to accept connections');
    }, 'redis-server to accept connections', 20_000, 50);
  }
  async function stop(signal: NodeJS.Signals = 'SIGTERM') {
    const c = child;
    child = null;
    log = '';
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop, remove: async () => { await stop('SIGKILL'); dir.remove(); } };
}
