// Proves MQTT over TLS on the embedded broker (MQTTS_PORT): mosquitto_pub --cafile with the self-signed certificate made in DATA_DIR/tls publishes a stored reading; a client certificate from TLS_CLIENT_CA logs its CN's device in without a password (another username is refused); one from another CA is refused at the handshake with one clear log line; garbage is counted and harms nothing; a restart reuses the certificate.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { get as httpsGet, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawPoint, ReadingsResponse } from '@citygrid/contract';
import { end, getJson, login, publish, readMetrics, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const run = promisify(execFile);

interface LogLine { level: number; msg: string; [k: string]: unknown }

let data: ReturnType<typeof tempDir>;
let pki: ReturnType<typeof tempDir>;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let logs: LogLine[] = [];
let token: string;
/** A device certificate (CN wl-0004) from the test CA given as TLS_CLIENT_CA, and one (same CN) from another CA. */
let good: { cert: string; key: string };
let foreign: { cert: string; key: string };

async function makeCa(name: string) {
  return generate([{ name: 'commonName', value: name }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
}

async function deviceCert(ca: { private: string; cert: string }, cn: string) {
  const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert } });
  return { cert: pems.cert, key: pems.private };
}

async function start(): Promise<void> {
  logs = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as LogLine); } });
  system = await startTestSystem({ DATA_DIR: data.path, MQTTS_PORT: '0', TLS_CLIENT_CA: join(pki.path, 'ca.pem') }, logger);
  token = await login(system.baseUrl, 'viewer');
}

beforeAll(async () => {
  data = tempDir();
  pki = tempDir('citygrid-pki-');
  const ca = await makeCa('CityGrid test device CA');
  const other = await makeCa('Somebody else\'s CA');
  writeFileSync(join(pki.path, 'ca.pem'), ca.cert);
  good = await deviceCert(ca, 'wl-0004');
  foreign = await deviceCert(other, 'wl-0004');
  await start();
});
afterAll(async () => {
  await system?.stop();
  data?.remove();
  pki?.remove();
});

const certFile = () => join(system.dataDir, 'tls', 'cert.pem');

function mosquittoPub(device: string, message: string, cafile = certFile()) {
  return run('mosquitto_pub', ['--cafile', cafile, '-h', 'localhost', '-p', String(system.mqttsPort), '-u', device, '-P', `demo-${device}`,
    '-t', `city/v1/devices/${device}/telemetry`, '-q', '1', '-m', message]);
}

async function levels(device: string): Promise<number[]> {
  const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/${device}/readings?metric=level_cm`, token);
  return body.series[0]!.points.map((p) => (p as RawPoint).value);
}

/** Connects over mqtts; resolves with the client once CONNACK accepted it, or with the error or close that ended it. */
function connectTls(extra: IClientOptions): Promise<{ client: MqttClient } | { error: string }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(`mqtts://localhost:${system.mqttsPort}`, {
      ca: readFileSync(certFile(), 'utf8'), protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...extra,
    });
    client.once('connect', () => resolve({ client }));
    client.once('error', (err) => { client.end(true); resolve({ error: err.message }); });
    client.once('close', () => { client.end(true); resolve({ error: 'closed before CONNACK' }); });
  });
}

