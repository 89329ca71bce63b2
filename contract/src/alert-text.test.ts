// Proves the alert-text catalogue: every key renders in zh-CN and en with its numbers, rules without
// words get generated titles and guidance in both languages, configured words win, and an alert stored
// before `text` existed (the old JSON shape) still renders as its message and guidance.
import { describe, expect, it } from 'vitest';
import {
  alertDetail, alertGuidance, alertHeadline, alertMessage, fmtDuration, generatedTitle, LOCALES, renderDetail, ruleGuidance, ruleTitle,
  type AlertDetail,
} from './alert-text.js';
import { alertTextSchema } from './api-schemas.js';
import { ruleSchema } from './rules.js';

const rule = (r: Record<string, unknown>) => ruleSchema.parse({ id: 'r', match: { kind: 'water_level' }, severity: 'yellow', ...r });

/** One detail of every key, with the numbers each must show. */
const EXAMPLES: [AlertDetail, string[]][] = [
  [{ key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 30, hold_ms: 30_000 } }, ['36.0 cm', '30 cm']],
  [{ key: 'threshold.pending', params: { metric: 'level_cm', value: 31.25, unit: 'cm', side: 'above', level: 30, hold_ms: 60_000 } }, ['31.3 cm', '30 cm', '1']],
  [{ key: 'rate.active', params: { metric: 'level_cm', change: 12, unit: 'cm', per_ms: 300_000 } }, ['12.0 cm', '5']],
  [{ key: 'absence.offline', params: {} }, []],
  [{ key: 'absence.silent', params: { silent_ms: 600_000, since_start: false } }, ['10']],
  [{ key: 'frozen.active', params: { metric: 'pm25', value: 35, unit: 'µg/m³', unchanged_ms: 7_200_000, readings: 24 } }, ['35.0 µg/m³', '24']],
  [{ key: 'anomaly.active', params: { metric: 'laeq', value: 85, unit: 'dB(A)', mean: 55, std: 3, z: 10, alert_z: 4 } }, ['85.0 dB(A)', '55.0', '10.0']],
  [{ key: 'forecast.active', params: { metric: 'level_cm', level: 30, unit: 'cm', eta_min: 12, value: 21.5, slope_per_min: 0.8 } }, ['30 cm', '12', '21.5 cm', '0.8']],
  [{ key: 'camera.active', params: { event: 'illegal_parking', count: 6, window_ms: 600_000, cameras: 2 } }, ['6', '10', '2']],
  [{ key: 'refusals.active', params: { count: 25, window_ms: 600_000, reasons: ['rate_limited'] } }, ['25', 'rate_limited']],
  [{ key: 'reports.active', params: { category: 'waterlogging', count: 3, window_ms: 1_800_000, corroborated: 'underpass-flooding' } }, ['3', '30', 'underpass-flooding']],
  [{ key: 'composite.active', params: { signals: [{ rule: 'underpass-flooding' }, { camera: 'stalled_vehicle', count: 2 }], within_ms: 600_000 } }, ['underpass-flooding', '2', '10']],
];

describe('the detail catalogue', () => {
  it.each(EXAMPLES.map(([d, nums]) => [d.key, d, nums] as const))('renders %s in both languages with its numbers', (_key, detail, nums) => {
    const zh = renderDetail(detail, 'zh-CN');
    const en = renderDetail(detail, 'en');
    for (const n of nums) {
      expect(zh).toContain(n);
      expect(en).toContain(n);
    }
    expect(zh).toMatch(/[\u4e00-\u9fff]/); // Chinese words, not English ones
    expect(en).not.toMatch(/[\u4e00-\u9fff]/);
    expect(alertTextSchema.safeParse({ title: { en: 'x', 'zh-CN': 'x' }, detail, guidance: { en: 'g', 'zh-CN': 'g' } }).success).toBe(true);
  });

  it('covers every key', () => {
    const keys = alertTextSchema.shape.detail.unwrap().options.map((o: { shape: { key: { value: string } } }) => o.shape.key.value);
    expect(EXAMPLES.map(([d]) => d.key).sort()).toEqual([...keys].sort());
  });

  it('writes the threshold detail as the server always has in English, and in Chinese with the metric named', () => {
    const d: AlertDetail = { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 30, hold_ms: 30_000 } };
    expect(renderDetail(d, 'en')).toBe('level_cm 36.0 cm, above 30 cm for 30 s');
    expect(renderDetail(d, 'zh-CN')).toBe('水位 36.0 cm，高于 30 cm，已持续 30 秒');
  });

  it('says durations in each language', () => {
    expect(fmtDuration(45_000)).toBe('45 s');
    expect(fmtDuration(45_000, 'zh-CN')).toBe('45 秒');
    expect(fmtDuration(3 * 3_600_000, 'zh-CN')).toBe('3 小时');
  });
});

