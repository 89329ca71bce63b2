// `npm run mosquitto:config -- [--out ./mosquitto] [--port 1883] [--host 127.0.0.1] [--secrets FILE] [--user NAME]`
// writes what Debian's mosquitto 2 needs to stand in for our broker (the server then runs with
// MQTT_URL): mosquitto.conf, a password file in mosquitto's own `$7$` format (PBKDF2-SHA512; the
// city's scrypt hashes are of no use to mosquitto, so the secrets themselves are needed) and an ACL
// file (each device writes only its own telemetry/event/status and reads its own rejections; the
// service account reads every device's data and writes rejections). Run as root, the files go to the
// user mosquitto switches to (`--user`, default mosquitto), who alone can read them.
// Secrets: a demo city (city.yaml `demo: true`) uses demo-<id>; any other needs `--secrets FILE`, a
// CSV of `id,secret` lines the engineer keeps. The service account: MQTT_SERVICE_USERNAME (default
// citygrid-server) and MQTT_SERVICE_PASSWORD, as for `npm run broker`; give the server the same as
// MQTT_USERNAME / MQTT_PASSWORD.
import { pbkdf2, randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { GATEWAY_CHANNELS, SERVER_SUBSCRIPTIONS, allDevicesTopic, deviceTopic, gatewayTopic } from '@citygrid/contract';
import { CityConfigError, loadCity, type City } from '@citygrid/contract/node';

const USAGE = 'Usage: [CITY_DIR=config/demo-city] MQTT_SERVICE_PASSWORD=... npm run mosquitto:config -- [--out ./mosquitto] [--port 1883] [--host 127.0.0.1] [--secrets secrets.csv] [--user mosquitto]';

/**
 * mosquitto 2.0's password file line: `user:$7$<iterations>$<base64 salt>$<base64 key>`, PBKDF2 with
 * HMAC-SHA512, a 12-byte salt and a 64-byte key (mosquitto's password_mosq.h: SALT_LEN 12,
 * pw_sha512_pbkdf2 = 7; what `mosquitto_passwd` writes). 2.0's mosquitto_passwd uses 101 iterations;
 * later releases 1,000, which is what we write: about 1 ms of mosquitto's one thread per login.
 */
export const PBKDF2_ITERATIONS = 1000;
const SALT_BYTES = 12;
const KEY_BYTES = 64;
const pbkdf2Async = promisify(pbkdf2);

export async function mosquittoHash(secret: string, iterations = PBKDF2_ITERATIONS, salt = randomBytes(SALT_BYTES)): Promise<string> {
  const key = await pbkdf2Async(Buffer.from(secret, 'utf8'), salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The largest secrets file read (an id and a long secret per line: far more than a 100,000-device city needs). */
const MAX_SECRETS_BYTES = 64 * 1024 * 1024; // 64 MiB
/** A secret longer than this is a mistake (a pasted file), not a password. */
const MAX_SECRET_CHARS = 1024;
/**
 * The largest MQTT packet mosquitto takes: our 64 KiB payload cap plus the fixed header (5 bytes), a
 * topic (2 + at most ~100 bytes for city/v1/devices/<64-char id>/telemetry) and a packet id (2).
 * Bigger ones make mosquitto close the connection (our broker refuses them with payload_too_large).
 */
const MAX_PACKET_BYTES = 64 * 1024 + 512;
const SERVICE_USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/; // as `npm run broker` takes it
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/i;

/** Reads `id,secret` lines; every bad line is named (`secrets.csv line 7: ...`). Blank lines, `#` comments and an `id,secret` header are skipped. */
export function parseSecrets(text: string, file: string, city: City): { secrets: Map<string, string>; problems: string[] } {
  const secrets = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const where = `${file} line ${i + 1}`;
    if (line.trim() === '' || line.startsWith('#')) return;
    if (i === 0 && /^\s*id\s*,\s*secret\s*$/i.test(line)) return;
    const comma = line.indexOf(',');
    if (comma < 0) return void problems.push(`${where}: expected "id,secret", found no comma`);
    const id = line.slice(0, comma).trim();
    const secret = line.slice(comma + 1); // everything after the first comma, as written: a secret may hold commas
    if (!id) return void problems.push(`${where}: the device id is empty`);
    if (!city.devicesById.has(id)) return void problems.push(`${where}: "${id.slice(0, 80)}" is not a device of ${city.dir}/devices.yaml`);
    if (secret === '') return void problems.push(`${where}: the secret of ${id} is empty`);
    if (secret !== secret.trim()) return void problems.push(`${where}: the secret of ${id} starts or ends with a space (value not shown); remove it, or it would be part of the password`);
    if (secret.length > MAX_SECRET_CHARS) return void problems.push(`${where}: the secret of ${id} is ${secret.length} characters, more than ${MAX_SECRET_CHARS}`);
    if (secrets.has(id)) return void problems.push(`${where}: ${id} is listed a second time`);
    secrets.set(id, secret);
  });
  return { secrets, problems };
}

/**
 * The ACL file. Devices by pattern (%u: the login's username, which for a device is its id): one block
 * per device made mosquitto 2.0.11 take 28 s to start with a 20,000-device city (it reads the blocks in
 * quadratic time); the four pattern lines take none. Only gateways (devices.yaml `children:`) get a
 * block of their own, for their children's topics under city/v1/gateways/{id}/.
 */
export function aclText(service: string, gateways: { id: string; children: readonly string[] }[], header: string): string {
  const out = [
    header,
    '# mosquitto refuses what is not listed here. A refused PUBLISH is dropped (MQTT 3.1.1 still gets its',
    '# PUBACK; MQTT 5 gets reason 135). A SUBSCRIBE beyond it is granted, and nothing that it does not',
    '# allow is delivered.',
    '',
    '# the CityGrid server: every device\'s data in, refusals out',
    `user ${service}`,
    ...SERVER_SUBSCRIPTIONS.map((t) => `topic read ${t}`),
    `topic write ${allDevicesTopic('rejections')}`,
    '',
    '# every device (%u: its id, which is its username): its own data out, its own refusals in. Only the',
    '# devices in the password file can log in; the server\'s username is never a device id.',
    ...(['telemetry', 'event', 'status'] as const).map((c) => `pattern write ${deviceTopic('%u', c)}`),
    `pattern read ${deviceTopic('%u', 'rejections')}`,
    '',
  ];
  for (const { id, children } of gateways) {
    out.push(`# gateway ${id}: what it sends for its children`, `user ${id}`);
    for (const child of children) for (const c of GATEWAY_CHANNELS) out.push(`topic write ${gatewayTopic(id, child, c)}`);
    out.push('');
  }
  return out.join('\n');
}

export function confText(o: { host: string; port: number; dir: string; user: string | null; header: string }): string {
  return [
    o.header,
    '# Start: mosquitto -c ' + join(o.dir, 'mosquitto.conf'),
    '',
    ...(o.user ? [`# started as root, mosquitto switches to this user: it must be able to read the files below`, `user ${o.user}`, ''] : []),
    `listener ${o.port} ${o.host}`,
    'allow_anonymous false',
    `password_file ${join(o.dir, 'passwords')}`,
    `acl_file ${join(o.dir, 'acl')}`,
    '# a client\'s id is its username: no device can take over the server\'s session (or another device\'s)',
    '# by connecting with its client id',
    'use_username_as_clientid true',
    '# our payload cap is 64 KiB; a bigger packet closes the connection (nothing is stored)',
    `max_packet_size ${MAX_PACKET_BYTES}`,
    '# the server\'s session (QoS 1, clean=false) and what is queued for it survive a restart of mosquitto',
    'persistence true',
    `persistence_location ${join(o.dir, 'data')}/`,
    'autosave_interval 60',
    '# QoS 1 messages held for a disconnected client, the server\'s above all: mosquitto\'s default of 1000',
    '# is about a minute of a small city\'s readings; past the cap, messages are dropped',
    'max_queued_messages 100000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    '',
  ].join('\n');
}

/** A system user's uid and primary gid, from /etc/passwd; null when there is no such user. */
export function systemUser(name: string): { uid: number; gid: number } | null {
  if (!existsSync('/etc/passwd')) return null;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** Writes `path` through a temp file in the same folder, fsynced, then renamed over it: a reader sees the old file or the new, never half. */
export function writeAtomic(path: string, text: string, mode: number, owner: { uid: number; gid: number } | null = null): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    if (owner) chownSync(tmp, owner.uid, owner.gid);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export interface MosquittoConfigResult {
  dir: string;
  withPassword: number;
  withoutSecret: string[];
  disabled: string[];
}

export async function writeMosquittoConfig(o: {
  city: City; out: string; host: string; port: number; secrets: Map<string, string>; service: { username: string; password: string };
  /** The user mosquitto switches to when started as root; it then owns the folder and files (chown needs root). */
  user: { name: string; uid: number; gid: number } | null;
}): Promise<MosquittoConfigResult> {
  const dir = resolve(o.out);
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  const owner = o.user && process.getuid?.() === 0 ? o.user : null;
  if (owner) for (const d of [dir, join(dir, 'data')]) chownSync(d, owner.uid, owner.gid);
  const demo = o.city.meta.demo === true;
  const withoutSecret: string[] = [];
  const disabled: string[] = [];
  const entries: [string, string][] = [[o.service.username, o.service.password]];
  const gateways: { id: string; children: readonly string[] }[] = [];
  let withPassword = 0;
  for (const d of o.city.devices) {
    if (d.disabled) disabled.push(d.id);
    else if (o.secrets.has(d.id) || demo) {
      entries.push([d.id, o.secrets.get(d.id) ?? `demo-${d.id}`]);
      withPassword++;
      if (d.children?.length) gateways.push({ id: d.id, children: d.children });
    } else withoutSecret.push(d.id);
  }
  // hashed 64 at a time on libuv's threads: a 100,000-device city takes seconds, not a blocked minute
  const lines: string[] = [];
  for (let i = 0; i < entries.length; i += 64) {
    const batch = entries.slice(i, i + 64);
    const hashes = await Promise.all(batch.map(([, secret]) => mosquittoHash(secret)));
    batch.forEach(([user], j) => lines.push(`${user}:${hashes[j]}`));
  }
  const header = `# Generated by \`npm run mosquitto:config\` from ${resolve(o.city.dir)}; run it again after changing the city, do not edit.`;
  writeAtomic(join(dir, 'passwords'), `${lines.join('\n')}\n`, 0o600, owner);
  writeAtomic(join(dir, 'acl'), aclText(o.service.username, gateways, header), 0o600, owner);
  writeAtomic(join(dir, 'mosquitto.conf'), confText({ host: o.host, port: o.port, dir, user: o.user?.name ?? null, header }), 0o600, owner);
  return { dir, withPassword, withoutSecret, disabled };
}

function fail(problems: string[]): never {
  const shown = problems.slice(0, 50);
  const more = problems.length - shown.length;
  process.stderr.write(`mosquitto:config: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${shown.map((p) => `  - ${p}`).join('\n')}${more > 0 ? `\n  ... and ${more} more` : ''}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string', default: './mosquitto' }, port: { type: 'string', default: '1883' }, host: { type: 'string', default: '127.0.0.1' },
        secrets: { type: 'string' }, user: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail([(err as Error).message]);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const problems: string[] = [];
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port < 1 || port > 65_535) problems.push(`--port "${values.port}" must be a port number, 1 to 65535`);
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(values.host)) problems.push(`--host "${values.host.slice(0, 80)}" must be an address or host name to listen on, like 127.0.0.1`);
  // Started as root, mosquitto switches to the user `mosquitto` before it reads the password file;
  // run as root here, the files are given to that user (Debian's package creates it)
  const root = process.getuid?.() === 0;
  const userName = values.user ?? (root ? 'mosquitto' : undefined);
  let user: { name: string; uid: number; gid: number } | null = null;
  if (userName !== undefined) {
    const found = /^[a-z_][a-z0-9_-]{0,31}$/.test(userName) ? systemUser(userName) : null;
    if (found) user = { name: userName, ...found };
    else problems.push(`--user "${userName.slice(0, 80)}" is not a user of this machine (/etc/passwd); mosquitto switches to it when started as root (Debian's package creates "mosquitto")`);
  }
  const username = process.env.MQTT_SERVICE_USERNAME || 'citygrid-server';
  const password = process.env.MQTT_SERVICE_PASSWORD ?? '';
  if (!SERVICE_USERNAME.test(username)) problems.push(`MQTT_SERVICE_USERNAME: "${username.slice(0, 80)}" must match ${SERVICE_USERNAME.source}`);
  if (password.length < 12) problems.push(`MQTT_SERVICE_PASSWORD: must be at least 12 characters${password ? ` (got ${password.length}; value not shown)` : ' (unset)'}: the server logs in to mosquitto with it as MQTT_PASSWORD`);
  if (/[\r\n]/.test(password)) problems.push('MQTT_SERVICE_PASSWORD: must be one line (value not shown)');
  const cityDir = process.env.CITY_DIR || 'config/demo-city';
  let city: City;
  try {
    city = loadCity(cityDir);
  } catch (err) {
    if (err instanceof CityConfigError) fail([...problems, ...err.problems.map((p) => `${cityDir}: ${p}`)]);
    throw err;
  }
  if (city.devices.some((d) => d.id === username)) problems.push(`MQTT_SERVICE_USERNAME: "${username}" is also a device id in devices.yaml; pick another`);
  const demo = city.meta.demo === true;
  if (demo && !LOOPBACK.test(values.host) && process.env.CITYGRID_DEMO !== '1') {
    problems.push(`--host ${values.host}: ${cityDir} is the demo city, whose device secrets everyone knows (demo-<id>); listen on 127.0.0.1, or set CITYGRID_DEMO=1 to show it on this network on purpose`);
  }
  let secrets = new Map<string, string>();
  if (values.secrets !== undefined) {
    let text = '';
    try {
      const size = statSync(values.secrets).size;
      if (size > MAX_SECRETS_BYTES) problems.push(`--secrets ${values.secrets}: ${size} bytes, more than ${MAX_SECRETS_BYTES}; is it the right file?`);
      else text = readFileSync(values.secrets, 'utf8');
    } catch (err) {
      problems.push(`--secrets ${values.secrets}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const parsed = parseSecrets(text, values.secrets, city);
    problems.push(...parsed.problems);
    secrets = parsed.secrets;
  } else if (!demo) {
    problems.push(`--secrets FILE is required: ${cityDir} is not a demo city, and devices.yaml holds only scrypt hashes, which mosquitto cannot check; give a CSV of "id,secret" lines`);
  }
  if (problems.length) fail(problems);
  const r = await writeMosquittoConfig({ city, out: values.out, host: values.host, port, secrets, service: { username, password }, user });
  if (r.withoutSecret.length) {
    process.stderr.write(`mosquitto:config: warning: ${r.withoutSecret.length} device${r.withoutSecret.length === 1 ? ' has' : 's have'} no secret in ${values.secrets} and get no password line (mosquitto will refuse them): ${r.withoutSecret.slice(0, 100).join(', ')}${r.withoutSecret.length > 100 ? `, ... (${r.withoutSecret.length - 100} more)` : ''}\n`);
  }
  if (r.disabled.length) process.stderr.write(`mosquitto:config: ${r.disabled.length} disabled device${r.disabled.length === 1 ? '' : 's'} get no password line: ${r.disabled.slice(0, 100).join(', ')}\n`);
  process.stdout.write(`wrote ${join(r.dir, 'mosquitto.conf')}, passwords (${r.withPassword} devices + ${username}) and acl (mode 0600${user && root ? `, owned by ${user.name}` : ''})\n`);
  process.stdout.write(`run:  mosquitto -c ${join(r.dir, 'mosquitto.conf')}\n`);
  process.stdout.write(`and:  MQTT_URL=mqtt://${LOOPBACK.test(values.host) ? '127.0.0.1' : values.host}:${port} MQTT_USERNAME=${username} MQTT_PASSWORD=... CITY_DIR=${cityDir} npm run server\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
