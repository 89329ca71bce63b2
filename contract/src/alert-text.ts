// Alert texts in the two languages CityGrid speaks, from one catalogue. An alert carries its detail as
// a message key and parameters (metric, value, unit, threshold, forecast minutes...), its rule's title
// and guidance in both languages (rules.yaml's message / message_zh, guidance / guidance_zh, or text
// generated from the rule), and a rendered English default in `message` / `guidance` for clients and
// integrations that read only those. The server, the dashboard and the webhook formats all render
// from here; nobody parses the prose. Alerts recorded before this existed have no `text`: they render
// as their `message` and `guidance`.
// No zod here: the dashboard bundles this module, and zod's schemas probe eval (refused by the CSP).
import type { CameraEventType } from './catalogue.js';
import type { RuleDef } from './rules.js';
import { REPORT_CATEGORY_NAME, type ReportCategory } from './reports.js';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each metric's name in both languages (the dashboard's labels and the generated rule titles). */
export const METRIC_NAME: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    pm25: 'PM2.5', pm10: 'PM10', no2: 'NO₂', o3: 'O₃', laeq: '等效声级', level_cm: '水位',
    mm_h: '雨强', flow: '车流量', speed: '平均车速', occupancy: '占有率', tilt_deg: '倾角',
    open: '井盖开启', ch4: '甲烷浓度', on: '亮灯', power_w: '功率', fill_pct: '满溢度',
    strain_ue: '应变', vibration_mm_s: '振动速度', temp_c: '气温', humidity_pct: '湿度', wind_m_s: '风速',
  },
  en: {
    pm25: 'PM2.5', pm10: 'PM10', no2: 'NO₂', o3: 'O₃', laeq: 'LAeq', level_cm: 'Level',
    mm_h: 'Intensity', flow: 'Flow', speed: 'Speed', occupancy: 'Occupancy', tilt_deg: 'Tilt',
    open: 'Open', ch4: 'CH₄', on: 'Lit', power_w: 'Power', fill_pct: 'Fill',
    strain_ue: 'Strain', vibration_mm_s: 'Vibration', temp_c: 'Temp.', humidity_pct: 'Humidity', wind_m_s: 'Wind',
  },
};

/** Each camera event type's name in both languages. */
export const CAMERA_EVENT_NAME: Record<Locale, Record<CameraEventType, string>> = {
  'zh-CN': {
    illegal_parking: '违章停车', crowding: '人员聚集', road_obstruction: '道路遗撒/占道', stalled_vehicle: '车辆抛锚',
    smoke_fire: '烟火', garbage_overflow: '垃圾满溢', street_vending: '占道经营', waterlogging: '路面积水',
  },
  en: {
    illegal_parking: 'Illegal parking', crowding: 'Crowding', road_obstruction: 'Road obstruction', stalled_vehicle: 'Stalled vehicle',
    smoke_fire: 'Smoke / fire', garbage_overflow: 'Garbage overflow', street_vending: 'Street vending', waterlogging: 'Waterlogging',
  },
};

const metricName = (metric: string, l: Locale) => METRIC_NAME[l][metric] ?? metric;

// ---- numbers, units and durations as alert texts write them ----

function withUnit(text: string, unit: string): string {
  if (unit === '') return text;
  return /^[%°]/.test(unit) ? `${text}${unit}` : `${text} ${unit}`;
}

/** A measured number: one decimal ("34.2"), two significant digits when tiny, none when large. */
export function fmtNum(n: number): string {
  const a = Math.abs(n);
  if (a !== 0 && a < 0.1) return String(Number(n.toPrecision(2)));
  return a >= 1000 ? n.toFixed(0) : n.toFixed(1);
}

/** A measured value with its unit: "34.2 cm"; a boolean as "true" (en) or 是/否 (zh-CN). */
export function fmtValue(v: number | boolean, unit: string, l: Locale = 'en'): string {
  if (typeof v === 'boolean') return l === 'en' ? String(v) : v ? '是' : '否';
  return withUnit(fmtNum(v), unit);
}

/** A configured level with its unit, written as configured: "30 cm". */
export function fmtLevel(level: number, unit: string): string {
  return withUnit(String(level), unit);
}

/** A rate unit: "cm/min", or "per min" without a unit. */
export function perMinute(unit: string): string {
  return unit === '' ? 'per min' : `${unit}/min`;
}

const tenth = (x: number) => String(Math.round(x * 10) / 10);
const DURATION_UNITS: Record<Locale, [string, string, string, string]> = { en: ['s', 'min', 'h', 'd'], 'zh-CN': ['秒', '分钟', '小时', '天'] };

