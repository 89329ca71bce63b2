// An e2e fixture shared by the tests that watch what the webhooks send: the demo city with its own
// rules.yaml and a webhooks.yaml pointing at a local receiver (every body it gets, as sent), a running
// system, one device connected over MQTT, and a browser page in the given locale.
import { cpSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, DEMO_CITY, end, startTestSystem, tempDir } from '../helpers/system.js';
import { launchBrowser } from './browser.js';

/** A rules.yaml whose one rule trips at once: water above 25 cm is an orange alert, cleared below 20 cm. */
export const DEEP_WATER_RULES = `
- id: deep-water
  kind: threshold
  match: { kind: water_level }
  metric: level_cm
  above: 25
  clear_below: 20
  severity: orange
`;
/** A webhooks.yaml sending the generic format to the fixture's receiver. */
export const GENERIC_WEBHOOK = `
- id: duty-room
  url: http://127.0.0.1:PORT/hook
  format: generic
`;

export interface WebhookCity {
  /** Every request body the receiver got, in order. */
  readonly received: string[];
  system: Awaited<ReturnType<typeof startTestSystem>>;
  page: Page;
  device: MqttClient;
}

/** Registers beforeAll/afterAll for the file; `webhooks` names the receiver's port as PORT. */
export function webhookCity(o: { rules: string; webhooks: string; device: string; locale: string }): WebhookCity {
  const city = tempDir('citygrid-city-');
  const data = tempDir();
  const fixture = { received: [] as string[] } as WebhookCity;
  let receiver: Server | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        fixture.received.push(body);
        // what DingTalk answers; the other formats take any 2xx
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()));
    cpSync(DEMO_CITY, city.path, { recursive: true });
    writeFileSync(join(city.path, 'rules.yaml'), o.rules);
    writeFileSync(join(city.path, 'webhooks.yaml'), o.webhooks.replace('PORT', String((receiver.address() as { port: number }).port)));
    fixture.system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, SIMULATE: '0' });
    fixture.device = await connectDevice(`mqtt://127.0.0.1:${fixture.system.mqttPort}`, o.device);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: o.locale });
    fixture.page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await end(fixture.device);
    await fixture.system?.stop();
    await new Promise((r) => receiver?.close(r));
    city.remove();
    data.remove();
  });

  return fixture;
}
