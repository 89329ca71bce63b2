// Webhook targets: where alert transitions go, in which format, and which ones each target wants.
// Pure: the config-time check and the per-event filter.
import { ALERT_EVENT_TYPES, isLocale, LOCALES, SEVERITIES, type AlertEventType, type AlertSocketEvent, type Locale, type Severity } from '@citygrid/contract';
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
}

export function targetMatches(target: WebhookTarget, event: AlertSocketEvent): boolean {
  const { alert } = event;
  if (target.severities && !target.severities.includes(alert.severity)) return false;
  if (target.events && !target.events.includes(event.event)) return false;
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