describe('titles and guidance', () => {
  it('generates both languages for a rule that gives none, from its kind, metric and level', () => {
    const r = rule({ kind: 'threshold', metric: 'level_cm', above: 25 });
    expect(ruleTitle(r)).toEqual({ en: 'Level above 25', 'zh-CN': '水位高于 25' });
    expect(ruleGuidance(r).en).toBe('Check the place and report what you find.');
    expect(ruleGuidance(r)['zh-CN']).toMatch(/现场/);
    const f = rule({ kind: 'forecast', metric: 'level_cm', crosses: 30, within: '15m', window: '10m' });
    expect(generatedTitle(f, 'zh-CN')).toBe('预计水位将达到 30');
  });

  it('uses the configured words in each language, and generates only the missing one', () => {
    const r = rule({ kind: 'threshold', metric: 'level_cm', above: 30, message: 'Flooding', message_zh: '积水', guidance: 'Close it.' });
    expect(ruleTitle(r)).toEqual({ en: 'Flooding', 'zh-CN': '积水' });
    expect(ruleGuidance(r)).toEqual({ en: 'Close it.', 'zh-CN': '请到现场查看，并报告发现的情况。' });
    expect(ruleTitle(rule({ kind: 'absence', after: '5m', message_zh: '水位计失联' }))).toEqual({ en: 'Device silent', 'zh-CN': '水位计失联' });
  });

  it('refuses a message_zh that is not text, or empty, naming the field', () => {
    const bad = ruleSchema.safeParse({ id: 'r', kind: 'absence', after: '5m', match: { kind: 'gas' }, severity: 'blue', message_zh: 12 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['message_zh']);
    expect(bad.error!.issues[0]!.message).toMatch(/must be text \(a short title in Chinese\)/);
    const empty = ruleSchema.safeParse({ id: 'r', kind: 'absence', after: '5m', match: { kind: 'gas' }, severity: 'blue', guidance_zh: '  ' });
    expect(empty.error!.issues[0]!.path).toEqual(['guidance_zh']);
  });
});

describe('an alert in a language', () => {
  const text = {
    title: { en: 'Level above 25', 'zh-CN': '水位高于 25' },
    detail: { key: 'threshold.active', params: { metric: 'level_cm', value: 36, unit: 'cm', side: 'above', level: 25, hold_ms: 0 } } as AlertDetail,
    guidance: { en: 'Check the place and report what you find.', 'zh-CN': '请到现场查看，并报告发现的情况。' },
  };

  it('renders title, detail and guidance from the key and parameters', () => {
    const a = { message: 'Level above 25: level_cm 36.0 cm, above 25 cm', guidance: text.guidance.en, text };
    expect(alertHeadline(a, 'zh-CN')).toBe('水位高于 25');
    expect(alertDetail(a, 'zh-CN')).toBe('水位 36.0 cm，高于 25 cm');
    expect(alertMessage(a, 'zh-CN')).toBe('水位高于 25：水位 36.0 cm，高于 25 cm');
    expect(alertMessage(a, 'en')).toBe(a.message);
    expect(alertGuidance(a, 'zh-CN')).toBe(text.guidance['zh-CN']);
  });

  it('renders an alert stored before `text` existed (old JSON shape) as its message and guidance, in every language', () => {
    const stored = JSON.parse('{"id":"a1","rule":"flood","message":"Flooding at the underpass: level_cm 36.0 cm, above 30 cm","guidance":"Close the underpass."}') as { message: string; guidance: string };
    for (const l of LOCALES) {
      expect(alertHeadline(stored, l)).toBe(stored.message);
      expect(alertMessage(stored, l)).toBe(stored.message);
      expect(alertDetail(stored, l)).toBeNull();
      expect(alertGuidance(stored, l)).toBe('Close the underpass.');
    }
  });

  it('shows the title alone when the detail has no key (a condition restored from an older server)', () => {
    const a = { message: 'm', guidance: 'g', text: { ...text, detail: null } };
    expect(alertMessage(a, 'zh-CN')).toBe('水位高于 25');
  });
});
