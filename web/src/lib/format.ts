// Locale-aware formatting of values, times and ages (Intl, cached per locale).
import { metricsOf, type DeviceKind, type MetricSpec } from '@citygrid/contract';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
  key: string, make: () => T,
): T {
  let f = cache.get(key);
  if (!f) cache.set(key, (f = make()));
  return f as T;
}

export function formatNumber(value: number, locale: string, maxDigits = 1): string {
  const digits = Math.abs(value) >= 100 ? 0 : maxDigits;
  return cached(`n:${locale}:${digits}`, () =>
    new Intl.NumberFormat(locale, { maximumFractionDigits: digits })).format(value);
}

export function formatTime(ts: number, locale: string, withDate = false): string {
  return cached(`t:${locale}:${withDate}`, () => new Intl.DateTimeFormat(locale, withDate
    ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
    : { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })).format(ts);
}

export function formatAxisTime(ts: number, locale: string, withDate: boolean): string {
  return cached(`a:${locale}:${withDate}`, () => new Intl.DateTimeFormat(locale, withDate
    ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }
    : { hour: '2-digit', minute: '2-digit', hour12: false })).format(ts);
}

/** "3 s ago" / "3秒前": the age of a timestamp relative to `now`. */
export function formatAge(ts: number, now: number, locale: string): string {
  const rtf = cached(`r:${locale}`, () =>
    new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'narrow' }));
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86_400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86_400), 'day');
}

export function metricSpec(kind: DeviceKind, metric: string): MetricSpec | undefined {
  return metricsOf(kind)[metric];
}

type Translate = (key: string) => string;

/** A metric value with its unit, or the translated word for a boolean. */
export function formatMetricValue(
  kind: DeviceKind, metric: string, value: number | boolean, locale: string, t: Translate,
): string {
  if (typeof value === 'boolean') {
    const specific = metric === 'open' || metric === 'on';
    return specific ? t(`bool.${metric}.${value}`) : t(value ? 'bool.yes' : 'bool.no');
  }
  const spec = metricSpec(kind, metric);
  const unit = spec?.type === 'number' ? spec.unit : '';
  return unit ? `${formatNumber(value, locale)} ${unit}` : formatNumber(value, locale);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A countdown or elapsed time as m:ss or h:mm:ss (tabular, language-neutral). */
export function formatClock(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A duration in seconds with a unit in the user's language ("45 sec", "4.5 min", "4.5分钟"). */
export function formatDurationS(seconds: number | null, locale: string): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const [value, unit] = seconds < 60 ? [seconds, 'second'] : seconds < 3600 ? [seconds / 60, 'minute'] : [seconds / 3600, 'hour'];
  return cached(`d:${locale}:${unit}`, () => new Intl.NumberFormat(locale, {
    style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1,
  })).format(value);
}

export function formatPercent(share: number | null, locale: string): string {
  if (share === null || !Number.isFinite(share)) return '—';
  return cached(`p:${locale}`, () => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 })).format(share);
}
