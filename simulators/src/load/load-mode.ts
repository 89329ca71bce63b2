// Load mode of `npm run simulate -- --devices <n>`: the city's first n devices, split over worker
// processes (each holds at most WORKER_MAX connections, below a typical open-files limit), ramp up at
// --ramp connections/s with a progress bar on stderr, then each device reports once per --interval.
// Stops on SIGINT/SIGTERM or after --duration and reports sent/acked/errors in total and per second.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { City } from '@citygrid/contract/node';
import type { LoadOptions } from '../cli-args.js';
import type { LoadDevice } from './generator.js';
import { progressBar } from './pacing.js';

export interface WorkerStatus { connected: number; failed: number; firstError: string | null; messages: number; readings: number; acked: number; errors: number; done?: boolean }

/** The process's open-files limit (Linux /proc), or null when unknown. */
export function openFilesLimit(): number | null {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Connections per worker process: under the open-files limit with room to spare, at most 25,000. */
export function connectionsPerWorker(limit: number | null): number {
  return Math.max(100, Math.min(25_000, (limit ?? 25_000) - 500));
}

/** Splits `items` into `parts` nearly equal consecutive slices. */
export function split<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < parts; i++) out.push(items.slice(Math.floor((i * items.length) / parts), Math.floor(((i + 1) * items.length) / parts)));
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function runLoadMode(o: { city: City; url: string; intervalMs: number; load: LoadOptions }): Promise<void> {
  const { city, load } = o;
  if (city.devices.length < load.count) {
    throw new Error(`the city has ${city.devices.length} devices, fewer than --devices ${load.count}; make a bigger one with\n  npm run city:synthetic -- --devices ${load.count} --out data/city-${load.count}\nthen run the server with CITY_DIR=data/city-${load.count} and this with --city data/city-${load.count}`);
  }
  const devices: LoadDevice[] = city.devices.slice(0, load.count).map((d) => ({ id: d.id, kind: d.kind }));
  const perWorker = connectionsPerWorker(openFilesLimit());
  const parts = Math.ceil(devices.length / perWorker);
  const u = new URL(o.url);
  const target = { host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname, port: Number(u.port || 1883) };
  const ratePerS = (devices.length * 1000) / o.intervalMs; // one message per device per interval
  const readingsPerS = (devices.length * 1000 * load.batch) / o.intervalMs;
  const tty = process.stderr.isTTY;
  const say = (s: string) => process.stderr.write(`${s}\n`);
  say(`load mode: ${fmt(devices.length)} devices from the city, ${parts} worker process${parts > 1 ? 'es' : ''}, ramp ${fmt(load.rampPerS)} connections/s${load.sources.length ? ` from ${load.sources.length} source addresses` : ''}, then ${fmt(ratePerS)} messages/s (${fmt(readingsPerS)} readings/s) to ${o.url}`);

  const script = fileURLToPath(new URL('./load-worker.ts', import.meta.url));
  const status: WorkerStatus[] = [];
  const workers: ChildProcess[] = split(devices, parts).map((slice, i) => {
    const w = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    status[i] = { connected: 0, failed: 0, firstError: null, messages: 0, readings: 0, acked: 0, errors: 0 };
    w.on('message', (m: WorkerStatus) => { status[i] = m; });
    w.send({
      devices: slice, target: { ...target, sourceAddresses: load.sources },
      rampPerS: load.rampPerS / parts, ratePerS: (slice.length * load.batch * 1000) / o.intervalMs, batch: load.batch,
      keepaliveS: Math.max(60, Math.ceil((o.intervalMs / 1000) * 3)),
    });
    return w;
  });
  const sum = (k: keyof Omit<WorkerStatus, 'firstError' | 'done'>) => status.reduce((s, w) => s + (w[k] as number), 0);

  const started = Date.now();
  let rampedAt: number | null = null;
  let last = { at: started, messages: 0, acked: 0 };
  let lastLine = 0;
  let stopping = false;
  let endByDuration: (why: string) => void = () => {};
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
    endByDuration = resolve;
  });
  const ticker = setInterval(() => {
    if (stopping) return;
    const now = Date.now();
    const connected = sum('connected'), failed = sum('failed');
    if (rampedAt === null) {
      const rate = connected / Math.max(0.001, (now - started) / 1000);
      const line = progressBar(connected + failed, devices.length, 30, `connected (${fmt(rate)}/s, ${fmt(failed)} failed)`);
      if (tty) process.stderr.write(`\r${line}`);
      else if (now - lastLine >= 5000) { say(line); lastLine = now; }
      if (connected + failed >= devices.length) {
        rampedAt = now;
        if (tty) process.stderr.write('\n');
        say(`ramp-up done in ${((now - started) / 1000).toFixed(1)} s: ${fmt(connected)} connected, ${fmt(failed)} failed${failed ? ` (first: ${status.find((s) => s.firstError)?.firstError})` : ''}`);
        last = { at: now, messages: sum('messages'), acked: sum('acked') };
        // --duration counts the steady part, after the ramp-up
        if (load.durationMs !== null) setTimeout(() => endByDuration('duration'), load.durationMs).unref();
      }
      return;
    }
    if (now - last.at < (tty ? 1000 : 10_000)) return;
    const messages = sum('messages'), acked = sum('acked');
    const secs = (now - last.at) / 1000;
    const line = `sending: ${fmt((messages - last.messages) / secs)} msg/s, acked ${fmt((acked - last.acked) / secs)}/s, errors ${fmt(sum('errors'))}, connected ${fmt(sum('connected'))}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
    else say(line);
    last = { at: now, messages, acked };
  }, 250);

  const why = await stop;
  const stoppedAt = Date.now();
  stopping = true;
  clearInterval(ticker);
  if (tty) process.stderr.write('\n');
  say(`stopping (${why}): waiting for outstanding acknowledgements and closing ${fmt(sum('connected'))} connections...`);
  const t0 = rampedAt ?? Date.now();
  const final = await Promise.all(workers.map((w, i) => new Promise<WorkerStatus>((resolve) => {
    const timer = setTimeout(() => { w.kill('SIGKILL'); resolve(status[i]!); }, 30_000);
    w.on('message', (m: WorkerStatus) => { if (m.done) { clearTimeout(timer); resolve(m); } });
    w.once('exit', () => { clearTimeout(timer); resolve(status[i]!); });
    w.send({ stop: true });
  })));
  const steadyS = Math.max(0.001, (stoppedAt - t0) / 1000);
  const total = (k: 'messages' | 'readings' | 'acked' | 'errors' | 'connected' | 'failed') => final.reduce((s, w) => s + w[k], 0);
  const report = {
    devices: devices.length, connected: total('connected'), failed: total('failed'),
    sent: total('messages'), readings: total('readings'), acked: total('acked'), errors: total('errors'),
    seconds: Math.round(steadyS), sent_per_s: Math.round(total('messages') / steadyS), acked_per_s: Math.round(total('acked') / steadyS),
  };
  say(`sent ${fmt(report.sent)} messages (${fmt(report.readings)} readings), acked ${fmt(report.acked)}, errors ${fmt(report.errors)}; ${fmt(report.sent_per_s)} sent/s and ${fmt(report.acked_per_s)} acked/s over ${report.seconds} s since the ramp-up`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(report.failed > 0 || report.errors > 0 ? 1 : 0);
}
