// The generic SMS / voice-gateway body (`format: sms`): the assignees' mobiles, the provider's template id
// with its parameters as flat strings, and the short message itself in the target's language, for the
// gateways that send text as given. Signed like `generic` (webhook-signing.ts). Pure.
import { alertDetail, alertHeadline, SEVERITY_LEVEL, SEVERITY_NAME, type Alert, type AlertEventType, type AlertSocketEvent, type Locale } from '@citygrid/contract';
import { mobilesOf, reachOf, type ContactsLookup } from './mentions.js';
import { plainLine, shanghaiTime } from './plain-text.js';

/** What a target of `format: sms` adds to its entry in webhooks.yaml. */
export interface SmsOptions {
  /** The provider's template id (e.g. SMS_123456789 or a voice template). */
  template: string;
  /** Never more recipients than this in one request. */
  maxRecipients: number;
}

export const DEFAULT_SMS_MAX_RECIPIENTS = 10;
/** The most a target may ask for: gateways cap a batch (Aliyun 1000, Tencent 200); we stay below all. */
export const SMS_MAX_RECIPIENTS_LIMIT = 100;

export interface SmsParams {
  event: AlertEventType;
  alert_id: string;
  colour: Alert['severity'];
  colour_name: string;
  level: string;
  /** The rule's title ("下穿通道积水"). */
  title: string;
  /** What was measured ("水位 37.0 cm，高于 30 cm"), when the alert has it apart from its title. */
  detail?: string;
  cell: string;
  district: string;
  /** HH:MM (Asia/Shanghai) by which to acknowledge, or to have handled it once acknowledged. */
  deadline: string;
  link?: string;
}

export interface SmsBody {
  version: 1;
  to: string[];
  template: string;
  locale: Locale;
  params: SmsParams;
  text: string;
}

export interface PlaceNames { cell: string; district: string }

export interface SmsFormatInput {
  sms: SmsOptions;
  locale: Locale;
  contactsOf?: ContactsLookup | undefined;
  placeNames?: ((alert: Alert, locale: Locale) => PlaceNames) | undefined;
  link: string | null;
}

const MAX_TITLE = 30;

/** `14:03` in Asia/Shanghai. */
export function shanghaiClock(epochMs: number): string {
  return shanghaiTime(epochMs).slice(11) || '--:--';
}

/** The deadline that matters now: to acknowledge while it waits, to handle once it is acknowledged. */
function deadlineOf(alert: Alert): number {
  const acting = alert.state === 'acknowledged' || alert.state === 'handled';
  return acting && typeof alert.resolveDeadline === 'number' ? alert.resolveDeadline : alert.ackDeadline;
}

const TEXT: Record<Locale, (p: SmsParams, escalated: boolean, acting: boolean) => string> = {
  'zh-CN': (p, escalated, acting) =>
    `【CityGrid】${escalated ? '升级：' : ''}${p.colour_name}预警（${p.level}级）${p.title}。地点：${p.cell}（${p.district}）。请于${p.deadline}前${acting ? '处置' : '确认'}。`,
  en: (p, escalated, acting) =>
    `[CityGrid] ${escalated ? 'Escalated: ' : ''}${p.colour_name} warning (level ${p.level}): ${p.title}. Where: ${p.cell} (${p.district}). ${acting ? 'Handle' : 'Acknowledge'} by ${p.deadline}.`,
};

/** The body, or null when no assignee has a mobile (nothing to send). */
export function smsBody(event: AlertSocketEvent, input: SmsFormatInput): SmsBody | null {
  const to = mobilesOf(reachOf(event, input.contactsOf), input.sms.maxRecipients);
  if (to.length === 0) return null;
  const { alert } = event;
  const locale = input.locale;
  const places = input.placeNames?.(alert, locale) ?? { cell: alert.grid, district: alert.district };
  const params: SmsParams = {
    event: event.event,
    alert_id: alert.id,
    colour: alert.severity,
    colour_name: SEVERITY_NAME[locale][alert.severity],
    level: SEVERITY_LEVEL[alert.severity],
    title: plainLine(alertHeadline(alert, locale) || alert.rule, MAX_TITLE),
    cell: plainLine(places.cell, 40),
    district: plainLine(places.district, 40),
    deadline: shanghaiClock(deadlineOf(alert)),
    ...(input.link ? { link: input.link } : {}),
  };
  const detail = alertDetail(alert, locale);
  if (detail) params.detail = plainLine(detail, 60);
  const acting = alert.state === 'acknowledged' || alert.state === 'handled';
  return { version: 1, to, template: input.sms.template, locale, params, text: TEXT[locale](params, event.event === 'escalated', acting) };
}
