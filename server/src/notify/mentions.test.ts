// Proves the robot formats call the alert's assignees by their handles the way each platform reads them
// (DingTalk `at` with `@id` in the text, WeCom `<@userid>` or mentioned_list / mentioned_mobile_list,
// Feishu `<at id=…>` in the card), only on transitions that ask someone to act; and that the SMS format
// texts the assignees' mobiles (capped), says it in the target's language, is signed like `generic`, and
// is not sent at all when nobody has a mobile.
import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Alert, AlertEventType, AlertSocketEvent, Contacts } from '@citygrid/contract';
import { dingtalkBody, feishuBody, formatWebhookBody, wecomBody, type WeComTextBody } from './webhook-formats.js';
import type { SmsBody } from './sms-format.js';
import { buildWebhookRequest } from './webhook-signing.js';
import { webhookTargetProblems, type WebhookTarget } from './webhook-targets.js';
import { MAX_MENTIONS } from './mentions.js';
import { WebhookSender } from './webhook-sender.js';

const STARTED = Date.UTC(2026, 10, 28, 6, 3, 0); // 14:03 in Shanghai
const PEOPLE: Record<string, Contacts> = {
  'gw-1': { dingtalk: 'dt-gw1', wecom: 'wc.gw1', feishu: 'ou_gw1', mobile: '13900000001' },
  'gw-2': { mobile: '+447700900002' }, // a mobile only
  'sup-1': { dingtalk: 'dt-sup1', wecom: 'wc.sup1', feishu: 'ou_sup1', mobile: '13900000009' },
};
const contactsOf = (u: string) => PEOPLE[u];

function event(type: AlertEventType, over: Partial<Alert> = {}): AlertSocketEvent {
  const alert: Alert = {
    id: 'a-7', rule: 'underpass-flooding', ruleKind: 'threshold', severity: 'red', key: 'wl-7', devices: ['wl-7'], grid: 'jh-012',
    district: 'jianghan', message: 'Underpass flooded', guidance: 'Close it', values: { level_cm: 35 }, state: 'firing',
    startedAt: STARTED, updatedAt: STARTED, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: ['gw-1', 'gw-2', 'nobody'], ackDeadline: STARTED + 5 * 60_000, suppressed: false, ...over,
  };
  return { event: type, actor: 'system', note: null, alert };
}
const escalated = () => event('escalated', { escalation: 1, assignees: ['sup-1'] });

describe('DingTalk: at.atUserIds / atMobiles, each also @-named in the markdown text', () => {
  it('calls the grid workers by userId, or by mobile when they have no userId', () => {
    const body = dingtalkBody(event('firing'), { contactsOf });
    expect(body.at).toEqual({ atUserIds: ['dt-gw1'], atMobiles: ['+447700900002'], isAtAll: false });
    expect(body.markdown.text).toContain('@dt-gw1 @+447700900002');
  });

  it('calls the supervisor after an escalation, and nobody when acknowledged', () => {
    expect(dingtalkBody(escalated(), { contactsOf }).at?.atUserIds).toEqual(['dt-sup1']);
    const acked = dingtalkBody(event('acknowledged', { state: 'acknowledged' }), { contactsOf });
    expect(acked.at).toBeUndefined();
    expect(acked.markdown.text).not.toContain('@dt-');
  });

  it('calls the person an alert was dispatched or sent back to', () => {
    expect(dingtalkBody(event('dispatched', { assignees: ['gw-2'] }), { contactsOf }).at?.atMobiles).toEqual(['+447700900002']);
    expect(dingtalkBody(event('sent_back', { state: 'acknowledged', assignees: ['gw-1'] }), { contactsOf }).at?.atUserIds).toEqual(['dt-gw1']);
  });

  it('is unchanged without a contacts lookup', () => {
    expect(dingtalkBody(event('firing'))).toEqual(dingtalkBody(event('firing'), { contactsOf: () => undefined }));
    expect(dingtalkBody(event('firing')).at).toBeUndefined();
  });

  it(`calls at most ${MAX_MENTIONS} people`, () => {
    const many = Array.from({ length: 30 }, (_, i) => `op-${i}`);
    const body = dingtalkBody(event('escalated', { escalation: 2, assignees: many }), { contactsOf: (u) => ({ dingtalk: `dt-${u}` }) });
    expect(body.at?.atUserIds).toHaveLength(MAX_MENTIONS);
  });
});

