// Proves each webhook format has its receiver's shape, says colour, state, cell, guidance and time in Chinese by default, and that rule or user text cannot break titles, add links or inject tags.
import { describe, expect, it } from 'vitest';
import type { Alert, AlertSocketEvent } from '@citygrid/contract';
import { dingtalkBody, feishuBody, formatWebhookBody, genericBody, markdownText, plainLine, shanghaiTime, wecomBody } from './webhook-formats.js';

// 2026-11-28 06:03 UTC = 14:03 in Shanghai
const STARTED = Date.UTC(2026, 10, 28, 6, 3, 0);

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'a-42', rule: 'underpass-flooding', ruleKind: 'threshold', severity: 'red', key: 'wl-7',
    devices: ['wl-7'], grid: 'jh-012', district: 'jianghan', message: '下穿通道积水 35 cm',
    guidance: '封闭下穿通道，通知排水队', values: { level_cm: 35.123456 }, state: 'firing',
    startedAt: STARTED, updatedAt: STARTED, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null,
    escalation: 0, assignees: [], ackDeadline: STARTED + 600_000, suppressed: false, ...over,
  };
}
function event(over: Partial<Alert> = {}, extra: Partial<AlertSocketEvent> = {}): AlertSocketEvent {
  return { event: 'firing', actor: 'system', note: null, alert: alert(over), ...extra };
}

describe('generic', () => {
  it('wraps the alert as-is in a versioned envelope', () => {
    const e = event({}, { event: 'acknowledged', actor: 'wang', note: '已到场' });
    expect(genericBody(e)).toEqual({ version: 1, event: 'acknowledged', actor: 'wang', note: '已到场', alert: e.alert });
    expect(formatWebhookBody('generic', e)).toEqual(genericBody(e));
  });
});

describe('dingtalk', () => {
  it('is a markdown message in Chinese with colour, level, state, cell, district, guidance, time and escalation', () => {
    const body = dingtalkBody(event());
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toContain('红色预警');
    const text = body.markdown.text;
    expect(text).toContain('红色预警（I级）');
    expect(text).toContain('告警中');
    expect(text).toContain('下穿通道积水 35 cm');
    expect(text).toContain('jh-012');
    expect(text).toContain('jianghan');
    expect(text).toContain('处置建议: 封闭下穿通道，通知排水队');
    expect(text).toContain('2026-11-28 14:03');
    expect(text).toContain('升级级别: 0');
    expect(text).toContain('level_cm=35.123');
    expect(text).not.toContain('/#/alerts/');
  });

  it.each([
    ['orange', '橙色预警（II级）'],
    ['yellow', '黄色预警（III级）'],
    ['blue', '蓝色预警（IV级）'],
  ] as const)('names %s as %s', (severity, words) => {
    expect(dingtalkBody(event({ severity })).markdown.text).toContain(words);
  });

  it('names each state', () => {
    expect(dingtalkBody(event({ state: 'pending' })).markdown.text).toContain('待确认');
    expect(dingtalkBody(event({ state: 'acknowledged' })).markdown.text).toContain('已确认');
    expect(dingtalkBody(event({ state: 'resolved' })).markdown.text).toContain('已解除');
  });

  it('links to the dashboard when a URL is given, and shows who must act, who acted and their note', () => {
    const e = event({ assignees: ['wang', 'li'] }, { event: 'acknowledged', actor: 'wang', note: '已到场处置' });
    const text = dingtalkBody(e, { dashboardUrl: 'https://grid.example.cn/' }).markdown.text;
    expect(text).toContain('(https://grid.example.cn/#/alerts/a-42)');
    expect(text).toContain('责任人: wang, li');
    expect(text).toContain('操作人: wang');
    expect(text).toContain('备注: 已到场处置');
  });

  it('speaks English when asked', () => {
    const text = dingtalkBody(event({ severity: 'yellow' }), { locale: 'en' }).markdown.text;
    expect(text).toContain('Yellow warning (level III)');
    expect(text).toContain('Guidance: ');
  });
});

