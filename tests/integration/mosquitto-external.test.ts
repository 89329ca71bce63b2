// Proves the server's external-broker mode (MQTT_URL) against Debian's mosquitto 2, configured by `npm run mosquitto:config` from the demo city: readings, camera events and status pass through and are served, the server's refusals reach the device and /api/rejections, mosquitto's own refusals (password, ACL, size, client id) behave as the README says, and ingest resumes after mosquitto restarts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deviceTopic, type CameraSocketEvent, type DevicesResponse, type HealthResponse, type ReadingsResponse, type Rejection, type RejectionsResponse,
} from '@citygrid/contract';
import { createLogger } from '../../server/src/logger.js';
import { freePort } from '../helpers/processes.js';
import { connackCode, connectPacket, rawConnection } from '../helpers/raw-mqtt.js';
import {
  DEMO_CITY, ROOT, connectDevice, getJson, login, nextMessage, publish, startTestSystem, subscribe, tempDir, waitFor,
} from '../helpers/system.js';

const MOSQUITTO = '/usr/sbin/mosquitto'; // Debian's package `mosquitto` (scripts/test-deps.mjs)
const SERVICE_PASSWORD = 'mosquitto-service-password-0123';

const dir = tempDir('citygrid-mosquitto-');
const out = join(dir.path, 'mosquitto');
let port = 0;
let mosquitto: { child: ChildProcess; log: () => string } | null = null;
let mosquittoLog = '';
let system: Awaited<ReturnType<typeof startTestSystem>>;
let token: string;
const logs: string[] = [];
const clients: MqttClient[] = [];

