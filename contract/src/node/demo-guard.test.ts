// Proves the start-up refusal: the demo city or a placeholder secret beyond loopback is refused with
// a message that names what and where (never a secret's value), and loopback or CITYGRID_DEMO=1 pass.
import { describe, expect, it } from 'vitest';
import type { City } from './city-loader.js';
import { demoExposureProblem, PLACEHOLDER_SECRET } from './demo-guard.js';

const city = (demo?: boolean) => ({ dir: '/cities/x', meta: demo === undefined ? {} : { demo } }) as unknown as City;

describe('demoExposureProblem', () => {
  it('refuses the demo city on a non-loopback address, naming the variable and host', () => {
    const p = demoExposureProblem({ city: city(true), demoAllowed: false, listens: { HOST: '0.0.0.0', MQTT_HOST: '127.0.0.1' }, secrets: {} });
    expect(p).toContain('0.0.0.0 (HOST)');
    expect(p).not.toContain('127.0.0.1 (MQTT_HOST)');
    expect(p).toContain('demo city');
    expect(p).toContain('CITYGRID_DEMO=1');
  });

  it('refuses a placeholder secret with any city, naming the variable, never the value', () => {
    const p = demoExposureProblem({ city: city(), demoAllowed: false, listens: { MQTT_HOST: '10.0.0.5' }, secrets: { MQTT_SERVICE_PASSWORD: 'demo-only-mqtt-service-password', INFLUX_TOKEN: 'a-real-token' } });
    expect(p).toContain('MQTT_SERVICE_PASSWORD');
    expect(p).not.toContain('demo-only-mqtt');
    expect(p).not.toContain('INFLUX_TOKEN');
  });

  it('lets loopback, a city of its own with real secrets, and CITYGRID_DEMO=1 through', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(demoExposureProblem({ city: city(true), demoAllowed: false, listens: { HOST: host }, secrets: { AUTH_SECRET: 'demo-only-x' } }), host).toBeNull();
    }
    expect(demoExposureProblem({ city: city(false), demoAllowed: false, listens: { HOST: '0.0.0.0' }, secrets: { AUTH_SECRET: 'x'.repeat(40) } })).toBeNull();
    expect(demoExposureProblem({ city: city(true), demoAllowed: true, listens: { HOST: '0.0.0.0' }, secrets: { AUTH_SECRET: 'demo-only-x' } })).toBeNull();
    expect(demoExposureProblem({ city: city(true), demoAllowed: false, listens: { MQTT_HOST: null }, secrets: {} })).toBeNull();
  });

  it('knows the placeholders of .env.example and the README', () => {
    for (const v of ['demo-only-mqtt-service-password', 'change-me-please', 'changeme', 'CHANGE-ME']) expect(PLACEHOLDER_SECRET.test(v), v).toBe(true);
    for (const v of ['s3cr3t-demo-only', 'a-changed-secret']) expect(PLACEHOLDER_SECRET.test(v), v).toBe(false);
  });
});
