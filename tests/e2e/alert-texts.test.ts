// Proves an alert of a rule the demo city does not have (no words of its own in rules.yaml) reads in
// Chinese with its numbers on the zh-CN dashboard, and that the same alert's DingTalk message is in
// Chinese with the same numbers: both rendered from the contract's catalogue, not from server prose.
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '@citygrid/contract';
import { login, publish, waitFor } from '../helpers/system.js';
import { alertItem, alertOf, shot, signIn, WAIT } from './ui.js';
import { webhookCity, type WebhookCity } from './webhook-city.js';

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

const w = webhookCity({ rules: RULES, webhooks: WEBHOOKS, device: DEVICE, locale: 'zh-CN' });
const received = w.received;
let system: WebhookCity['system'];
let page: Page;
let device: MqttClient;
beforeAll(() => { ({ system, page, device } = w); });


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
