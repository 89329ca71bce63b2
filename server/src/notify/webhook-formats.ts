// Request bodies for outgoing alert webhooks: a generic JSON envelope and the DingTalk (钉钉),
// WeCom (企业微信) and Feishu (飞书) group-robot message shapes. Pure: no I/O, no clock, no signing
// (the sender adds signatures). Text from rules and people (message, guidance, note) is neutralised
// so it cannot break the markdown, add links or HTML-like tags, or start a new line in a title.
// The robot formats mention the alert's assignees who have contact handles (mentions.ts); `sms` is the
// SMS/voice-gateway body (sms-format.ts).
import { alertGuidance, alertMessage, SEVERITIES, SEVERITY_LEVEL, SEVERITY_NAME, type Alert, type AlertEventType, type AlertSocketEvent, type AlertState, type EscalationLevel, type Locale, type Severity } from '@citygrid/contract';
import { dingtalkMentions, feishuMentions, reachOf, wecomMentions, type ContactsLookup } from './mentions.js';
import { MAX_TEXT, plainLine, shanghaiTime } from './plain-text.js';
import { smsBody, type PlaceNames, type SmsBody, type SmsOptions } from './sms-format.js';

export { plainLine, shanghaiTime } from './plain-text.js';

export const WEBHOOK_FORMATS = ['generic', 'dingtalk', 'wecom', 'feishu', 'sms'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
export type WebhookLocale = Locale;

export interface FormatOptions {
  /** Base URL of the dashboard; alerts link to `${dashboardUrl}/#/alerts/${id}`. */
  dashboardUrl?: string;
  /** The language of the whole body, the alert's message and guidance included (from the contract's
   *  catalogue; an alert recorded before it had one keeps its own words). Defaults to zh-CN. */
  locale?: WebhookLocale | undefined;
  /** People's contact handles by username (people.yaml): the robot formats mention the assignees, `sms` texts them. */
  contactsOf?: ContactsLookup | undefined;
  /** The cell's and district's names in a language (the city's grid); their ids when not given. */
  placeNames?: ((alert: Alert, locale: Locale) => PlaceNames) | undefined;
  /** WeCom: `markdown` (default; mentions by `<@userid>`) or `text` (mentioned_list and mentioned_mobile_list). */
  wecomMsgtype?: 'markdown' | 'text' | undefined;
  /** `format: sms` only: the target's template and recipient cap. */
  sms?: SmsOptions | undefined;
}

export interface GenericBody {
  version: 1;
  event: AlertEventType;
  actor: string;
  note: string | null;
  alert: Alert;
}
export interface DingTalkBody {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  /** Present when an assignee has a DingTalk userId or a mobile; each also stands as `@<it>` in the text. */
  at?: { atUserIds: string[]; atMobiles: string[]; isAtAll: false };
}
export interface WeComBody {
  msgtype: 'markdown';
  markdown: { content: string };
}
/** A target with `msgtype: text`: plain text that can mention by mobile too. */
export interface WeComTextBody {
  msgtype: 'text';
  text: { content: string; mentioned_list?: string[]; mentioned_mobile_list?: string[] };
}
export type FeishuElement =
  | { tag: 'div'; text: { tag: 'lark_md'; content: string } }
  | { tag: 'hr' }
  | { tag: 'action'; actions: { tag: 'button'; text: { tag: 'plain_text'; content: string }; type: 'primary'; url: string }[] };
export interface FeishuBody {
  msg_type: 'interactive';
  card: {
    header: { title: { tag: 'plain_text'; content: string }; template: Severity };
    elements: FeishuElement[];
  };
}
export type WebhookBody = GenericBody | DingTalkBody | WeComBody | WeComTextBody | FeishuBody | SmsBody;


interface Labels {
  locale: Locale;
  colour: Record<Severity, string>;
  level: (roman: string) => string;
  state: Record<AlertState, string>;
  /** Partial so a new event type in contract/ falls back to its own name instead of breaking the build. */
  event: Partial<Record<AlertEventType, string>>;
  escalation: Record<EscalationLevel, string>;
  fields: { event: string; grid: string; district: string; assignees: string; guidance: string; started: string; escalation: string; actor: string; note: string; values: string; id: string };
  link: string;
  sep: string;
}

/** Each colour's warning, from the contract's colour names. */
function colours(warning: (name: string) => string, locale: 'zh-CN' | 'en'): Record<Severity, string> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, warning(SEVERITY_NAME[locale][s])])) as Record<Severity, string>;
}

