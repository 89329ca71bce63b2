// Proves the assignee is reached when no page is open: for one red alert left unacknowledged on the
// real server, the DingTalk, WeCom and Feishu bodies (each signature checked here with its vendor's
// scheme, written independently of webhook-signing.ts) mention the cell's grid worker first, the
// district supervisor after the escalation, the control room after the next; the SMS gateway body is
// signed, goes to those people's mobiles, and says it in Chinese; and no handle is ever logged.
import { createHmac } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contacts } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { createLogger } from '../../server/src/logger.js';
import { DEMO_CITY, connectDevice, end, publish, startTestSystem, tempDir, waitFor } from '../helpers/system.js';

const RULES = `
- { id: flood, kind: threshold, match: { kind: water_level }, metric: level_cm, above: 30, for: 1s, clear_below: 20, severity: red, message: Flooding at the underpass, message_zh: 下穿通道积水 }
`;
const SECRETS = { REACH_DINGTALK_SECRET: 'SEC-dingtalk-test', REACH_FEISHU_SECRET: 'feishu-test-secret', REACH_SMS_SECRET: 'sms-gateway-secret' };
const WEBHOOKS = `
- { id: dingtalk, url: "http://127.0.0.1:PORT/dingtalk?access_token=tok", format: dingtalk, secret_env: REACH_DINGTALK_SECRET }
- { id: wecom, url: "http://127.0.0.1:PORT/wecom?key=k1", format: wecom }
- { id: wecom-text, url: "http://127.0.0.1:PORT/wecom-text?key=k2", format: wecom, msgtype: text }
- { id: feishu, url: "http://127.0.0.1:PORT/feishu", format: feishu, secret_env: REACH_FEISHU_SECRET }
- { id: sms, url: "http://127.0.0.1:PORT/sms", format: sms, secret_env: REACH_SMS_SECRET, template: SMS_271234567, max_recipients: 3 }
`;

interface Delivery { path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string; json: Record<string, unknown> }

const city = tempDir('citygrid-city-');
const data = tempDir();
const demo = loadCity(DEMO_CITY);
const A = demo.devicesById.get('wl-0001')!;
const person = (username: string) => demo.people.find((p) => p.username === username)!;
const worker = person(`gw-${A.grid}`);
const supervisor = demo.people.find((p) => p.districts?.includes(A.district))!;
const operator = person('operator');
const c = (p: { contacts?: Contacts | undefined }) => p.contacts!;
const received: Delivery[] = [];
const logs: string[] = [];
let receiver: Server;
let system: Awaited<ReturnType<typeof startTestSystem>>;
let device: MqttClient;

beforeAll(async () => {
  // the demo people this test calls must have every handle
  for (const p of [worker, supervisor, operator]) expect(Object.keys(p.contacts ?? {}).sort()).toEqual(['dingtalk', 'feishu', 'mobile', 'wecom']);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      received.push({ path: url.pathname, query: url.searchParams, headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok","code":0}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  cpSync(DEMO_CITY, city.path, { recursive: true });
  writeFileSync(join(city.path, 'rules.yaml'), RULES);
  writeFileSync(join(city.path, 'webhooks.yaml'), WEBHOOKS.replaceAll('PORT', String((receiver.address() as { port: number }).port)));
  // red escalates after 3 s without an acknowledgement (the demo's 5 min, shortened)
  const people = readFileSync(join(city.path, 'people.yaml'), 'utf8').replace(/red: \d+m/, 'red: 3s');
  writeFileSync(join(city.path, 'people.yaml'), people);
  Object.assign(process.env, SECRETS);
  const logger = createLogger('debug', 'json', { write: (line: string) => { logs.push(line); } });
  system = await startTestSystem({ CITY_DIR: city.path, DATA_DIR: data.path }, logger);
  device = await connectDevice(`mqtt://127.0.0.1:${system.mqttPort}`, A.id);
  await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 36 } }));
  await new Promise((r) => setTimeout(r, 1100));
  await publish(device, `city/v1/devices/${A.id}/telemetry`, JSON.stringify({ metrics: { level_cm: 37 } }));
});

afterAll(async () => {
  await end(device);
  await system?.stop();
  await new Promise((r) => receiver?.close(r));
  for (const name of Object.keys(SECRETS)) delete process.env[name];
  city.remove();
  data.remove();
});

/** What one receiver got for the alert's firing and its two escalations (other transitions go to the chats too). */
async function steps(path: string): Promise<{ firing: Delivery; level1: Delivery; level2: Delivery }> {
  return waitFor(() => {
    const mine = received.filter((d) => d.path === path);
    if (path === '/sms') {
      const event = (d: Delivery) => (d.json.params as { event: string }).event;
      const [level1, level2] = mine.filter((d) => event(d) === 'escalated');
      const firing = mine.find((d) => event(d) === 'firing');
      return firing && level1 && level2 ? { firing, level1, level2 } : null;
    }
    // the robot formats say the event and the escalation level in their fields (Chinese by default)
    const find = (...words: string[]) => mine.find((d) => words.every((w) => d.body.includes(w)));
    const firing = find('事件: 触发');
    const level1 = find('事件: 已升级', '升级级别: 1');
    const level2 = find('事件: 已升级', '升级级别: 2');
    return firing && level1 && level2 ? { firing, level1, level2 } : null;
  }, `the firing and both escalations at ${path}`, 30_000);
}

