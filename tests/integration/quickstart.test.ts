// Proves the README's device quick-start works as written: mosquitto_pub with a demo device's
// credentials lands in the readings API, and a bad payload shows up in /api/rejections with its reason.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReadingsResponse, RejectionsResponse } from '@citygrid/contract';
import { getJson, login, startTestSystem, waitFor } from '../helpers/system.js';

const run = promisify(execFile);

let system: Awaited<ReturnType<typeof startTestSystem>>;
let token: string;
beforeAll(async () => {
  system = await startTestSystem();
  token = await login(system.baseUrl, 'viewer');
});
afterAll(async () => {
  await system?.stop();
});

function mosquittoPub(device: string, message: string) {
  return run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(system.mqttPort), '-u', device, '-P', `demo-${device}`,
    '-t', `city/v1/devices/${device}/telemetry`, '-q', '1', '-m', message]);
}

it('stores a reading sent with mosquitto_pub and lists a refused one with its reason', async () => {
  await mosquittoPub('wl-0003', '{"metrics":{"level_cm":12.5}}');
  const readings = await waitFor(async () => {
    const { body } = await getJson<ReadingsResponse>(`${system.baseUrl}/api/devices/wl-0003/readings?metric=level_cm`, token);
    return body.series[0]!.points.length ? body.series[0]!.points : null;
  }, 'the mosquitto_pub reading');
  expect(readings).toHaveLength(1);
  expect(readings[0]).toMatchObject({ value: 12.5 });

  await mosquittoPub('wl-0003', '{"metrics":{"level_cm":"deep"}}');
  const rejection = await waitFor(async () => {
    const { body } = await getJson<RejectionsResponse>(`${system.baseUrl}/api/rejections?device=wl-0003`, token);
    return body.items[0];
  }, 'the refused payload in /api/rejections');
  expect(rejection).toMatchObject({ device: 'wl-0003', reason: 'wrong_type', by: 'server' });
  expect(rejection.message).toContain('level_cm');
});
