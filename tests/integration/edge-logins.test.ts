// Proves refused logins cost an attacker's target nothing: wrong passwords in a device's name never count as that device's refusals (no device-misconfigured alert, while 20 real refused messages do raise it), they are counted in /metrics, and after a few failures from one address the next logins are refused without an scrypt (exponential back-off) while other addresses and the server's account are not held back.
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type CityBroker } from '@citygrid/broker';
import { SERVER_CLIENT_ID, deviceTopic, type Alert, type RejectionsResponse } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { connackCode, connectPacket, rawConnection } from '../helpers/raw-mqtt.js';
import { DEMO_CITY, connectDevice, end, getJson, login, publish, readMetrics, startTestSystem, waitFor } from '../helpers/system.js';

const refused = (url: string, id: string, password: string) => connectDevice(url, id, password).then(
  (c) => { void end(c); return 'connected' as const; },
  (err: Error & { code?: number }) => err.code ?? err.message,
);

describe('wrong passwords in a device\'s name (embedded system)', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let url: string;
  let token: string;
  let device: MqttClient | undefined;
  beforeAll(async () => {
    system = await startTestSystem();
    url = `mqtt://127.0.0.1:${system.mqttPort}`;
    token = await login(system.baseUrl, 'operator');
  });
  afterAll(async () => {
    await end(device);
    await system?.stop();
  });

  const misconfigured = async () => (await getJson<{ alerts: Alert[] }>(`${system.baseUrl}/api/alerts?state=all`, token)).body.alerts
    .filter((a) => a.rule === 'device-misconfigured' && a.devices.includes('wl-0005'));

  it('raise no device-misconfigured alert (20 real refused messages do), and are counted in /metrics', async () => {
    for (let i = 0; i < 20; i++) expect(await refused(url, 'wl-0005', `not-the-secret-${i}`)).toBe(4); // bad user name or password
    // all 20 reached the server's rejection log (so the rules had their chance to see them) ...
    await waitFor(async () => (await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=wl-0005&reason=bad_credentials`, token)).body.items.length === 20, 'the 20 bad_credentials refusals recorded');
    // ... and no alert came of them
    expect(await misconfigured()).toEqual([]);
    const metrics = await readMetrics(system.baseUrl);
    expect(metrics('citygrid_mqtt_login_failures_total')).toBe(20);
    expect(metrics('citygrid_messages_rejected_total', { reason: 'bad_credentials', by: 'broker' })).toBe(20);

    // the control: the device itself, signed in, sending 20 messages that are refused
    device = await connectDevice(url, 'wl-0005');
    for (let i = 0; i < 20; i++) await publish(device, deviceTopic('wl-0005', 'telemetry'), `{"metrics":{"level_cm":"deep-${i}"}}`); // wrong_type
    const alerts = await waitFor(async () => { const a = await misconfigured(); return a.length ? a : null; }, 'the device-misconfigured alert from the real refusals');
    expect(alerts[0]!.severity).toBe('blue');
    expect(alerts[0]!.values).toMatchObject({ refused: 20 });
  });
});

describe('failed logins from one address', () => {
  const SERVICE = { username: 'citygrid-server', password: 'edge-logins-service-password' };
  let broker: CityBroker;
  const stats = () => broker.stats;
  beforeAll(async () => {
    // loopback counts as any other address here; back-off after 3 failures, for a minute (longer than this test)
    broker = await createBroker({
      port: 0, host: '127.0.0.1', devices: loadCity(DEMO_CITY).devicesById, service: SERVICE, allowAnonymous: false, logger: pino({ level: 'silent' }),
      limits: { throttleLoopback: true, loginBackoff: { freeFailures: 3, firstMs: 60_000, maxMs: 60_000 } },
    });
  });
  afterAll(async () => broker?.close());

  /** A login by hand from `localAddress`; the CONNACK return code (null: closed without one). */
  async function attempt(id: string, password: string, localAddress = '127.0.0.1', clientId = id): Promise<number | null> {
    const c = await rawConnection(broker.port, { localAddress });
    c.socket.write(connectPacket({ clientId, username: id, password }));
    await waitFor(() => connackCode(c.received()) !== null || c.isClosed(), 'a CONNACK or the close');
    c.socket.destroy();
    return connackCode(c.received());
  }

  it('are refused without an scrypt once backed off; another address and the server account are not held back', async () => {
    for (let i = 0; i < 3; i++) expect(await attempt('wl-0006', `wrong-${i}`)).toBe(4);
    // backed off: refused at once, the password not even checked (the right one neither)
    for (let i = 0; i < 7; i++) expect(await attempt('wl-0006', `wrong-again-${i}`)).toBe(3); // server unavailable: try later
    expect(await attempt('wl-0006', 'demo-wl-0006')).toBe(3);
    expect(stats().secretChecks).toBe(3);
    expect(stats().loginsThrottled).toBe(8);
    expect(stats().loginFailures).toBe(3);
    // the controls: another address is checked (and let in), and the server's account is never held back
    expect(await attempt('wl-0006', 'demo-wl-0006', '127.0.0.2')).toBe(0);
    expect(stats().secretChecks).toBe(4);
    expect(await attempt(SERVICE.username, SERVICE.password, '127.0.0.1', SERVER_CLIENT_ID)).toBe(0);
  });
});