describe('WeCom', () => {
  it('markdown: <@userid> in the content (mentioned_mobile_list is not read in markdown)', () => {
    const body = wecomBody(event('firing'), { contactsOf });
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content.split('\n')[1]).toBe('<@wc.gw1>');
    expect(body).not.toHaveProperty('mentioned_mobile_list');
  });

  it('text (msgtype: text): mentioned_list and, for people without a userid, mentioned_mobile_list', () => {
    const body = wecomBody(event('firing'), { contactsOf, wecomMsgtype: 'text' }) as WeComTextBody;
    expect(body.msgtype).toBe('text');
    expect(body.text.mentioned_list).toEqual(['wc.gw1']);
    expect(body.text.mentioned_mobile_list).toEqual(['+447700900002']);
    expect(body.text.content).toContain('红色预警（I级）');
    expect(body.text.content).not.toMatch(/[*<>]/); // plain text: no markdown, no tags
    expect((wecomBody(escalated(), { contactsOf, wecomMsgtype: 'text' }) as WeComTextBody).text.mentioned_list).toEqual(['wc.sup1']);
  });

  it('text stays within WeCom\'s 2048 bytes', () => {
    const long = event('firing', { guidance: '很长的处置建议。'.repeat(400) });
    const body = wecomBody(long, { contactsOf, wecomMsgtype: 'text' }) as WeComTextBody;
    expect(Buffer.byteLength(body.text.content)).toBeLessThanOrEqual(2048);
  });
});

describe('Feishu card: <at id=…></at> in lark_md', () => {
  it('mentions the grid worker first, the supervisor after escalation', () => {
    const first = feishuBody(event('firing'), { contactsOf }).card.elements[0];
    expect(first).toEqual({ tag: 'div', text: { tag: 'lark_md', content: '<at id=ou_gw1></at>' } });
    expect(JSON.stringify(feishuBody(escalated(), { contactsOf }).card.elements[0])).toContain('<at id=ou_sup1></at>');
    expect(JSON.stringify(feishuBody(event('resolved', { state: 'resolved' }), { contactsOf }))).not.toContain('<at ');
  });
});