const ZH: Labels = {
  locale: 'zh-CN',
  colour: colours((name) => `${name}预警`, 'zh-CN'),
  level: (roman) => `（${roman}级）`,
  state: { pending: '待确认', firing: '告警中', acknowledged: '已确认', handled: '已处置，待核查', resolved: '已解除' },
  event: {
    pending: '待触发', firing: '触发', updated: '更新', acknowledged: '已确认', resolved: '已解除',
    escalated: '已升级', suppressed: '维护中，暂停通知', unsuppressed: '恢复通知', grouped: '已归并', reopened: '重新打开',
    dispatched: '已派遣', handled: '已处置，待核查', verified: '已核查结案', sent_back: '已退回',
  },
  escalation: { 0: '网格员', 1: '区主管', 2: '指挥中心' },
  fields: { event: '事件', grid: '网格', district: '区', assignees: '责任人', guidance: '处置建议', started: '开始时间', escalation: '升级级别', actor: '操作人', note: '备注', values: '数值', id: '告警编号' },
  link: '查看告警',
  sep: ': ',
};

const EN: Labels = {
  locale: 'en',
  colour: colours((name) => `${name} warning`, 'en'),
  level: (roman) => ` (level ${roman})`,
  state: { pending: 'pending', firing: 'firing', acknowledged: 'acknowledged', handled: 'handled, awaiting verification', resolved: 'resolved' },
  event: {
    pending: 'pending', firing: 'fired', updated: 'updated', acknowledged: 'acknowledged', resolved: 'resolved',
    escalated: 'escalated', suppressed: 'under maintenance, not notified', unsuppressed: 'notifications resumed', grouped: 'grouped', reopened: 'reopened',
    dispatched: 'dispatched', handled: 'handled, awaiting verification', verified: 'verified and closed', sent_back: 'sent back',
  },
  escalation: { 0: 'grid workers', 1: 'district supervisor', 2: 'control room' },
  fields: { event: 'Event', grid: 'Grid cell', district: 'District', assignees: 'Assigned to', guidance: 'Guidance', started: 'Started', escalation: 'Escalation', actor: 'By', note: 'Note', values: 'Values', id: 'Alert id' },
  link: 'Open alert',
  sep: ': ',
};

/** WeCom markdown knows only three font colours: warning (orange-red), comment (grey), info (green). */
const WECOM_COLOUR: Record<Severity, 'warning' | 'comment' | 'info'> = { red: 'warning', orange: 'warning', yellow: 'comment', blue: 'info' };
const EMOJI: Record<Severity, string> = { red: '🔴', orange: '🟠', yellow: '🟡', blue: '🔵' };

const MAX_TITLE = 80;

/**
 * Plain text that is safe inside one line of robot markdown (DingTalk, WeCom, Feishu lark_md):
 * one line (no headings, lists or quotes can start), `<` `>` `[` `]` become full-width look-alikes
 * (no `<font>`/`<at>` tags, no links in any of the three renderers), and the characters that open or
 * close bold, strike-through and code are backslash-escaped. `#`, `|` and `-` only matter at the start
 * of a line, where user text never stands.
 */
