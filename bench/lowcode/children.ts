// Child processes of the low-code benchmark (the broker, the load generators): forked with tsx,
// ready when they say so (≤ 120 s), and stopped by pid: asked to exit, SIGKILL after 10 s.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../tests/helpers/system.js';
import { call } from '../lib/ipc.js';

export async function forkChild(script: string, onCrash: (what: string) => void): Promise<{ proc: ChildProcess; ready: Record<string, unknown> }> {
  const proc = fork(join(ROOT, 'bench', script), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${script} not ready within 120 s`)); }, 120_000);
    proc.on('message', (m: Record<string, unknown>) => {
      if (m.ready) { clearTimeout(timer); resolve({ proc, ready: m }); }
      if (m.crashed) onCrash(`${script}: ${String(m.crashed)}`);
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited with ${code} before it was ready`)); });
  });
}

export async function quit(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  try { await call(p, { cmd: 'exit' }, 5000); } catch { /* already gone */ }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