describe('MQTT over TLS', () => {
  it('makes a self-signed certificate in DATA_DIR/tls (key 0600) and logs the mosquitto_pub line', () => {
    expect(system.mqttsPort).toBeGreaterThan(0);
    expect(statSync(join(system.dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
    const x509 = new X509Certificate(readFileSync(certFile()));
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const hint = logs.find((l) => typeof l.msg === 'string' && l.msg.includes('mosquitto_pub --cafile'));
    expect(hint?.msg).toContain(`--cafile ${certFile()} -h localhost -p ${system.mqttsPort} -u wl-`);
  });

  it('stores a reading sent with mosquitto_pub --cafile and a password', async () => {
    await mosquittoPub('wl-0003', '{"metrics":{"level_cm":12.5}}');
    expect(await waitFor(async () => ((await levels('wl-0003')).length ? levels('wl-0003') : null), 'the reading over TLS')).toEqual([12.5]);
    // the broker's own line for the connection (mosquitto_pub sends no client id: aedes gives it one)
    const connected = await waitFor(() => logs.find((l) => l.msg === 'client connected' && l.who === 'device'), 'the connect log line');
    expect(connected.transport).toBe('tls');
  });

  it('logs in the device a client certificate names, without a password, and stores its reading', async () => {
    const r = await connectTls({ key: good.key, cert: good.cert, clientId: 'wl-0004-tls' });
    expect(r).toHaveProperty('client');
    const client = (r as { client: MqttClient }).client;
    await publish(client, 'city/v1/devices/wl-0004/telemetry', '{"metrics":{"level_cm":33.5}}');
    await end(client);
    expect(await waitFor(async () => ((await levels('wl-0004')).length ? levels('wl-0004') : null), 'the reading of the certificate login')).toEqual([33.5]);
    expect(logs.some((l) => l.msg === 'device logged in with its client certificate' && l.device === 'wl-0004')).toBe(true);
    // the README's mosquitto_pub line with --cert/--key and no username
    writeFileSync(join(pki.path, 'wl-0004.crt'), good.cert);
    writeFileSync(join(pki.path, 'wl-0004.key'), good.key, { mode: 0o600 });
    await run('mosquitto_pub', ['--cafile', certFile(), '--cert', join(pki.path, 'wl-0004.crt'), '--key', join(pki.path, 'wl-0004.key'), '-h', 'localhost', '-p', String(system.mqttsPort),
      '-t', 'city/v1/devices/wl-0004/telemetry', '-q', '1', '-m', '{"metrics":{"level_cm":34.5}}']);
    expect(await waitFor(async () => ((await levels('wl-0004')).length === 2 ? levels('wl-0004') : null), 'the mosquitto_pub certificate reading')).toEqual([33.5, 34.5]);
    // with the same certificate, another device's name and password are refused, with why
    const other = await connectTls({ key: good.key, cert: good.cert, clientId: 'wl-0005-tls', username: 'wl-0005', password: 'demo-wl-0005' });
    expect(other).toHaveProperty('error');
    expect(logs.some((l) => l.level === 40 && /client certificate is device "wl-0004"'s \(its CN\), but the username is "wl-0005"/.test(l.msg))).toBe(true);
  });

  it('refuses a client certificate from another CA at the handshake, with one clear log line', async () => {
    const before = (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'tls_client_certificate' });
    const r = await connectTls({ key: foreign.key, cert: foreign.cert, clientId: 'wl-0004-foreign' });
    expect(r).toHaveProperty('error');
    const lines = await waitFor(() => {
      const found = logs.filter((l) => l.reason === 'tls_client_certificate');
      return found.length ? found : null;
    }, 'the refusal log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, transport: 'tls', remote: '127.0.0.1', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(lines[0]!.msg).toBe('TLS connection from 127.0.0.1 refused: its client certificate is not signed by the client CA (TLS_CLIENT_CA) (OpenSSL: UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect((await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'tls_client_certificate' })).toBe(before + 1);
    expect(await levels('wl-0004')).toEqual([33.5, 34.5]); // nothing of it stored
  });

  it('counts garbage and plain MQTT on the TLS port as failed handshakes and keeps serving', async () => {
    const metric = async () => (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'tls_handshake' });
    const before = await metric();
    const plainConnect = Buffer.from('101900044d5154540402003c000d776c2d303030332d706c61696e', 'hex'); // an MQTT CONNECT, unencrypted
    // first a port probe (connects, sends nothing, leaves: the client went away, not counted), then three refused
    for (const bytes of [Buffer.alloc(0), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), plainConnect, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))]) {
      await new Promise<void>((resolve) => {
        const s = netConnect(system.mqttsPort!, '127.0.0.1', () => (bytes.length ? s.write(bytes) : s.end()));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
    }
    // and a client that does not trust our certificate (the system's CAs, not cert.pem)
    await expect(run('mosquitto_pub', ['--capath', '/etc/ssl/certs', '-h', 'localhost', '-p', String(system.mqttsPort), '-u', 'wl-0003', '-P', 'demo-wl-0003', '-t', 'city/v1/devices/wl-0003/telemetry', '-m', '{"metrics":{"level_cm":1}}'])).rejects.toThrow();
    expect(await waitFor(async () => ((await metric()) >= before + 4 ? metric() : null), 'four failed handshakes counted')).toBe(before + 4);
    const refused = logs.filter((l) => l.reason === 'tls_handshake');
    expect(refused).toHaveLength(4);
    for (const l of refused) expect(l).toMatchObject({ level: 40, transport: 'tls', remote: '127.0.0.1' });
    expect(refused[0]!.msg).toBe('TLS handshake from 127.0.0.1 refused: http request');
    expect(refused[3]).toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', msg: expect.stringContaining('TLS handshake from 127.0.0.1 refused: the client does not trust our certificate (tlsv1 alert unknown ca)') });
    // and the broker still takes readings over TLS
    await mosquittoPub('wl-0003', '{"metrics":{"level_cm":13.5}}');
    await waitFor(async () => ((await levels('wl-0003')).includes(13.5) ? true : null), 'a reading after the garbage');
  });

  it('logs at most 20 refused handshakes a minute at warn, and counts every one', async () => {
    const metric = async () => (await readMetrics(system.baseUrl))('citygrid_mqtt_connections_closed_total', { reason: 'tls_handshake' });
    const before = await metric();
    await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
      const s = netConnect(system.mqttsPort!, '127.0.0.1', () => s.write('not TLS at all\r\n'));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
    })));
    expect(await waitFor(async () => ((await metric()) >= before + 20 ? metric() : null), 'twenty more failed handshakes counted')).toBe(before + 20);
    // one warn line each for the refused certificate and the 4 handshakes of the tests before, 15 of these; 5 at debug
    const refused = logs.filter((l) => l.reason === 'tls_handshake' || l.reason === 'tls_client_certificate');
    expect(refused.filter((l) => l.level === 40)).toHaveLength(20);
    expect(refused.filter((l) => l.level === 20)).toHaveLength(5);
  });

  it('reuses the generated certificate after a restart', async () => {
    const first = new X509Certificate(readFileSync(certFile())).fingerprint256;
    const kept = join(pki.path, 'trusted-before-restart.pem');
    writeFileSync(kept, readFileSync(certFile()));
    await system.stop();
    await start();
    expect(new X509Certificate(readFileSync(certFile())).fingerprint256).toBe(first);
    expect(logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('made a self-signed TLS certificate'))).toBe(false);
    await mosquittoPub('wl-0006', '{"metrics":{"level_cm":7.5}}', kept);
    expect(await waitFor(async () => ((await levels('wl-0006')).length ? levels('wl-0006') : null), 'a reading after the restart')).toEqual([7.5]);
  });
});

