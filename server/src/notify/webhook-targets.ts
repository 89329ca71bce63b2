// Webhook targets: where alert transitions go, in which format, and which ones each target wants.
// Pure: the config-time check and the per-event filter.
import { ALERT_EVENT_TYPES, isLocale, LOCALES, SEVERITIES, type AlertEventType, type AlertSocketEvent, type Locale, type Severity } from '@citygrid/contract';
import { REACH_EVENTS } from './mentions.js';
import { SMS_MAX_RECIPIENTS_LIMIT } from './sms-format.js';
import { WEBHOOK_FORMATS, type WebhookFormat } from './webhook-formats.js';

export interface WebhookTarget {
  id: string;
  /** May carry a token (DingTalk access_token, WeCom key): never logged. */
  url: string;
  format: WebhookFormat;
  secret?: string;
  /** The language of the robot formats' text (labels, the alert's message and guidance): zh-CN (default) or en. */
  locale?: Locale;
  /** Each filter, when given, must be non-empty; omit it to mean "all". */
  severities?: Severity[];
  events?: AlertEventType[];
  /** Location filter: the alert's cell is in `grids` OR its district is in `districts`. */
  grids?: string[];
  districts?: string[];
  /** WeCom only: `markdown` (default; mentions by `<@userid>`) or `text` (mentioned_list, mentioned_mobile_list). */
  msgtype?: 'markdown' | 'text';
  /** sms only (required): the provider's template id. */
  template?: string;
  /** sms only: the most recipients in one request (default 10, at most 100). */
  max_recipients?: number;
}

export function targetMatches(target: WebhookTarget, event: AlertSocketEvent): boolean {
  const { alert } = event;
  if (target.severities && !target.severities.includes(alert.severity)) return false;
  // a gateway that texts people gets, unless told otherwise, only the transitions that ask them to act
  const events = target.events ?? (target.format === 'sms' ? REACH_EVENTS : undefined);
  if (events && !events.includes(event.event)) return false;
  if (!target.grids && !target.districts) return true;
  return (target.grids?.includes(alert.grid) ?? false) || (target.districts?.includes(alert.district) ?? false);
}

/**
 * Every problem in the target list at once (config-time check); empty when all is well. Takes
 * untyped input too (e.g. parsed YAML), so it checks types before values.
 */
export function webhookTargetProblems(targets: readonly WebhookTarget[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  if (!Array.isArray(targets)) return ['webhook targets must be a list'];
  targets.forEach((target: unknown, i) => {
    if (typeof target !== 'object' || target === null) {
      problems.push(`webhook target #${i + 1}: must be an object`);
      return;
    }
    const t = target as Record<string, unknown>;
    const id = typeof t['id'] === 'string' ? t['id'] : '';
    const name = `webhook target ${id ? `"${id}"` : `#${i + 1}`}`;
    if (!id) problems.push(`${name}: id is required (a string)`);
    else if (ids.has(id)) problems.push(`${name}: duplicate id`);
    ids.add(id);
    const url = typeof t['url'] === 'string' ? URL.parse(t['url']) : null;
    if (!url) problems.push(`${name}: url is not a valid URL`);
    else if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`${name}: url must be http(s)`);
    if (!(WEBHOOK_FORMATS as readonly unknown[]).includes(t['format'])) problems.push(`${name}: format must be one of ${WEBHOOK_FORMATS.join(', ')}`);
    if (t['secret'] !== undefined && (typeof t['secret'] !== 'string' || t['secret'] === '')) problems.push(`${name}: secret must be a non-empty string`);
    if (t['locale'] !== undefined && !isLocale(t['locale'])) problems.push(`${name}: locale must be one of ${LOCALES.join(', ')}`);
    problems.push(...formatSettingProblems(name, t));
    const lists: [string, readonly string[] | null][] = [
      ['severities', SEVERITIES],
      ['events', ALERT_EVENT_TYPES],
      ['grids', null],
      ['districts', null],
    ];
    for (const [field, allowed] of lists) {
      const list = t[field];
      if (list === undefined) continue;
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
        problems.push(`${name}: ${field} must be a list of strings`);
        continue;
      }
      if (list.length === 0) problems.push(`${name}: ${field} is empty (omit it to mean all)`);
      const bad = allowed ? list.filter((v) => !allowed.includes(v)) : [];
      if (bad.length > 0) problems.push(`${name}: unknown ${field} ${bad.join(', ')}`);
    }
  });
  return problems;
}

/** The settings only some formats take: WeCom's msgtype; an SMS gateway's secret, template and recipient cap. */
function formatSettingProblems(name: string, t: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const format = t['format'];
  if (t['msgtype'] !== undefined && (format !== 'wecom' || (t['msgtype'] !== 'markdown' && t['msgtype'] !== 'text'))) {
    problems.push(`${name}: msgtype is for format wecom only, and is markdown or text`);
  }
  if (format !== 'sms') {
    for (const field of ['template', 'max_recipients']) if (t[field] !== undefined) problems.push(`${name}: ${field} is for format sms only`);
    return problems;
  }
  if (typeof t['secret'] !== 'string' || t['secret'] === '') problems.push(`${name}: format sms needs secret_env (the gateway checks the signature)`);
  if (typeof t['template'] !== 'string' || !/^[\w.:-]{1,64}$/.test(t['template'])) problems.push(`${name}: template is required for format sms: the provider's template id (letters, digits, _ . : -, at most 64)`);
  const max = t['max_recipients'];
  if (max !== undefined && (!Number.isInteger(max) || (max as number) < 1 || (max as number) > SMS_MAX_RECIPIENTS_LIMIT)) {
    problems.push(`${name}: max_recipients must be a whole number from 1 to ${SMS_MAX_RECIPIENTS_LIMIT}`);
  }
  return problems;
}
