// Proves the TLS settings: MQTTS_PORT's values (a port, 0, off; 8883 by default), TLS_CERT and TLS_KEY together, and that a default port found in use turns TLS off with a warning while a port set on purpose must be free.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from './config.js';
import { withTlsFallback, type MqttsOptions } from './tls-cert.js';

const TLS: MqttsOptions = { port: 8883, host: '127.0.0.1', cert: 'c', key: 'k' };
const inUse = (port: number) => Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', port });

describe('MQTTS_PORT and TLS_*', () => {
  it('is 8883 by default, any free port with 0, off with off', () => {
    expect(loadServerConfig({}).tls).toMatchObject({ mqttsPort: 8883, mqttsPortSet: false, certFile: null, keyFile: null, clientCaFile: null, https: false });
    expect(loadServerConfig({ MQTTS_PORT: '0' }).tls).toMatchObject({ mqttsPort: 0, mqttsPortSet: true });
    expect(loadServerConfig({ MQTTS_PORT: 'off' }).tls.mqttsPort).toBeNull();
    expect(loadServerConfig({ MQTTS_PORT: 'OFF' }).tls.mqttsPort).toBeNull();
  });

  it('names every bad TLS setting', () => {
    expect(() => loadServerConfig({ MQTTS_PORT: '70000' })).toThrow(/MQTTS_PORT: must be a port number from 0 to 65535 \(0: any free one\), or off/);
    expect(() => loadServerConfig({ TLS_CERT: '/x/cert.pem' })).toThrow(/TLS_KEY: TLS_CERT and TLS_KEY go together/);
    expect(() => loadServerConfig({ TLS_KEY: '/x/key.pem' })).toThrow(/TLS_CERT: TLS_CERT and TLS_KEY go together/);
    expect(() => loadServerConfig({ TLS_CLIENT_CA: '/x/ca.pem', MQTTS_PORT: 'off' })).toThrow(/TLS_CLIENT_CA: .*MQTTS_PORT=off turns off/);
  });
});

describe('withTlsFallback', () => {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as { level: number; msg: string }); } });

  it('starts again without TLS when the default port is in use, and says so', async () => {
    const tried: (MqttsOptions | null)[] = [];
    const started = await withTlsFallback(TLS, false, logger, async (tls) => {
      tried.push(tls);
      if (tls) throw inUse(tls.port);
      return 'running';
    });
    expect(started).toBe('running');
    expect(tried).toEqual([TLS, null]);
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: expect.stringContaining('port 8883 is in use by another program: MQTT over TLS is OFF for this run') });
  });

  it('fails when a port set on purpose is in use, or another port (MQTT_PORT) is', async () => {
    await expect(withTlsFallback(TLS, true, logger, async (tls) => { if (tls) throw inUse(tls.port); return 'running'; })).rejects.toThrow(/EADDRINUSE/);
    await expect(withTlsFallback(TLS, false, logger, async () => { throw inUse(1883); })).rejects.toThrow(/1883/);
  });
});