/** mosquitto -c on the generated config; resolves once it says it is running. */
async function startMosquitto(): Promise<void> {
  const child = spawn(MOSQUITTO, ['-c', join(out, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
    mosquittoLog = (mosquittoLog + d.toString()).slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  mosquitto = { child, log: () => log };
  process.once('exit', () => child.kill('SIGKILL')); // never left running, even when a hook times out
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${log}`);
    return /mosquitto version [\d.]+ running/.test(log);
  }, 'mosquitto to run', 10_000, 50).catch((err: Error) => {
    throw new Error(`${err.message}\n${log}`);
  });
}

/** Stops our mosquitto by its pid (SIGTERM: it saves its persistence file first). */
async function stopMosquitto(): Promise<void> {
  const m = mosquitto;
  mosquitto = null;
  if (!m || m.child.exitCode !== null || m.child.signalCode !== null) return;
  await new Promise<void>((res) => {
    m.child.once('exit', () => res());
    m.child.kill('SIGTERM');
  });
}

/** `npm run mosquitto:config` for the demo city into `out`, with this service password. */
function generate(servicePassword: string): void {
  const gen = spawnSync('npm', ['run', '-s', 'mosquitto:config', '--', '--out', out, '--port', String(port)], {
    cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: servicePassword },
  });
  if (gen.status !== 0) throw new Error(`npm run mosquitto:config failed (${gen.status}): ${gen.stderr}`);
}

const device = async (id: string, password?: string, extra: mqtt.IClientOptions = {}) => {
  const c = await connectDevice(`mqtt://127.0.0.1:${port}`, id, password, extra);
  clients.push(c);
  return c;
};
const health = async () => (await getJson<HealthResponse>(`${system.baseUrl}/api/health`)).body;
const rejectionsFor = async (id: string) => (await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=${id}&limit=1000`, token)).body.items;
const latest = async (id: string) => (await getJson<DevicesResponse>(`${system.baseUrl}/api/devices`, token)).body.devices.find((d) => d.id === id);
const storedPm25 = async (id: string, from: number) => {
  const [series] = await system.store.queryReadings({ device: id, kind: 'air_quality', metrics: ['pm25'], from, to: Date.now() + 60_000, step: null, limit: 1000 });
  return series!.points.map((p) => ('value' in p ? p.value : null));
};
const connectedLines = () => logs.filter((l) => l.includes('connected to broker')).length;

beforeAll(async () => {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} is missing: apt-get install mosquitto (npm run test:setup installs what the suite needs)`);
  // started as root, mosquitto switches to the user `mosquitto`, which must reach the generated folder
  chmodSync(dir.path, 0o711);
  port = await freePort();
  generate(SERVICE_PASSWORD);
  await startMosquitto();
  const logger = createLogger('info', 'json', { write: (line: string) => { logs.push(line); } });
  system = await startTestSystem({ MQTT_URL: `mqtt://127.0.0.1:${port}`, MQTT_USERNAME: 'citygrid-server', MQTT_PASSWORD: SERVICE_PASSWORD }, logger);
  expect(system.mqttPort).toBeNull(); // no embedded broker
  token = await login(system.baseUrl, 'viewer');
}, 90_000);

afterAll(async () => {
  // forced: a client whose connection mosquitto closed would wait for its unsent messages
  await Promise.all(clients.map((c) => new Promise<void>((res) => c.end(true, {}, () => res()))));
  await system?.stop();
  await stopMosquitto();
  dir.remove();
});

describe('npm run mosquitto:config', () => {
  it('writes the secrets 0600 in mosquitto\'s own $7$ format, and an ACL of each device\'s own topics', () => {
    for (const f of ['mosquitto.conf', 'passwords', 'acl']) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    const passwords = readFileSync(join(out, 'passwords'), 'utf8').trim().split('\n');
    expect(passwords).toHaveLength(system.city.devices.length + 1);
    for (const line of passwords) expect(line).toMatch(/^[a-z0-9][a-z0-9._-]*:\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(readFileSync(join(out, 'passwords'), 'utf8')).not.toContain('demo-');
    const acl = readFileSync(join(out, 'acl'), 'utf8');
    expect(acl).toContain('pattern write city/v1/devices/%u/telemetry\npattern write city/v1/devices/%u/event\npattern write city/v1/devices/%u/status\npattern read city/v1/devices/%u/rejections\n');
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toMatch(new RegExp(`^listener ${port} 127\\.0\\.0\\.1$`, 'm'));
  });

  it('names every bad line of a secrets file and writes nothing', () => {
    const csv = join(dir.path, 'secrets.csv');
    writeFileSync(csv, 'id,secret\naq-0001,s3cret-aq-0001\nno-such-device,x\nwl-0001\naq-0001,again\nwl-0002,\n');
    const failed = join(dir.path, 'failed');
    const r = spawnSync('npm', ['run', '-s', 'mosquitto:config', '--', '--out', failed, '--secrets', csv], {
      cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CITY_DIR: DEMO_CITY, MQTT_SERVICE_PASSWORD: SERVICE_PASSWORD },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${csv} line 3: "no-such-device" is not a device`);
    expect(r.stderr).toContain(`${csv} line 4: expected "id,secret"`);
    expect(r.stderr).toContain(`${csv} line 5: aq-0001 is listed a second time`);
    expect(r.stderr).toContain(`${csv} line 6: the secret of wl-0002 is empty`);
    expect(r.stderr).not.toContain('s3cret');
    expect(existsSync(failed)).toBe(false);
  });
});

describe('the server attached to mosquitto (MQTT_URL)', () => {
  it('stores and serves telemetry from several devices, a camera event and a status', async () => {
    expect(await health()).toMatchObject({ broker: { status: 'ok', mode: 'external', connected: true } });
    const [air, water, cam, light] = await Promise.all([device('aq-0001'), device('wl-0001'), device('cam-0001'), device('sl-0001')]);
    const ts = Date.now() - 2000;
    await publish(air, deviceTopic('aq-0001', 'telemetry'), JSON.stringify({ ts, metrics: { pm25: 41 } }));
    await publish(water, deviceTopic('wl-0001', 'telemetry'), JSON.stringify([{ ts, metrics: { level_cm: 12.5 } }, { ts: ts + 1000, metrics: { level_cm: 13 } }]));
    await publish(cam, deviceTopic('cam-0001', 'event'), JSON.stringify({ type: 'illegal_parking', confidence: 0.9, count: 2, zone: 'north-gate' }));
    await publish(light, deviceTopic('sl-0001', 'status'), 'online');

    const history = await waitFor(async () => {
      const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0001/readings?metric=level_cm&from=${ts - 1}`, token);
      return body.series[0]!.points.length === 2 ? body : null;
    }, 'both water levels in REST history');
    expect(history.series[0]!.points).toEqual([{ ts, value: 12.5 }, { ts: ts + 1000, value: 13 }]);
    await waitFor(async () => (await latest('aq-0001'))?.latest.pm25?.value === 41, 'aq-0001 latest pm25');
    const grid = system.city.devicesById.get('cam-0001')!.grid;
    const events = await waitFor(async () => {
      const { body } = await getJson<{ events: CameraSocketEvent[] }>(`${system.baseUrl}/api/camera-events?grid=${grid}`, token);
      return body.events.length ? body.events : null;
    }, 'the camera event listed');
    expect(events).toEqual([expect.objectContaining({ device: 'cam-0001', type: 'illegal_parking', count: 2, zone: 'north-gate' })]);
    await waitFor(async () => (await latest('sl-0001'))?.online === true, 'sl-0001 online');
    await publish(light, deviceTopic('sl-0001', 'status'), 'offline');
    await waitFor(async () => (await latest('sl-0001'))?.online === false, 'sl-0001 offline');
  });

  it('refuses a schema-invalid payload with its reason, on the device\'s rejections topic and in /api/rejections', async () => {
    const air = await device('aq-0002');
    await subscribe(air, deviceTopic('aq-0002', 'rejections'));
    for (const [payload, reason] of [[JSON.stringify({ metrics: { pm25: 'high' } }), 'wrong_type'], ['{"metrics": {', 'malformed_json'], [JSON.stringify({ metrics: { level_cm: 3 } }), 'unknown_metric']] as const) {
      const told = nextMessage(air, deviceTopic('aq-0002', 'rejections'), (p) => (JSON.parse(p) as Rejection).reason === reason);
      await publish(air, deviceTopic('aq-0002', 'telemetry'), payload);
      const rejection = JSON.parse(await told) as Rejection;
      expect(rejection).toMatchObject({ device: 'aq-0002', reason, by: 'server' });
      expect(rejection.message.length).toBeGreaterThan(10);
      await waitFor(async () => (await rejectionsFor('aq-0002')).some((r) => r.reason === reason && r.ts === rejection.ts), `${reason} in /api/rejections`);
    }
  });

  it('leaves a wrong password to mosquitto: CONNACK refused (5, not authorised), and the server never hears of it', async () => {
    await expect(connectDevice(`mqtt://127.0.0.1:${port}`, 'aq-0003', 'not-the-secret')).rejects.toThrow(/not authori[sz]ed/i);
    await expect(connectDevice(`mqtt://127.0.0.1:${port}`, 'no-such-device', 'demo-no-such-device')).rejects.toThrow(/not authori[sz]ed/i);
    const raw = await rawConnection(port);
    raw.socket.write(connectPacket({ clientId: 'raw-aq-0003', username: 'aq-0003', password: 'not-the-secret' }));
    await waitFor(() => connackCode(raw.received()) !== null, 'a CONNACK');
    expect(connackCode(raw.received())).toBe(5); // our broker answers 4 (bad username or password)
    await raw.closed;
    // the same login with the right secret passes: the refusal was the password's
    await device('aq-0003');
    expect((await rejectionsFor('aq-0003')).filter((r) => r.reason === 'bad_credentials')).toEqual([]);
  });

  it('drops a publish on another device\'s topic by the ACL: acknowledged under 3.1.1, code 135 under MQTT 5, nothing stored', async () => {
    const t0 = Date.now();
    const air = await device('aq-0004');
    await publish(air, deviceTopic('aq-0005', 'telemetry'), JSON.stringify({ metrics: { pm25: 777 } })); // resolves: mosquitto PUBACKs and drops it
    // another device: the client id is the username, so a second aq-0004 would end the first one's connection
    const air5 = await device('aq-0010', undefined, { protocolVersion: 5 });
    await expect(publish(air5, deviceTopic('aq-0005', 'telemetry'), JSON.stringify({ metrics: { pm25: 778 } }))).rejects.toMatchObject({ code: 135 });
    // the control: the device's own reading, sent after both, is stored; the forged ones never arrive
    await publish(air, deviceTopic('aq-0004', 'telemetry'), JSON.stringify({ metrics: { pm25: 44 } }));
    await waitFor(async () => (await storedPm25('aq-0004', t0)).includes(44), "aq-0004's own reading stored");
    expect(await storedPm25('aq-0005', t0)).toEqual([]);
    expect((await rejectionsFor('aq-0004')).filter((r) => r.reason === 'foreign_topic')).toEqual([]);
  });

  it('closes the connection of a payload over 64 KiB (max_packet_size); nothing is stored and no reason is given', async () => {
    const t0 = Date.now();
    const air = await device('aq-0006');
    const closed = new Promise<void>((res) => air.once('close', () => res()));
    air.publish(deviceTopic('aq-0006', 'telemetry'), Buffer.alloc(70 * 1024, 0x20), { qos: 1 });
    await closed;
    const again = await device('aq-0006');
    await publish(again, deviceTopic('aq-0006', 'telemetry'), JSON.stringify({ metrics: { pm25: 46 } }));
    await waitFor(async () => (await storedPm25('aq-0006', t0)).includes(46), "aq-0006's next reading stored");
    expect((await rejectionsFor('aq-0006')).filter((r) => r.reason === 'payload_too_large')).toEqual([]);
  });

  it('takes a burst past our per-device budget (mosquitto has no rate limit per client)', async () => {
    const t0 = Date.now();
    const air = await device('aq-0007');
    await Promise.all(Array.from({ length: 300 }, (_, i) => publish(air, deviceTopic('aq-0007', 'telemetry'), JSON.stringify({ ts: t0 - 300_000 + i, metrics: { pm25: i } }))));
    await waitFor(async () => (await storedPm25('aq-0007', t0 - 300_000)).length === 300, 'all 300 readings stored', 20_000);
  });

  it('keeps the server\'s session when a device logs in with the server\'s client id (use_username_as_clientid)', async () => {
    const before = connectedLines();
    const impostor = await device('aq-0008', undefined, { clientId: 'citygrid-server' });
    await new Promise((r) => setTimeout(r, 1500)); // a taken-over session would have been dropped and redialled by now
    expect(connectedLines()).toBe(before);
    expect(mosquittoLog).not.toMatch(/Client citygrid-server already connected, closing old connection/);
    const t0 = Date.now();
    await publish(impostor, deviceTopic('aq-0008', 'telemetry'), JSON.stringify({ metrics: { pm25: 48 } }));
    await waitFor(async () => (await storedPm25('aq-0008', t0)).includes(48), "aq-0008's reading stored");
  });

  it('reconnects after mosquitto restarts and keeps ingesting', async () => {
    const before = connectedLines();
    const seen = logs.length;
    await stopMosquitto();
    await waitFor(async () => (await health()).broker.connected === false, 'health to show the broker down');
    expect((await health()).status).toBe('down');
    await startMosquitto();
    // mosquitto kept the server's session (persistence): a reading sent before the server is back is queued for it
    const air = await device('aq-0009');
    const t0 = Date.now();
    await publish(air, deviceTopic('aq-0009', 'telemetry'), JSON.stringify({ metrics: { pm25: 49 } }));
    await waitFor(async () => (await health()).broker.connected === true, 'the server to reconnect', 20_000);
    expect(connectedLines()).toBe(before + 1);
    expect(logs.slice(seen).find((l) => l.includes('connected to broker'))).toContain('"sessionPresent":true');
    await waitFor(async () => (await storedPm25('aq-0009', t0)).includes(49), 'the reading sent across the restart stored');
    await publish(air, deviceTopic('aq-0009', 'telemetry'), JSON.stringify({ metrics: { pm25: 50 } }));
    await waitFor(async () => (await storedPm25('aq-0009', t0)).includes(50), 'a reading after the restart stored');
    expect((await health()).status).toBe('ok');
  });

  it('keeps retrying a login mosquitto refused, and connects once the password file is fixed and reloaded (SIGHUP)', async () => {
    // mosquitto comes back with a password file that no longer has the server's password
    await stopMosquitto();
    generate('another-service-password-4567');
    const seen = logs.length;
    await startMosquitto();
    await waitFor(() => logs.slice(seen).some((l) => l.includes('refused the server\'s login')), 'the refused login logged', 10_000);
    expect((await health()).broker.connected).toBe(false);
    await new Promise((r) => setTimeout(r, 2500)); // a few more tries, each refused
    expect(mosquitto!.log().match(/disconnected, not authorised/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    // the engineer puts the right password back and has mosquitto read its files again
    generate(SERVICE_PASSWORD);
    mosquitto!.child.kill('SIGHUP');
    await waitFor(async () => (await health()).broker.connected === true, 'the server to log in', 10_000);
    const air = await device('aq-0011');
    const t0 = Date.now();
    await publish(air, deviceTopic('aq-0011', 'telemetry'), JSON.stringify({ metrics: { pm25: 51 } }));
    await waitFor(async () => (await storedPm25('aq-0011', t0)).includes(51), 'a reading stored after the fix');
  });
});
