// rules.yaml: alert rules, validated at start and on hot reload (a bad rule is refused with its id and problem).
import { z } from 'zod';
import { CAMERA_EVENT_TYPES, DEVICE_KINDS } from './catalogue.js';
import { SEVERITIES } from './alerts.js';
import { parseDuration } from './duration.js';
import { REJECTION_REASON_CODES, type RejectionReason } from './rejections.js';
import { REPORT_CATEGORIES } from './reports.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'rule id: lowercase letters, digits and dashes');
export const durationMs = z.string().refine((v) => parseDuration(v) !== null, 'a duration like 30s, 15m, 2h')
  .transform((v) => parseDuration(v)!);

export const matchSchema = z.strictObject({
  kind: z.enum(DEVICE_KINDS),
  device: z.union([z.string(), z.array(z.string())]).optional(),
  grid: z.union([z.string(), z.array(z.string())]).optional(),
  district: z.union([z.string(), z.array(z.string())]).optional(),
});
export type RuleMatch = z.infer<typeof matchSchema>;

/**
 * The rule's words: `message` (a short title) and `guidance` (what to do) in English, `message_zh`
 * and `guidance_zh` in Chinese. Each is optional: what is missing is generated from the rule
 * (contract/src/alert-text.ts), so every alert reads in both languages.
 */
const text = (what: string, max: number) => z.string({ error: `must be text (${what})` }).trim()
  .min(1, `must not be empty (${what}); leave it out to have it generated`).max(max, `at most ${max} characters (${what})`).optional();
const words = {
  message: text('a short title in English', 300),
  message_zh: text('a short title in Chinese', 300),
  guidance: text('what to do, in English', 600),
  guidance_zh: text('what to do, in Chinese', 600),
};

const common = {
  id,
  match: matchSchema,
  severity: z.enum(SEVERITIES),
  ...words,
};

export const thresholdRule = z.strictObject({
  ...common, kind: z.literal('threshold'), metric: z.string(),
  above: z.number().optional(), below: z.number().optional(),
  for: durationMs.optional(), clear_below: z.number().optional(), clear_above: z.number().optional(),
}).refine((r) => (r.above === undefined) !== (r.below === undefined), 'give exactly one of above / below');
export const rateRule = z.strictObject({
  ...common, kind: z.literal('rate'), metric: z.string(),
  rise: z.number().positive().optional(), fall: z.number().positive().optional(), per: durationMs,
}).refine((r) => (r.rise === undefined) !== (r.fall === undefined), 'give exactly one of rise / fall');
export const absenceRule = z.strictObject({ ...common, kind: z.literal('absence'), after: durationMs });
export const frozenRule = z.strictObject({ ...common, kind: z.literal('frozen'), metric: z.string(), for: durationMs });
export const anomalyRule = z.strictObject({
  ...common, kind: z.literal('anomaly'), metric: z.string(), z: z.number().positive(), baseline: durationMs,
  min_samples: z.number().int().positive().optional(),
});
export const forecastRule = z.strictObject({
  ...common, kind: z.literal('forecast'), metric: z.string(), crosses: z.number(), within: durationMs, window: durationMs,
  min_points: z.number().int().min(3).optional(),
});
export const cameraRule = z.strictObject({
  ...common, kind: z.literal('camera'), event: z.enum(CAMERA_EVENT_TYPES), count: z.number().int().positive(),
  within: durationMs, scope: z.enum(['grid', 'device']).default('grid'), min_confidence: z.number().min(0).max(1).optional(),
});
/** Refused messages (by the broker or the server) from a device: a misconfigured or flooding sensor. */
export const refusalsRule = z.strictObject({
  ...common, kind: z.literal('refusals'),
  // any device kind unless narrowed
  match: matchSchema.partial({ kind: true }).default({}),
  reasons: z.array(z.enum(REJECTION_REASON_CODES as [RejectionReason, ...RejectionReason[]])).min(1).optional(),
  count: z.number().int().positive(), within: durationMs,
});
/**
 * Residents' reports (REPORTS on): `count` reports of `category` in one grid cell within `within` raise
 * one alert for the cell, which holds until a person closes it (its reports join it and are closed with
 * it). A report filed where an alert of its kind is open joins that alert instead: one of this rule's, or
 * one of `sensor_rules` (the sensor rules of the same kind, e.g. the water-level rules for waterlogging).
 * `count` reports joining a sensor rule's alert within `within` raise its colour to `corroborated_severity`.
 */
export const reportsRule = z.strictObject({
  id, kind: z.literal('reports'), category: z.enum(REPORT_CATEGORIES), count: z.number().int().positive().max(1000), within: durationMs,
  severity: z.enum(SEVERITIES), ...words,
  // only these cells or districts (default: the whole city)
  match: matchSchema.pick({ grid: true, district: true }).default({}),
  sensor_rules: z.array(id).max(50).optional(),
  corroborated_severity: z.enum(SEVERITIES).optional(),
});
const compositePart = z.union([id, z.strictObject({ camera: z.enum(CAMERA_EVENT_TYPES) })]);
export const compositeRule = z.strictObject({
  id, kind: z.literal('composite'), scope: z.literal('grid').default('grid'), within: durationMs,
  all: z.array(compositePart).min(2), severity: z.enum(SEVERITIES), ...words,
});

export const ruleSchema = z.discriminatedUnion('kind', [
  thresholdRule, rateRule, absenceRule, frozenRule, anomalyRule, forecastRule, cameraRule, refusalsRule, compositeRule, reportsRule,
]);
export type RuleDef = z.infer<typeof ruleSchema>;
export type RuleKind = RuleDef['kind'];
export type ThresholdRule = z.infer<typeof thresholdRule>;
export type RateRule = z.infer<typeof rateRule>;
export type AbsenceRule = z.infer<typeof absenceRule>;
export type FrozenRule = z.infer<typeof frozenRule>;
export type AnomalyRule = z.infer<typeof anomalyRule>;
export type ForecastRule = z.infer<typeof forecastRule>;
export type CameraRule = z.infer<typeof cameraRule>;
export type RefusalsRule = z.infer<typeof refusalsRule>;
export type CompositeRule = z.infer<typeof compositeRule>;
export type ReportsRule = z.infer<typeof reportsRule>;