/** A duration as people say it: "30 s", "5 min", "2.5 h", "3 d" (30 秒, 5 分钟...). */
export function fmtDuration(ms: number, l: Locale = 'en'): string {
  const [sec, min, hour, day] = DURATION_UNITS[l];
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${Math.round(s)} ${sec}`;
  const m = s / 60;
  if (m < 120) return `${tenth(m)} ${min}`;
  const h = m / 60;
  return h < 48 ? `${tenth(h)} ${hour}` : `${tenth(h / 24)} ${day}`;
}

// ---- the detail: a key and its parameters ----

type LevelParams = { metric: string; value: number | boolean; unit: string; side: 'above' | 'below'; level: number; hold_ms: number };
export type CompositeSignal = { rule: string } | { camera: CameraEventType; count: number };

/** Every detail an alert can carry, by key (a new key needs its words in both languages below, and its
 *  schema in api-schemas.ts, which the type checker holds equal to this). Durations in ms. */
export type AlertDetail =
  | { key: 'threshold.active'; params: LevelParams }
  | { key: 'threshold.pending'; params: LevelParams }
  | { key: 'rate.active'; params: { metric: string; change: number; unit: string; per_ms: number } }
  | { key: 'absence.offline'; params: Record<string, never> }
  | { key: 'absence.silent'; params: { silent_ms: number; since_start: boolean } }
  | { key: 'frozen.active'; params: { metric: string; value: number; unit: string; unchanged_ms: number; readings: number } }
  | { key: 'anomaly.active'; params: { metric: string; value: number; unit: string; mean: number; std: number; z: number; alert_z: number } }
  | { key: 'forecast.active'; params: { metric: string; level: number; unit: string; eta_min: number; value: number; slope_per_min: number } }
  | { key: 'camera.active'; params: { event: CameraEventType; count: number; window_ms: number; cameras: number } }
  | { key: 'refusals.active'; params: { count: number; window_ms: number; reasons: string[] } }
  | { key: 'reports.active'; params: { category: ReportCategory; count: number; window_ms: number; corroborated?: string } }
  | { key: 'composite.active'; params: { signals: CompositeSignal[]; within_ms: number } };
export type AlertDetailKey = AlertDetail['key'];
type ParamsOf<K extends AlertDetailKey> = Extract<AlertDetail, { key: K }>['params'];

export type Localized = Record<Locale, string>;

/** What an alert carries to be rendered in either language. */
export interface AlertText {
  /** The rule's title: rules.yaml's message / message_zh, or generated from the rule. */
  title: Localized;
  /** The specific detail; null when the condition had none (a rule state saved by an older server). */
  detail: AlertDetail | null;
  guidance: Localized;
}

type Words = { [K in AlertDetailKey]: Record<Locale, (p: ParamsOf<K>) => string> };

/** The catalogue: every key's words in both languages. English is the server's default `message`. */
const WORDS: Words = {
  'threshold.active': {
    en: (p) => `${p.metric} ${fmtValue(p.value, p.unit)}, ${p.side} ${fmtLevel(p.level, p.unit)}${p.hold_ms > 0 ? ` for ${fmtDuration(p.hold_ms)}` : ''}`,
    'zh-CN': (p) => `${metricName(p.metric, 'zh-CN')} ${fmtValue(p.value, p.unit, 'zh-CN')}，${p.side === 'above' ? '高于' : '低于'} ${fmtLevel(p.level, p.unit)}${p.hold_ms > 0 ? `，已持续 ${fmtDuration(p.hold_ms, 'zh-CN')}` : ''}`,
  },
  'threshold.pending': {
    en: (p) => `${p.metric} ${fmtValue(p.value, p.unit)}, ${p.side} ${fmtLevel(p.level, p.unit)}; alerts if it stays there for ${fmtDuration(p.hold_ms)}`,
    'zh-CN': (p) => `${metricName(p.metric, 'zh-CN')} ${fmtValue(p.value, p.unit, 'zh-CN')}，${p.side === 'above' ? '高于' : '低于'} ${fmtLevel(p.level, p.unit)}；持续 ${fmtDuration(p.hold_ms, 'zh-CN')} 后告警`,
  },
  'rate.active': {
    en: (p) => `${p.metric} ${p.change > 0 ? 'rose' : p.change < 0 ? 'fell' : 'changed'} ${fmtValue(Math.abs(p.change), p.unit)} in ${fmtDuration(p.per_ms)}`,
    'zh-CN': (p) => `${metricName(p.metric, 'zh-CN')} ${fmtDuration(p.per_ms, 'zh-CN')}内${p.change > 0 ? '上涨' : p.change < 0 ? '下降' : '变化'} ${fmtValue(Math.abs(p.change), p.unit)}`,
  },
  'absence.offline': { en: () => 'device went offline', 'zh-CN': () => '设备已离线' },
  'absence.silent': {
    en: (p) => (p.since_start ? `no data since monitoring started ${fmtDuration(p.silent_ms)} ago` : `no data for ${fmtDuration(p.silent_ms)}`),
    'zh-CN': (p) => (p.since_start ? `自 ${fmtDuration(p.silent_ms, 'zh-CN')}前开始监测以来无数据` : `已 ${fmtDuration(p.silent_ms, 'zh-CN')}无数据`),
  },
  'frozen.active': {
    en: (p) => `${p.metric} stuck at ${fmtValue(p.value, p.unit)} for ${fmtDuration(p.unchanged_ms)} (${p.readings} identical readings)`,
    'zh-CN': (p) => `${metricName(p.metric, 'zh-CN')}停在 ${fmtValue(p.value, p.unit)} 已 ${fmtDuration(p.unchanged_ms, 'zh-CN')}（连续 ${p.readings} 个相同读数）`,
  },
  'anomaly.active': {
    en: (p) => `${p.metric} ${fmtValue(p.value, p.unit)}, unusually ${p.z > 0 ? 'high' : 'low'} (usual ${fmtValue(p.mean, p.unit)} ± ${fmtValue(p.std, p.unit)}, z ${p.z.toFixed(1)}, alert at ${p.alert_z})`,
    'zh-CN': (p) => `${metricName(p.metric, 'zh-CN')} ${fmtValue(p.value, p.unit)}，异常偏${p.z > 0 ? '高' : '低'}（通常 ${fmtValue(p.mean, p.unit)} ± ${fmtValue(p.std, p.unit)}，z 值 ${p.z.toFixed(1)}，告警线 ${p.alert_z}）`,
  },
  'forecast.active': {
    en: (p) => `expected to reach ${fmtLevel(p.level, p.unit)} in about ${p.eta_min} min (now ${fmtValue(p.value, p.unit)}, ${p.slope_per_min > 0 ? 'rising' : 'falling'} ${fmtNum(Math.abs(p.slope_per_min))} ${perMinute(p.unit)})`,
    'zh-CN': (p) => `预计约 ${p.eta_min} 分钟后${metricName(p.metric, 'zh-CN')}达到 ${fmtLevel(p.level, p.unit)}（当前 ${fmtValue(p.value, p.unit)}，每分钟${p.slope_per_min > 0 ? '上涨' : '下降'} ${withUnit(fmtNum(Math.abs(p.slope_per_min)), p.unit)}）`,
  },
  'camera.active': {
    en: (p) => `${p.count} ${p.event} events in ${fmtDuration(p.window_ms)}${p.cameras > 1 ? ` from ${p.cameras} cameras` : ''}`,
    'zh-CN': (p) => `${fmtDuration(p.window_ms, 'zh-CN')}内${CAMERA_EVENT_NAME['zh-CN'][p.event]}事件 ${p.count} 次${p.cameras > 1 ? `（来自 ${p.cameras} 个摄像头）` : ''}`,
  },
  'refusals.active': {
    en: (p) => `${p.count} messages refused in ${fmtDuration(p.window_ms)} (${p.reasons.join(', ')})`,
    'zh-CN': (p) => `${fmtDuration(p.window_ms, 'zh-CN')}内 ${p.count} 条消息被拒收（${p.reasons.join('、')}）`,
  },
  'reports.active': {
    en: (p) => `${p.count} residents' reports of ${REPORT_CATEGORY_NAME.en[p.category].toLowerCase()} in this cell within ${fmtDuration(p.window_ms)}${p.corroborated ? `, and the sensors agree (${p.corroborated})` : ''}`,
    'zh-CN': (p) => `${fmtDuration(p.window_ms, 'zh-CN')}内本网格居民反映${REPORT_CATEGORY_NAME['zh-CN'][p.category]} ${p.count} 次${p.corroborated ? `，传感器印证（${p.corroborated}）` : ''}`,
  },
  'composite.active': {
    en: (p) => `${p.signals.map((s) => ('rule' in s ? s.rule : `${s.count} ${s.camera} camera event${s.count > 1 ? 's' : ''}`)).join(' + ')} in the same cell within ${Math.round(p.within_ms / 60_000)} min`,
    'zh-CN': (p) => `同一网格 ${Math.round(p.within_ms / 60_000)} 分钟内同时出现：${p.signals.map((s) => ('rule' in s ? s.rule : `${CAMERA_EVENT_NAME['zh-CN'][s.camera]} ${s.count} 次`)).join(' + ')}`,
  },
};