describe('sms', () => {
  const sms = { template: 'SMS_0001', maxRecipients: 10 };
  const placeNames = () => ({ cell: '江汉第12网格', district: '江汉区' });

  it('texts the assignees\' mobiles with the template, flat params and the message in Chinese', () => {
    const body = formatWebhookBody('sms', event('firing'), { contactsOf, sms, placeNames, dashboardUrl: 'https://cg.example' }) as SmsBody;
    expect(body.to).toEqual(['13900000001', '+447700900002']);
    expect(body.template).toBe('SMS_0001');
    expect(body.params).toEqual({
      event: 'firing', alert_id: 'a-7', colour: 'red', colour_name: '红色', level: 'I', title: 'Underpass flooded',
      cell: '江汉第12网格', district: '江汉区', deadline: '14:08', link: 'https://cg.example/#/alerts/a-7',
    });
    expect(body.text).toBe('【CityGrid】红色预警（I级）Underpass flooded。地点：江汉第12网格（江汉区）。请于14:08前确认。');
  });

  it('in English for a target with locale en, and says an escalation', () => {
    const body = formatWebhookBody('sms', escalated(), { contactsOf, sms, locale: 'en' }) as SmsBody;
    expect(body.to).toEqual(['13900000009']);
    expect(body.text).toBe('[CityGrid] Escalated: Red warning (level I): Underpass flooded. Where: jh-012 (jianghan). Acknowledge by 14:08.');
  });

  it('never more recipients than the cap; nothing at all when nobody has a mobile', () => {
    expect((formatWebhookBody('sms', event('firing'), { contactsOf, sms: { ...sms, maxRecipients: 1 } }) as SmsBody).to).toEqual(['13900000001']);
    expect(formatWebhookBody('sms', event('firing', { assignees: ['nobody'] }), { contactsOf, sms })).toBeNull();
    const target = { url: 'https://sms.example/send', format: 'sms' as const, secret: 's', template: 'T1' };
    expect(buildWebhookRequest(target, event('firing', { assignees: ['nobody'] }), 'd-1', STARTED, { contactsOf })).toBeNull();
  });

  it('is signed like generic: sha256=hex HMAC(secret, "<X-CityGrid-Timestamp>.<body>")', () => {
    const target = { url: 'https://sms.example/send', format: 'sms' as const, secret: 'sms-secret', template: 'T1', max_recipients: 5 };
    const req = buildWebhookRequest(target, event('firing'), 'd-9', 1_790_000_000_000, { contactsOf })!;
    expect(req.headers['X-CityGrid-Timestamp']).toBe('1790000000000');
    expect(req.headers['X-CityGrid-Delivery']).toBe('d-9');
    const expected = createHmac('sha256', 'sms-secret').update(`1790000000000.${req.body}`).digest('hex');
    expect(req.headers['X-CityGrid-Signature']).toBe(`sha256=${expected}`);
    expect((JSON.parse(req.body) as SmsBody).to).toEqual(['13900000001', '+447700900002']);
  });

  it('a target needs a secret and a template; max_recipients is 1-100; sms and wecom settings stay with their formats', () => {
    const base = { id: 'gw', url: 'https://sms.example/send', format: 'sms' } as WebhookTarget;
    const problems = webhookTargetProblems([base]);
    expect(problems.some((p) => p.includes('secret_env'))).toBe(true);
    expect(problems.some((p) => p.includes('template is required'))).toBe(true);
    expect(webhookTargetProblems([{ ...base, secret: 's', template: 'T1', max_recipients: 101 }])).toEqual(['webhook target "gw": max_recipients must be a whole number from 1 to 100']);
    expect(webhookTargetProblems([{ ...base, secret: 's', template: 'T1', max_recipients: 100 }])).toEqual([]);
    expect(webhookTargetProblems([{ id: 'r', url: 'https://x.example', format: 'dingtalk', template: 'T1', msgtype: 'text' }])).toHaveLength(2);
    expect(webhookTargetProblems([{ id: 'w', url: 'https://x.example', format: 'wecom', msgtype: 'text' }])).toEqual([]);
  });
});

describe('the sender and an SMS gateway', () => {
  it('queues a transition for the gateway only when an assignee has a mobile, and by default only those that ask to act', async () => {
    const sent: string[] = [];
    const fetch = (async (_url: string, init: { body: string }) => {
      sent.push(init.body);
      return new Response('{}', { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const sender = new WebhookSender({
      targets: [{ id: 'sms', url: 'https://sms.example/send', format: 'sms', secret: 's', template: 'T1' }],
      logger: pino({ level: 'silent' }), fetch, contactsOf,
    });
    sender.notify(event('firing', { assignees: ['nobody'] }));
    sender.notify(event('acknowledged', { state: 'acknowledged' }));
    sender.notify(escalated());
    await expect.poll(() => sender.stats().sent).toBe(1);
    await sender.close();
    expect(sender.stats()).toMatchObject({ sent: 1, failed: 0, dropped: 0 });
    expect((JSON.parse(sent[0]!) as SmsBody).to).toEqual(['13900000009']);
  });
});
