// What a device chart draws over the data: threshold lines from the rules (GET /api/rules) and the
// catalogue, and the projection of an active forecast alert. Pure functions, unit-tested.
import type { Alert, RuleLevels, RuleMatch, Severity } from '@citygrid/contract';
import { SEVERITY_RANK } from '@citygrid/contract';
import { SEVERITY_COLOR } from './alerts';

/** A rule as the chart needs it: GET /api/rules rows carry these fields. */
export interface RuleLevelsRow { id: string; kind: string; severity: Severity; match?: RuleMatch; metric?: string; levels?: RuleLevels }
export interface ChartDevice { id: string; kind: string; grid: string; district: string }
/** A horizontal dashed line. */
export interface ThresholdLine { value: number; label: string; color: string }

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether a rule's selector takes in the device (as the server's rules-loader decides). */
export function ruleMatchesDevice(match: RuleMatch | undefined, d: ChartDevice): boolean {
  if (!match || match.kind !== d.kind) return false;
  const devices = asList(match.device);
  const grids = asList(match.grid);
  const districts = asList(match.district);
  return (!devices.length || devices.includes(d.id)) && (!grids.length || grids.includes(d.grid)) && (!districts.length || districts.includes(d.district));
}

/**
 * The lines for one metric of one device: each threshold rule's above/below level in its severity colour,
 * labelled with the rule id; the catalogue's warn/alarm lines only where no rule line has the same value;
 * at most `max` lines, the most severe rules first.
 */
export function thresholdLines(
  rules: readonly RuleLevelsRow[], device: ChartDevice, metric: string,
  catalogue: { warn?: number; alarm?: number; warnLabel: string; alarmLabel: string }, max = 3,
): ThresholdLine[] {
  const fromRules: (ThresholdLine & { rank: number })[] = [];
  for (const r of rules) {
    if (r.kind !== 'threshold' || r.metric !== metric || !ruleMatchesDevice(r.match, device)) continue;
    const level = r.levels?.above ?? r.levels?.below;
    if (typeof level !== 'number' || !Number.isFinite(level)) continue;
    if (fromRules.some((l) => l.value === level)) continue; // same level twice: keep the more severe (sorted below)
    fromRules.push({ value: level, label: `${r.id} ${r.levels?.above !== undefined ? '>' : '<'} ${level}`, color: SEVERITY_COLOR[r.severity] ?? '#94a3b8', rank: SEVERITY_RANK[r.severity] ?? 0 });
  }
  fromRules.sort((a, b) => b.rank - a.rank);
  const lines: ThresholdLine[] = fromRules.map(({ rank: _r, ...l }) => l);
  const taken = (v: number) => lines.some((l) => l.value === v);
  if (catalogue.alarm !== undefined && !taken(catalogue.alarm)) lines.push({ value: catalogue.alarm, label: catalogue.alarmLabel, color: '#ef4444' });
  if (catalogue.warn !== undefined && !taken(catalogue.warn)) lines.push({ value: catalogue.warn, label: catalogue.warnLabel, color: '#f59e0b' });
  return lines.slice(0, max);
}

export interface ForecastProjection {
  /** From the latest point to the crossing: [ts, value] pairs. */
  points: [number, number][];
  crosses: number;
  /** Minutes from now until the crossing, rounded (at least 0). */
  etaMin: number;
  rule: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The dashed forecast line for a metric: from the latest point (ts, value) to the crossing level at
 * now + eta_min (or, without eta_min, where slope_per_min reaches the level). Null without an active
 * forecast alert of this device and metric, or when the values do not describe a crossing ahead.
 */
export function forecastProjection(
  alerts: readonly Pick<Alert, 'rule' | 'ruleKind' | 'devices' | 'state' | 'values'>[],
  deviceId: string, metric: string, latest: { ts: number; value: number } | null, now: number,
): ForecastProjection | null {
  if (!latest || !Number.isFinite(latest.value)) return null;
  for (const a of alerts) {
    if (a.ruleKind !== 'forecast' || a.state === 'resolved' || !a.devices.includes(deviceId)) continue;
    if (!(metric in a.values)) continue;
    const crosses = num(a.values.crosses);
    const slope = num(a.values.slope_per_min);
    const eta = num(a.values.eta_min);
    if (crosses === null) continue;
    let endTs: number | null = null;
    if (eta !== null && eta >= 0) endTs = now + eta * 60_000;
    else if (slope !== null && slope !== 0 && (crosses - latest.value) / slope >= 0) endTs = latest.ts + ((crosses - latest.value) / slope) * 60_000;
    if (endTs === null || endTs <= latest.ts) continue;
    return { points: [[latest.ts, latest.value], [endTs, crosses]], crosses, etaMin: Math.max(0, Math.round((endTs - now) / 60_000)), rule: a.rule };
  }
  return null;
}