/** The detail in a language. */
export function renderDetail(detail: AlertDetail, l: Locale): string {
  const words = WORDS[detail.key][l] as (p: AlertDetail['params']) => string;
  return words(detail.params);
}

// ---- rule titles and guidance: configured, else generated ----

const GUIDANCE: Localized = { en: 'Check the place and report what you find.', 'zh-CN': '请到现场查看，并报告发现的情况。' };

/** A rule's title when rules.yaml gives none, from its kind, metric and level. */
export function generatedTitle(rule: RuleDef, l: Locale): string {
  const zh = l === 'zh-CN';
  switch (rule.kind) {
    case 'threshold': {
      const m = metricName(rule.metric, l);
      const lvl = String(rule.above ?? rule.below);
      if (zh) return `${m}${rule.above !== undefined ? '高于' : '低于'} ${lvl}`;
      return `${m} ${rule.above !== undefined ? 'above' : 'below'} ${lvl}`;
    }
    case 'rate': {
      const m = metricName(rule.metric, l);
      if (zh) return `${m}快速${rule.rise !== undefined ? '上涨' : '下降'}`;
      return `${m} ${rule.rise !== undefined ? 'rising' : 'falling'} fast`;
    }
    case 'absence': return zh ? '设备失联' : 'Device silent';
    case 'frozen': return zh ? `${metricName(rule.metric, l)}读数停滞` : `${metricName(rule.metric, l)} reading stuck`;
    case 'anomaly': return zh ? `${metricName(rule.metric, l)}异常` : `Unusual ${metricName(rule.metric, l)}`;
    case 'forecast': return zh ? `预计${metricName(rule.metric, l)}将达到 ${rule.crosses}` : `${metricName(rule.metric, l)} expected to reach ${rule.crosses}`;
    case 'camera': return zh ? `${CAMERA_EVENT_NAME[l][rule.event]}多发` : `${CAMERA_EVENT_NAME[l][rule.event]} hotspot`;
    case 'refusals': return zh ? '设备消息被拒收' : 'Device messages refused';
    case 'composite': return zh ? '多项信号同时出现' : 'Several signals in one cell';
    case 'reports': return zh ? `居民反映：${REPORT_CATEGORY_NAME[l][rule.category]}` : `Residents report: ${REPORT_CATEGORY_NAME.en[rule.category].toLowerCase()}`;
  }
}

