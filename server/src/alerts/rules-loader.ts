// Loads rules.yaml and checks each rule against the schema and the city (metric in the kind's
// catalogue, known cells, composite parts that exist). Every problem names the file, rule and field.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { metricsOf, ruleSchema, type RuleDef } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';

export const RULES_FILE = 'rules.yaml';

export interface LoadedRules { rules: RuleDef[]; problems: string[]; file: string }

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function checkAgainstCity(rule: RuleDef, city: City, ids: Set<string>): string[] {
  const out: string[] = [];
  if (rule.kind === 'composite') {
    for (const part of rule.all) {
      if (typeof part === 'string' && !ids.has(part)) out.push(`part "${part}" is not a rule in this file`);
      if (typeof part === 'string' && part === rule.id) out.push('a composite rule cannot contain itself');
    }
    return out;
  }
  if (rule.kind === 'reports') {
    for (const r of rule.sensor_rules ?? []) if (!ids.has(r)) out.push(`sensor_rules: "${r}" is not a rule in this file`);
    if (rule.corroborated_severity && !rule.sensor_rules?.length) out.push('corroborated_severity needs sensor_rules (the sensor rules whose alerts reports corroborate)');
    for (const g of asList(rule.match.grid)) if (!city.cellsById.has(g)) out.push(`match.grid "${g}" is not a grid cell`);
    for (const d of asList(rule.match.district)) if (!city.districts.some((x) => x.id === d)) out.push(`match.district "${d}" is not a district`);
    return out;
  }
  const { match } = rule;
  if ('metric' in rule && match.kind) {
    const metrics = metricsOf(match.kind);
    if (!Object.hasOwn(metrics, rule.metric)) out.push(`metric "${rule.metric}" is not in the ${match.kind} catalogue (it has: ${Object.keys(metrics).join(', ') || 'none'})`);
  }
  if (rule.kind === 'camera' && match.kind !== 'camera') out.push('camera rules must match kind: camera');
  for (const g of asList(match.grid)) if (!city.cellsById.has(g)) out.push(`match.grid "${g}" is not a grid cell`);
  for (const d of asList(match.district)) if (!city.districts.some((x) => x.id === d)) out.push(`match.district "${d}" is not a district`);
  for (const d of asList(match.device)) if (!city.devicesById.has(d)) out.push(`match.device "${d}" is not a device`);
  return out;
}

export function loadRules(cityDir: string, city: City): LoadedRules {
  const file = join(cityDir, RULES_FILE);
  if (!existsSync(file)) return { rules: [], problems: [], file };
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    return { rules: [], problems: [`${RULES_FILE}: not valid YAML: ${(err as Error).message.split('\n')[0]}`], file };
  }
  if (raw === null || raw === undefined) return { rules: [], problems: [], file };
  if (!Array.isArray(raw)) return { rules: [], problems: [`${RULES_FILE}: must be a list of rules (- id: ..., kind: ...)`], file };
  const problems: string[] = [];
  const rules: RuleDef[] = [];
  const ids = new Set<string>();
  raw.forEach((entry, i) => {
    const id = (entry as { id?: unknown })?.id;
    const label = `${RULES_FILE}: rule ${typeof id === 'string' ? `"${id}"` : `#${i + 1}`}`;
    const parsed = ruleSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 4)) problems.push(`${label}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
      return;
    }
    if (ids.has(parsed.data.id)) {
      problems.push(`${label}: duplicate id`);
      return;
    }
    ids.add(parsed.data.id);
    rules.push(parsed.data);
  });
  for (const rule of rules) for (const p of checkAgainstCity(rule, city, ids)) problems.push(`${RULES_FILE}: rule "${rule.id}": ${p}`);
  return { rules, problems, file };
}

/** Does a rule's `match` select this device? */
export function matches(rule: RuleDef, device: { id: string; kind: string; grid: string; district: string }): boolean {
  if (rule.kind === 'composite' || rule.kind === 'reports') return false; // composites combine alerts; reports rules count reports
  const m = rule.match;
  if (m.kind !== undefined && m.kind !== device.kind) return false;
  const devices = asList(m.device);
  const grids = asList(m.grid);
  const districts = asList(m.district);
  return (!devices.length || devices.includes(device.id)) && (!grids.length || grids.includes(device.grid)) && (!districts.length || districts.includes(device.district));
}