describe('HTTPS=1', () => {
  let https: Awaited<ReturnType<typeof startTestSystem>>;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    dir = tempDir();
    https = await startTestSystem({ DATA_DIR: dir.path, HTTPS: '1' });
  });
  afterAll(async () => {
    await https?.stop();
    dir?.remove();
  });

  it('serves the HTTP port over TLS with the same certificate, and MQTT over wss:// at /mqtt', async () => {
    const ca = readFileSync(join(dir.path, 'tls', 'cert.pem'), 'utf8');
    expect(https.mqttsPort).toBeNull(); // MQTTS_PORT=off (the test helper's default): the certificate is made for HTTPS alone
    const status = await new Promise<number>((resolve, reject) => {
      httpsGet({ host: 'localhost', port: https.httpPort, path: '/api/health', ca }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    expect(status).toBe(200);
    const client = await new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(`wss://localhost:${https.httpPort}/mqtt`, { ca, username: 'wl-0007', password: 'demo-wl-0007', protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
      c.once('connect', () => resolve(c));
      c.once('error', (err) => { c.end(true); reject(err); });
    });
    await publish(client, 'city/v1/devices/wl-0007/telemetry', '{"metrics":{"level_cm":5.5}}');
    await end(client);
    const viewer = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: 'localhost', port: https.httpPort, path: '/api/auth/login', method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve((JSON.parse(body) as { token: string }).token));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'viewer', password: 'demo-viewer' }));
    });
    const points = await waitFor(() => new Promise<number[] | null>((resolve, reject) => {
      httpsGet({ host: 'localhost', port: https.httpPort, path: '/api/devices/wl-0007/readings?metric=level_cm', ca, headers: { authorization: `Bearer ${viewer}` } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => {
          const values = (JSON.parse(body) as ReadingsResponse).series[0]!.points.map((p) => (p as RawPoint).value);
          resolve(values.length ? values : null);
        });
      }).on('error', reject);
    }), 'the reading sent over wss://');
    expect(points).toEqual([5.5]);
  });
});