/** A rule's title in both languages: message / message_zh from rules.yaml, generated where missing. */
export function ruleTitle(rule: RuleDef): Localized {
  return { en: rule.message ?? generatedTitle(rule, 'en'), 'zh-CN': rule.message_zh ?? generatedTitle(rule, 'zh-CN') };
}

/** A rule's guidance in both languages: guidance / guidance_zh from rules.yaml, a general one where missing. */
export function ruleGuidance(rule: RuleDef): Localized {
  return { en: rule.guidance ?? GUIDANCE.en, 'zh-CN': rule.guidance_zh ?? GUIDANCE['zh-CN'] };
}

// ---- an alert's texts in a language (with the fallback for alerts recorded before `text`) ----

interface Texts { message: string; guidance: string; text?: AlertText | undefined }

/** The rule's title; an old alert's whole message. */
export function alertHeadline(a: Texts, l: Locale): string {
  return a.text ? a.text.title[l] : a.message;
}

/** The specific detail ("水位 36.0 cm，高于 30 cm"); null for an old alert (its message holds it). */
export function alertDetail(a: Texts, l: Locale): string | null {
  return a.text?.detail ? renderDetail(a.text.detail, l) : null;
}

/** Title and detail in one line, as the server writes `message` in English. */
export function alertMessage(a: Texts, l: Locale): string {
  if (!a.text) return a.message;
  const detail = alertDetail(a, l);
  if (detail === null) return a.text.title[l];
  return `${a.text.title[l]}${l === 'zh-CN' ? '：' : ': '}${detail}`;
}

export function alertGuidance(a: Texts, l: Locale): string {
  return a.text ? a.text.guidance[l] : a.guidance;
}

/** A locale CityGrid speaks, or undefined. */
export function isLocale(v: unknown): v is Locale {
  return (LOCALES as readonly unknown[]).includes(v);
}