export function markdownText(input: string, max = MAX_TEXT): string {
  return plainLine(input, max)
    .replace(/</g, '＜')
    .replace(/>/g, '＞')
    .replace(/\[/g, '［')
    .replace(/\]/g, '］')
    .replace(/([\\*~`])/g, '\\$1');
}

export function alertLink(dashboardUrl: string | undefined, alertId: string): string | null {
  if (!dashboardUrl) return null;
  const id = encodeURIComponent(alertId).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `${dashboardUrl.replace(/\/+$/, '')}/#/alerts/${id}`;
}

function labelsFor(options: FormatOptions): Labels {
  return options.locale === 'en' ? EN : ZH;
}

/** e.g. `红色预警（I级）· 告警中`: colour, level and state, no user text. */
function headline(alert: Alert, l: Labels): string {
  return `${l.colour[alert.severity]}${l.level(SEVERITY_LEVEL[alert.severity])} · ${l.state[alert.state]}`;
}

/** Short one-line title for notification previews and card headers. */
export function alertTitle(event: AlertSocketEvent, options: FormatOptions = {}): string {
  const l = labelsFor(options);
  const { alert } = event;
  return plainLine(`${headline(alert, l)} ${plainLine(alertMessage(alert, l.locale)) || alert.rule}`, MAX_TITLE);
}

function valuesLine(values: Alert['values']): string {
  return Object.entries(values)
    .slice(0, 8)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(3)) : String(v)}`)
    .join(', ');
}

/** The field lines shared by the robot formats, each already safe for its text (markdown by default). */
function fieldLines(event: AlertSocketEvent, l: Labels, esc: (text: string, max?: number) => string = markdownText): string[] {
  const { alert } = event;
  const f = l.fields;
  const lines = [
    `${f.event}${l.sep}${l.event[event.event] ?? esc(String(event.event), 40)}`,
    `${f.grid}${l.sep}${esc(alert.grid, 100)}　${f.district}${l.sep}${esc(alert.district, 100)}`,
  ];
  const assignees = alert.assignees ?? []; // absent in alerts recorded before assignees existed
  if (assignees.length > 0) lines.push(`${f.assignees}${l.sep}${esc(assignees.slice(0, 10).join(', '), 200)}`);
  const guidance = alertGuidance(alert, l.locale);
  if (guidance.trim() !== '') lines.push(`${f.guidance}${l.sep}${esc(guidance)}`);
  lines.push(`${f.started}${l.sep}${shanghaiTime(alert.startedAt)}`);
  lines.push(`${f.escalation}${l.sep}${alert.escalation} · ${l.escalation[alert.escalation]}`);
  const values = valuesLine(alert.values);
  if (values !== '') lines.push(`${f.values}${l.sep}${esc(values, 300)}`);
  if (event.actor !== 'system') lines.push(`${f.actor}${l.sep}${esc(event.actor, 100)}`);
  // the system's notes are English prose (the alert's history); a Chinese body leaves them out when the
  // alert's own words say it in Chinese. People's notes are always sent.
  const englishOnly = event.actor === 'system' && l.locale !== 'en' && alert.text !== undefined;
  if (event.note && !englishOnly) lines.push(`${f.note}${l.sep}${esc(event.note, 500)}`);
  lines.push(`${f.id}${l.sep}${esc(alert.id, 100)}`);
  return lines;
}

function messageLine(alert: Alert, l: Labels): string {
  return markdownText(alertMessage(alert, l.locale)) || markdownText(alert.rule);
}

export function genericBody(event: AlertSocketEvent): GenericBody {
  return { version: 1, event: event.event, actor: event.actor, note: event.note, alert: event.alert };
}

export function dingtalkBody(event: AlertSocketEvent, options: FormatOptions = {}): DingTalkBody {
  const l = labelsFor(options);
  const { alert } = event;
  const link = alertLink(options.dashboardUrl, alert.id);
  const parts = [`#### ${EMOJI[alert.severity]} ${headline(alert, l)}`, `**${messageLine(alert, l)}**`, ...fieldLines(event, l).map((s) => `- ${s}`)];
  if (link) parts.push(`[${l.link}](${link})`);
  // DingTalk notifies only the people whose `@<userId or mobile>` also stands in a markdown text.
  const at = dingtalkMentions(reachOf(event, options.contactsOf));
  if (at.text) parts.splice(1, 0, at.text);
  // DingTalk markdown needs a blank line between blocks to break lines.
  const body: DingTalkBody = { msgtype: 'markdown', markdown: { title: alertTitle(event, options), text: parts.join('\n\n') } };
  if (at.text) body.at = { atUserIds: at.atUserIds, atMobiles: at.atMobiles, isAtAll: false };
  return body;
}

/** WeCom text messages: at most 2048 bytes of UTF-8. */
const WECOM_TEXT_BYTES = 2048;

function wecomTextBody(event: AlertSocketEvent, options: FormatOptions): WeComTextBody {
  const l = labelsFor(options);
  const { alert } = event;
  const link = alertLink(options.dashboardUrl, alert.id);
  const lines = [`${EMOJI[alert.severity]} ${headline(alert, l)}`, plainLine(alertMessage(alert, l.locale)) || alert.rule, ...fieldLines(event, l, plainLine)];
  if (link) lines.push(`${l.link}: ${link}`);
  let content = lines.join('\n');
  while (Buffer.byteLength(content) > WECOM_TEXT_BYTES) content = `${content.slice(0, -50)}…`;
  const { userIds, mobiles } = wecomMentions(reachOf(event, options.contactsOf));
  return {
    msgtype: 'text',
    text: { content, ...(userIds.length ? { mentioned_list: userIds } : {}), ...(mobiles.length ? { mentioned_mobile_list: mobiles } : {}) },
  };
}

export function wecomBody(event: AlertSocketEvent, options?: FormatOptions & { wecomMsgtype?: 'markdown' | undefined }): WeComBody;
export function wecomBody(event: AlertSocketEvent, options: FormatOptions): WeComBody | WeComTextBody;
export function wecomBody(event: AlertSocketEvent, options: FormatOptions = {}): WeComBody | WeComTextBody {
  if (options.wecomMsgtype === 'text') return wecomTextBody(event, options);
  const l = labelsFor(options);
  const { alert } = event;
  const link = alertLink(options.dashboardUrl, alert.id);
  const parts = [
    `**<font color="${WECOM_COLOUR[alert.severity]}">${headline(alert, l)}</font>**`,
    `**${messageLine(alert, l)}**`,
    ...fieldLines(event, l).map((s) => `> ${s}`),
  ];
  if (link) parts.push(`[${l.link}](${link})`);
  // markdown messages mention by `<@userid>` only (mentioned_mobile_list is for text messages)
  const { userIds } = wecomMentions(reachOf(event, options.contactsOf));
  if (userIds.length) parts.splice(1, 0, userIds.map((id) => `<@${id}>`).join(' '));
  return { msgtype: 'markdown', markdown: { content: parts.join('\n') } };
}

export function feishuBody(event: AlertSocketEvent, options: FormatOptions = {}): FeishuBody {
  const l = labelsFor(options);
  const { alert } = event;
  const link = alertLink(options.dashboardUrl, alert.id);
  const elements: FeishuElement[] = [
    { tag: 'div', text: { tag: 'lark_md', content: `**${messageLine(alert, l)}**` } },
    { tag: 'div', text: { tag: 'lark_md', content: fieldLines(event, l).join('\n') } },
  ];
  // a card's lark_md mentions by `<at id=open_id or user_id></at>` (a text message's `<at user_id="…">` is not read in cards)
  const ids = feishuMentions(reachOf(event, options.contactsOf));
  if (ids.length) elements.unshift({ tag: 'div', text: { tag: 'lark_md', content: ids.map((id) => `<at id=${id}></at>`).join(' ') } });
  if (link) {
    elements.push({ tag: 'hr' });
    elements.push({ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: l.link }, type: 'primary', url: link }] });
  }
  return {
    msg_type: 'interactive',
    card: { header: { title: { tag: 'plain_text', content: alertTitle(event, options) }, template: alert.severity }, elements },
  };
}

/** The body to send; null when there is nobody to send it to (`sms` with no assignee's mobile). */
export function formatWebhookBody(format: WebhookFormat, event: AlertSocketEvent, options: FormatOptions = {}): WebhookBody | null {
  switch (format) {
    case 'generic':
      return genericBody(event);
    case 'dingtalk':
      return dingtalkBody(event, options);
    case 'wecom':
      return wecomBody(event, options);
    case 'feishu':
      return feishuBody(event, options);
    case 'sms':
      if (!options.sms) throw new Error('format sms needs its template and recipient cap');
      return smsBody(event, {
        sms: options.sms, locale: labelsFor(options).locale, contactsOf: options.contactsOf, placeNames: options.placeNames,
        link: alertLink(options.dashboardUrl, event.alert.id),
      });
  }
}