describe('alert texts in the body\'s language', () => {
  const text: NonNullable<Alert['text']> = {
    title: { en: 'Level above 25', 'zh-CN': '水位高于 25' },
    detail: { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 25, hold_ms: 60_000 } },
    guidance: { en: 'Check the place and report what you find.', 'zh-CN': '请到现场查看，并报告发现的情况。' },
  };
  const structured = () => event({ message: 'Level above 25: level_cm 36.0 cm, above 25 cm for 1 min', guidance: text.guidance.en, text }, { note: 'level_cm 36.0 cm, above 25 cm for 1 min' });

  it('renders the message and guidance from the key and parameters in Chinese, with the numbers, in every robot format', () => {
    const ding = dingtalkBody(structured());
    expect(ding.markdown.text).toContain('**水位高于 25：水位 36.0 cm，高于 25 cm，已持续 1 分钟**');
    expect(ding.markdown.text).toContain('处置建议: 请到现场查看，并报告发现的情况。');
    expect(ding.markdown.title).toContain('水位高于 25');
    expect(ding.markdown.text).not.toContain('above'); // nor the system's English note
    expect(dingtalkBody(structured(), { locale: 'en' }).markdown.text).toContain('Note: level_cm 36.0 cm');
    expect(wecomBody(structured()).markdown.content).toContain('水位 36.0 cm，高于 25 cm');
    expect(JSON.stringify(feishuBody(structured()))).toContain('水位 36.0 cm，高于 25 cm');
  });

  it('renders them in English for a target that asks for it', () => {
    const text = dingtalkBody(structured(), { locale: 'en' }).markdown.text;
    expect(text).toContain('Level above 25: level_cm 36.0 cm, above 25 cm for 1 min');
    expect(text).toContain('Guidance: Check the place and report what you find.');
  });

  it('sends an alert recorded before texts had keys (no text) with its own message and guidance', () => {
    const old = JSON.parse(JSON.stringify(alert())) as Alert;
    expect(old.text).toBeUndefined();
    const body = dingtalkBody({ event: 'firing', actor: 'system', note: null, alert: old }).markdown.text;
    expect(body).toContain('**下穿通道积水 35 cm**');
    expect(body).toContain('处置建议: 封闭下穿通道，通知排水队');
  });
});

describe('wecom', () => {
  it('is a markdown message with a WeCom font colour for the severity', () => {
    const body = wecomBody(event());
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('<font color="warning">红色预警（I级）');
    expect(body.markdown.content).toContain('处置建议: 封闭下穿通道');
    expect(wecomBody(event({ severity: 'blue' })).markdown.content).toContain('<font color="info">');
  });
});

describe('feishu', () => {
  it('is an interactive card whose header template is the warning colour', () => {
    for (const severity of ['red', 'orange', 'yellow', 'blue'] as const) {
      const body = feishuBody(event({ severity }));
      expect(body.msg_type).toBe('interactive');
      expect(body.card.header.template).toBe(severity);
      expect(body.card.header.title.tag).toBe('plain_text');
    }
    const body = feishuBody(event(), { dashboardUrl: 'https://grid.example.cn' });
    expect(body.card.header.title.content).toContain('红色预警');
    const divs = body.card.elements.flatMap((e) => (e.tag === 'div' ? [e.text.content] : []));
    expect(divs.join('\n')).toContain('处置建议: 封闭下穿通道');
    const action = body.card.elements.find((e) => e.tag === 'action');
    expect(action).toMatchObject({ actions: [{ url: 'https://grid.example.cn/#/alerts/a-42' }] });
  });
});

describe('injection', () => {
  const hostile = '积水\n# 已解除\n**ok** [点我](http://evil.example) <font color="info">x</font> <at id=all></at>';
  const e = event({ message: hostile, guidance: 'a\r\n- 无需处理\u2028b' }, { note: 'n\n> quote' });

  it('keeps every title on one line', () => {
    for (const title of [dingtalkBody(e).markdown.title, feishuBody(e).card.header.title.content]) {
      expect(title).not.toMatch(/[\r\n\u2028\u2029]/);
      expect(title.startsWith('红色预警')).toBe(true);
    }
  });

  it('leaves no new lines, links or tags from user text in any robot format', () => {
    const bodies = [dingtalkBody(e).markdown.text, wecomBody(e).markdown.content, feishuBody(e).card.elements.map((x) => JSON.stringify(x)).join('')];
    for (const text of bodies) {
      expect(text).not.toContain('\n# 已解除');
      expect(text).not.toContain('](http://evil');
      expect(text).not.toContain('<at');
      expect(text).not.toContain('<font color="info">x');
      expect(text).not.toContain('\n- 无需处理');
      expect(text).not.toContain('\n> quote');
    }
    expect(wecomBody(e).markdown.content.match(/<font/g)).toHaveLength(1); // only ours
  });

  it('escapes emphasis so a message cannot close our bold', () => {
    expect(markdownText('a**b`c~d')).toBe('a\\*\\*b\\`c\\~d');
    expect(plainLine('x\ty\n\nz')).toBe('x y z');
    expect(plainLine('x'.repeat(50), 10)).toHaveLength(10);
  });
});

describe('shanghaiTime', () => {
  it('formats epoch ms in UTC+8', () => {
    expect(shanghaiTime(STARTED)).toBe('2026-11-28 14:03');
    expect(shanghaiTime(Date.UTC(2026, 11, 31, 16, 30))).toBe('2027-01-01 00:30');
  });
});