// Each vendor's scheme, written from its documentation and not from webhook-signing.ts:
const dingtalkSign = (secret: string, ts: string) => createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
const feishuSign = (secret: string, ts: string) => createHmac('sha256', `${ts}\n${secret}`).update(Buffer.alloc(0)).digest('base64');
const cityGridSign = (secret: string, ts: string, body: string) => `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;

describe('a red alert nobody acknowledges', () => {
  it('DingTalk (加签 in the URL): at the grid worker, then the supervisor, then the control room, each @-named in the text', async () => {
    const { firing, level1, level2 } = await steps('/dingtalk');
    for (const d of [firing, level1, level2]) {
      expect(d.query.get('access_token')).toBe('tok');
      const ts = d.query.get('timestamp')!;
      expect(Math.abs(Date.now() - Number(ts))).toBeLessThan(60 * 60_000);
      expect(d.query.get('sign')).toBe(dingtalkSign(SECRETS.REACH_DINGTALK_SECRET, ts));
    }
    const at = (d: Delivery) => d.json.at as { atUserIds: string[]; atMobiles: string[]; isAtAll: boolean };
    const text = (d: Delivery) => (d.json.markdown as { text: string }).text;
    expect(at(firing)).toEqual({ atUserIds: [c(worker).dingtalk], atMobiles: [], isAtAll: false });
    expect(text(firing)).toContain(`@${c(worker).dingtalk}`);
    expect(text(firing)).toContain('红色预警（I级）');
    expect(at(level1).atUserIds).toEqual([c(supervisor).dingtalk]);
    expect(text(level1)).toContain(`@${c(supervisor).dingtalk}`);
    expect(text(level1)).not.toContain(c(worker).dingtalk!);
    expect(at(level2).atUserIds).toContain(c(operator).dingtalk);
  });

  it('WeCom (key in the URL, no signature): <@userid> in markdown; mentioned_list with msgtype text', async () => {
    const { firing, level1 } = await steps('/wecom');
    expect(firing.query.get('key')).toBe('k1');
    expect(Object.keys(firing.headers).filter((h) => /sign|timestamp/i.test(h))).toEqual([]);
    const content = (d: Delivery) => (d.json.markdown as { content: string }).content;
    expect(content(firing)).toContain(`<@${c(worker).wecom}>`);
    expect(content(level1)).toContain(`<@${c(supervisor).wecom}>`);
    expect(content(level1)).not.toContain(c(worker).wecom!);
    const { firing: textFiring, level1: textLevel1 } = await steps('/wecom-text');
    expect(textFiring.json).toMatchObject({ msgtype: 'text', text: { mentioned_list: [c(worker).wecom] } });
    expect(textLevel1.json).toMatchObject({ msgtype: 'text', text: { mentioned_list: [c(supervisor).wecom] } });
  });

  it('Feishu (签名校验 in the body): <at id=…> of the grid worker, then of the supervisor', async () => {
    const { firing, level1 } = await steps('/feishu');
    for (const d of [firing, level1]) {
      const ts = d.json.timestamp as string;
      expect(ts).toMatch(/^\d{10}$/);
      expect(d.json.sign).toBe(feishuSign(SECRETS.REACH_FEISHU_SECRET, ts));
    }
    const first = (d: Delivery) => JSON.stringify((d.json.card as { elements: unknown[] }).elements[0]);
    expect(first(firing)).toContain(`<at id=${c(worker).feishu}></at>`);
    expect(first(level1)).toContain(`<at id=${c(supervisor).feishu}></at>`);
    expect(first(level1)).not.toContain(c(worker).feishu!);
  });

  it('the SMS gateway: signed like generic, to the mobiles of the same people, with the template and a Chinese text', async () => {
    const { firing, level1, level2 } = await steps('/sms');
    for (const d of [firing, level1, level2]) {
      const ts = String(d.headers['x-citygrid-timestamp']);
      expect(d.headers['x-citygrid-signature']).toBe(cityGridSign(SECRETS.REACH_SMS_SECRET, ts, d.body));
      expect(d.json.template).toBe('SMS_271234567');
      expect((d.json.to as string[]).length).toBeLessThanOrEqual(3);
    }
    expect(firing.json.to).toEqual([c(worker).mobile]);
    expect(firing.json.params).toMatchObject({ colour: 'red', level: 'I', title: '下穿通道积水', event: 'firing' });
    expect((firing.json.params as { detail: string }).detail).toMatch(/^水位 3\d\.\d cm，高于 30 cm/);
    expect(firing.json.text).toMatch(/^【CityGrid】红色预警（I级）下穿通道积水。地点：.+。请于\d\d:\d\d前确认。$/);
    expect(level1.json.to).toEqual([c(supervisor).mobile]);
    expect(level1.json.text).toContain('升级');
    expect(level2.json.to).toContain(c(operator).mobile);
  });

  it('never writes a handle to the log', async () => {
    await steps('/sms');
    const text = logs.join('');
    expect(text).toContain('alert webhooks configured'); // the log was captured
    for (const p of [worker, supervisor, operator]) for (const handle of Object.values(c(p))) expect(text).not.toContain(handle);
  });
});
