// Test helpers: a whole CityGrid system on free ports with a temp data dir, device clients (in the
// manner of aedes' test/helper.js: connectDevice, nextMessage, waitFor), and signed-in API and
// Socket.IO clients (login, getJson/sendJson with a token, connectSocket).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import { io as socketClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LoginResponse, ServerToClientEvents } from '@citygrid/contract';
import { loadServerConfig, startSystem, type RunningSystem } from '@citygrid/server';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const DEMO_CITY = join(ROOT, 'config', 'demo-city');

export function tempDir(prefix = 'citygrid-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function startTestSystem(env: Record<string, string> = {}, logger?: Logger): Promise<RunningSystem & { baseUrl: string; dataDir: string }> {
  const dataDir = env.DATA_DIR ?? tempDir().path;
  const config = loadServerConfig({
    PORT: '0', HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_HOST: '127.0.0.1',
    // MQTT over TLS off unless a test asks (MQTTS_PORT: '0', any free port): files run in parallel, and 8883 is one port
    MQTTS_PORT: 'off',
    DATA_DIR: dataDir, CITY_DIR: DEMO_CITY, WEB_DIST: join(ROOT, 'web', 'dist'), LOG_LEVEL: 'silent',
    ...env,
  });
  const system = await startSystem(config, logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  return Object.assign(system, { baseUrl: `http://127.0.0.1:${system.httpPort}`, dataDir });
}

/** Connects as a device (username = id, password = demo-<id> unless given); rejects on a refused CONNACK. */
export function connectDevice(url: string, id: string, password = `demo-${id}`, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolvePromise, reject) => {
    const client = mqtt.connect(url, { clientId: `${id}-${Math.random().toString(16).slice(2, 8)}`, username: id, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    // Only a failed first connect ends the client: later errors (a broker restart) leave reconnecting to mqtt.js.
    const refused = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('error', refused);
    client.once('connect', () => {
      client.off('error', refused);
      client.on('error', () => undefined);
      resolvePromise(client);
    });
  });
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((res, rej) => client.publish(topic, payload, { qos }, (err) => (err ? rej(err) : res())));
}

export function subscribe(client: MqttClient, topic: string): Promise<void> {
  return new Promise((res, rej) => client.subscribe(topic, { qos: 1 }, (err, granted) => {
    if (err) rej(err);
    else if (granted?.[0]?.qos === 128) rej(new Error(`subscription to ${topic} refused`));
    else res();
  }));
}

/** Resolves with the next message on a topic that satisfies `match`. */
export function nextMessage(client: MqttClient, topic: string, match: (payload: string) => boolean = () => true, timeoutMs = 10_000): Promise<string> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      rej(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(t: string, payload: Buffer) {
      const text = payload.toString();
      if (t !== topic || !match(text)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      res(text);
    }
    client.on('message', onMessage);
  });
}

/** Polls `probe` until it returns a truthy value (bounded by timeoutMs). */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

const authHeader = (token?: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** Signs in a demo user (password demo-<username>) and returns the token. */
export async function login(baseUrl: string, username: string, password = `demo-${username}`): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`sign-in as ${username} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as LoginResponse).token;
}

export async function getJson<T = unknown>(url: string, token?: string | null): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: authHeader(token) });
  return { status: res.status, body: (await res.json()) as T };
}

/** POST (or another method) with a JSON body; `body` is null for 204 answers. */
export async function sendJson<T = unknown>(url: string, body: unknown, token?: string | null, method = 'POST'): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...authHeader(token) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

/** One sample line of the Prometheus text format: `name{k="v",...} value`. */
interface Sample { name: string; labels: Record<string, string>; value: number }

function parseSample(line: string): Sample | null {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!m) return null;
  const labels: Record<string, string> = {};
  for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
  return { name: m[1]!, labels, value: Number(m[3]) };
}

/**
 * The server's Prometheus metrics, read once: (name, label filter) → the sum of the matching samples.
 * A metric the server declares (`# TYPE`) but has no sample of yet (a labelled counter before its
 * first increment) is 0; a name the server does not declare at all, or a label the metric's samples
 * do not carry, throws: a renamed metric must fail the test, not read as 0.
 */
export async function readMetrics(baseUrl: string): Promise<(name: string, labels?: Record<string, string>) => number> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  const declared = new Map<string, string>(); // name → type
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) declared.set(type[1]!, type[2]!);
    else if (line && !line.startsWith('#')) {
      const s = parseSample(line);
      if (s) samples.push(s);
    }
  }
  const isDeclared = (name: string) => declared.has(name)
    // a histogram or summary `x` exposes x_bucket, x_sum and x_count
    || ['_bucket', '_sum', '_count'].some((suffix) => name.endsWith(suffix) && ['histogram', 'summary'].includes(declared.get(name.slice(0, -suffix.length)) ?? ''));
  return (name, labels = {}) => {
    if (!isDeclared(name)) {
      // declared names sharing the most words with it (singular or plural), for the message
      const stem = (w: string) => w.replace(/s$/, '');
      const words = new Set(name.split('_').slice(1).filter((w) => !['total', 'seconds', 'bytes'].includes(w)).map(stem));
      const score = (d: string) => d.split('_').slice(1).filter((w) => words.has(stem(w))).length;
      const best = Math.max(0, ...[...declared.keys()].map(score));
      const near = best ? [...declared.keys()].filter((d) => score(d) === best).slice(0, 5) : [];
      throw new Error(`no metric ${name} at ${baseUrl}/metrics (${declared.size} declared${near.length ? `; similar: ${near.join(', ')}` : ''})`);
    }
    const mine = samples.filter((s) => s.name === name);
    if (mine.length) {
      const unknown = Object.keys(labels).filter((k) => !mine.some((s) => k in s.labels));
      if (unknown.length) throw new Error(`metric ${name} has no label ${unknown.join(', ')} (its labels: ${[...new Set(mine.flatMap((s) => Object.keys(s.labels)))].join(', ') || 'none'})`);
    }
    return mine.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
  };
}

export type CitySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A Socket.IO client signed in with `token`; rejects with the server's reason when refused. */
export function connectSocket(baseUrl: string, token: string | null): Promise<CitySocket> {
  const socket: CitySocket = socketClient(baseUrl, { transports: ['websocket'], reconnection: false, ...(token ? { auth: { token } } : {}) });
  return new Promise((res, rej) => {
    socket.once('connect', () => res(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      rej(err);
    });
  });
}

export function end(client: MqttClient | undefined): Promise<void> {
  return new Promise((res) => (client ? client.end(false, {}, () => res()) : res()));
}
