// Proves an alert of a rule the demo city does not have (no words of its own in rules.yaml) reads in
// Chinese with its numbers on the zh-CN dashboard, and that the same alert's DingTalk message is in
// Chinese with the same numbers: both rendered from the contract's catalogue, not from server prose.
import { cpSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { buildWeb, webIsCurrent } from '../../scripts/build-web.mjs';
import { connectDevice, DEMO_CITY, end, login, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';
import { launchBrowser } from './browser.js';
import { alertItem, alertOf, shot, signIn, WAIT } from './ui.js';

// not a demo rule: no message, message_zh, guidance or guidance_zh, so every word is generated
const RULES = `
- id: deep-water
  kind: threshold
  match: { kind: water_level }
  metric: level_cm
  above: 25
  severity: orange
`;
const WEBHOOKS = `
- id: duty-room
  url: http://127.0.0.1:PORT/robot/send?access_token=test
  format: dingtalk
`;
const DEVICE = 'wl-0001';

const city = tempDir('citygrid-city-');
const data = tempDir();
const received: string[] = [];
let receiver: Server;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let browser: Browser;
let page: Page;
let device: MqttClient;

beforeAll(async () => {
  if (!webIsCurrent() && !buildWeb()) throw new Error('the dashboard did not build');
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  cpSync(DEMO_CITY, city.path, { recursive: true });
  writeFileSync(join(city.path, 'rules.yaml'), RULES);
  writeFileSync(join(city.path, 'webhooks.yaml'), WEBHOOKS.replace('PORT', String((receiver.address() as { port: number }).port)));
  system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path, SIMULATE: '0' });
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, DEVICE);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await end(device);
  await system?.stop();
  await new Promise((r) => receiver?.close(r));
  city.remove();
  data.remove();
});

it('shows a generated rule\'s alert in Chinese with its numbers, and sends the same alert to DingTalk in Chinese', async () => {
  await signIn(page, system.baseUrl, 'operator');
  await expect.poll(() => page.getByTestId('alert-feed').innerText(), { timeout: WAIT }).toContain('告警信息');
  await publish(device, deviceTopic(DEVICE, 'telemetry'), JSON.stringify({ metrics: { level_cm: 36.4 } }));
  const alert = await alertOf(system.baseUrl, await login(system.baseUrl, 'operator'), DEVICE, 'deep-water');
  // the server's English default is still there for clients that read only `message`
  expect(alert.message).toBe('Level above 25: level_cm 36.4 cm, above 25 cm');
  expect(alert.text?.detail?.key).toBe('threshold.active');

  const item = alertItem(page, alert.id);
  await item.waitFor({ timeout: WAIT });
  await expect.poll(() => item.innerText(), { timeout: WAIT }).toContain('水位高于 25');
  const shown = await item.innerText();
  expect(shown).toContain('水位 36.4 cm，高于 25 cm'); // the value, its unit and the threshold
  expect(shown).toContain('请到现场查看，并报告发现的情况。');
  expect(shown).not.toMatch(/level_cm|above|Check the place/);
  await shot(page, 'alert-texts-zh.png');

  const body = await waitFor(() => received.map((b) => JSON.parse(b) as { msgtype: string; markdown: { title: string; text: string } })
    .find((b) => b.markdown.text.includes(alert.id)), 'the DingTalk message of the alert');
  expect(body.msgtype).toBe('markdown');
  expect(body.markdown.title).toContain('橙色预警');
  expect(body.markdown.text).toContain('**水位高于 25：水位 36.4 cm，高于 25 cm**');
  expect(body.markdown.text).toContain('处置建议: 请到现场查看，并报告发现的情况。');
  expect(body.markdown.text).not.toMatch(/Level above|above 25 cm|Check the place/);
});
