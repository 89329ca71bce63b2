// Node-RED and node-red-contrib-influxdb at pinned versions, installed on first use into a cache
// outside the project's dependencies (data/bench-cache/lowcode; data/ is not in git), and a Node-RED
// process started from it with its own userDir: the flow written by the benchmark, no editor, no
// admin API, no HTTP listener at all, no credentials file, no telemetry, console log at warn.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowNode } from './flow.js';

export const NODE_RED_VERSION = '4.1.15'; // the newest line that runs on Node 20 (5.x needs Node ≥ 22.9)
export const INFLUX_NODE_VERSION = '0.7.0';

const installedVersion = (dir: string, pkg: string): string | null => {
  const f = join(dir, 'node_modules', pkg, 'package.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version : null;
};

/** Installs the pinned versions into `dir` unless they are there already; returns red.js. */
export function ensureNodeRed(dir: string, log: (s: string) => void): string {
  const want: [string, string][] = [['node-red', NODE_RED_VERSION], ['node-red-contrib-influxdb', INFLUX_NODE_VERSION]];
  if (want.some(([p, v]) => installedVersion(dir, p) !== v)) {
    log(`installing ${want.map(([p, v]) => `${p}@${v}`).join(' ')} into ${dir} (once; not a project dependency)...`);
    spawnSync('mkdir', ['-p', dir]);
    // its own package.json, so that npm never walks up to the project's workspace root
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'citygrid-bench-lowcode', private: true }, null, 2)}\n`);
    const r = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', ...want.map(([p, v]) => `${p}@${v}`)], { stdio: 'inherit', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`npm install into ${dir} failed (${r.error?.message ?? `exit ${r.status}`})`);
    for (const [p, v] of want) if (installedVersion(dir, p) !== v) throw new Error(`${p}@${v} is not in ${dir} after npm install`);
  }
  return join(dir, 'node_modules', 'node-red', 'red.js');
}

export function nodeRedSettings(): string {
  return `module.exports = ${JSON.stringify({
    flowFile: 'flows.json',
    credentialSecret: false,
    uiHost: '127.0.0.1',
    httpAdminRoot: false, // no editor, no admin API
    httpNodeRoot: false, // no HTTP-in nodes: Node-RED opens no port at all
    disableEditor: true,
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  }, null, 2)};\n`;
}

export interface NodeRedProcess {
  proc: ChildProcess;
  /** CPU time (user + system, ms) and RSS (bytes) of the process, from /proc. */
  usage(): { cpuMs: number; rss: number; at: number };
  /** What it printed (warn and error lines), the last 64 KB. */
  log(): string;
  /** Lines logged at [error] so far (a failed InfluxDB write is one each). */
  errors(): number;
  /** The [error] lines by text (digits as #), most frequent first. */
  errorKinds(): [string, number][];
  stop(): Promise<void>;
}

const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout.trim() || 4096);

export function startNodeRed(redJs: string, userDir: string, flow: FlowNode[]): NodeRedProcess {
  writeFileSync(join(userDir, 'settings.js'), nodeRedSettings());
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow, null, 2));
  // Node-RED ends with the benchmark, even one killed before it could stop it: the IPC channel
  // closes when the benchmark's process goes, and this preload exits then
  const preload = join(userDir, 'exit-with-parent.cjs');
  writeFileSync(preload, "process.on('disconnect', () => process.exit(0));\n");
  const proc = spawn(process.execPath, ['--require', preload, redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' } });
  let out = '';
  let errors = 0;
  let partial = '';
  const kinds = new Map<string, number>();
  const keep = (d: Buffer) => {
    const text = d.toString();
    out = (out + text).slice(-65_536);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(-4096);
    for (const l of lines) {
      const at = l.indexOf('[error] ');
      if (at < 0) continue;
      errors++;
      const kind = l.slice(at + 8, at + 128).replace(/\d+/g, '#');
      if (kinds.size < 100 || kinds.has(kind)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return {
    proc,
    usage() {
      const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
      const statm = readFileSync(`/proc/${proc.pid}/statm`, 'utf8').split(' ');
      return { cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, rss: Number(statm[1]) * PAGE, at: performance.now() };
    },
    log: () => out,
    errors: () => errors,
    errorKinds: () => [...kinds].sort((a, b) => b[1] - a[1]),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!killed) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}
