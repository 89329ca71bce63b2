// Proves loadRules accepts valid rules.yaml files (durations in ms), names file, rule and field for every problem, matches() selects devices, and the demo city's rules load clean and cover every kind.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadCity, type City } from '@citygrid/contract/node';
import { RULES_FILE, loadRules, matches } from './rules-loader.js';
import { cityFiles, cleanupDirs, rule, writeDir } from './test-fixtures.js';

afterEach(() => cleanupDirs());

/** A city folder with the test city plus this rules.yaml (a string verbatim, anything else as YAML). */
function withRules(rules: unknown): { dir: string; city: City } {
  const files = cityFiles();
  if (rules !== undefined) files[RULES_FILE] = typeof rules === 'string' ? rules : stringify(rules);
  const dir = writeDir(files);
  return { dir, city: loadCity(dir) };
}
function load(rules: unknown) {
  const { dir, city } = withRules(rules);
  return loadRules(dir, city);
}
/** The problems that mention every one of these parts. */
function problemsWith(problems: string[], ...parts: string[]): string[] {
  return problems.filter((p) => parts.every((part) => p.includes(part)));
}

const flood = { id: 'flood', kind: 'threshold', match: { kind: 'water_level' }, metric: 'level_cm', above: 30, for: '30s', clear_below: 20, severity: 'orange', guidance: 'Close the underpass.' };

describe('loadRules: valid files', () => {
  it('loads valid rules with durations as milliseconds', () => {
    const loaded = load([
      flood,
      { id: 'gas-silent', kind: 'absence', match: { kind: 'gas', grid: 'c-c' }, after: '5m', severity: 'blue' },
      { id: 'parking', kind: 'camera', match: { kind: 'camera', district: 'east' }, event: 'illegal_parking', count: 5, within: '10m', severity: 'blue' },
      { id: 'incident', kind: 'composite', within: '10m', all: ['flood', { camera: 'stalled_vehicle' }], severity: 'red' },
    ]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.file.endsWith(RULES_FILE)).toBe(true);
    expect(loaded.rules.map((r) => r.id)).toEqual(['flood', 'gas-silent', 'parking', 'incident']);
    const [t, a, c, comp] = loaded.rules;
    expect(t).toMatchObject({ kind: 'threshold', for: 30_000, above: 30, clear_below: 20 });
    expect(a).toMatchObject({ kind: 'absence', after: 300_000 });
    expect(c).toMatchObject({ kind: 'camera', within: 600_000, scope: 'grid' });
    expect(comp).toMatchObject({ kind: 'composite', within: 600_000, scope: 'grid' });
  });

  it('gives no rules and no problems for a missing or empty file', () => {
    expect(load(undefined)).toMatchObject({ rules: [], problems: [] });
    expect(load('')).toMatchObject({ rules: [], problems: [] });
    expect(load('# only a comment\n')).toMatchObject({ rules: [], problems: [] });
  });
});

describe('loadRules: problems name the file, the rule and the field', () => {
  it('an unknown kind', () => {
    const { problems } = load([{ ...flood, kind: 'thresold' }]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'kind')).toEqual(problems);
  });

  it('a metric that is not in the device kind\'s catalogue', () => {
    const { problems } = load([{ ...flood, metric: 'depth_m' }]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'metric', 'depth_m')).toHaveLength(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('level_cm'); // says what the catalogue has
  });

  it('both above and below', () => {
    const { problems } = load([{ ...flood, below: 5 }]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'above', 'below')).toHaveLength(1);
    expect(problems).toHaveLength(1);
  });

  it('neither above nor below', () => {
    const { above: _above, ...noLevel } = flood;
    const { problems } = load([noLevel]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'above', 'below')).toHaveLength(1);
  });

  it('a camera rule that does not match kind camera', () => {
    const { problems } = load([{ id: 'parking', kind: 'camera', match: { kind: 'traffic' }, event: 'illegal_parking', count: 5, within: '10m', severity: 'blue' }]);
    expect(problemsWith(problems, RULES_FILE, '"parking"', 'match', 'camera')).toHaveLength(1);
    expect(problems).toHaveLength(1);
  });

  it('an unknown grid, district or device in match', () => {
    const { problems } = load([
      { ...flood, match: { kind: 'water_level', grid: ['c-a', 'c-zz'] } },
      { ...flood, id: 'flood-west', match: { kind: 'water_level', district: 'north' } },
      { ...flood, id: 'flood-one', match: { kind: 'water_level', device: 'wl-zz' } },
    ]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'match.grid', 'c-zz')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-west"', 'match.district', 'north')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-one"', 'match.device', 'wl-zz')).toHaveLength(1);
    expect(problems).toHaveLength(3);
  });

  it('a composite part that is not a rule in the file, and a composite that contains itself', () => {
    const { problems } = load([
      flood,
      { id: 'incident', kind: 'composite', within: '10m', all: ['flood', 'ghost-rule'], severity: 'red' },
      { id: 'loop', kind: 'composite', within: '10m', all: ['flood', 'loop'], severity: 'red' },
    ]);
    expect(problemsWith(problems, RULES_FILE, '"incident"', 'part', 'ghost-rule')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"loop"', 'itself')).toHaveLength(1);
    expect(problems).toHaveLength(2);
  });

  it('a duplicate id', () => {
    const { problems, rules } = load([flood, { ...flood, above: 40 }]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'duplicate')).toHaveLength(1);
    expect(problems).toHaveLength(1);
    expect(rules).toHaveLength(1);
  });

  it('a bad duration, a bad severity and an unknown field', () => {
    const { problems } = load([
      { ...flood, for: '30 seconds' },
      { ...flood, id: 'flood-2', severity: 'purple' },
      { ...flood, id: 'flood-3', threshold: 30 },
    ]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'for')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-2"', 'severity')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-3"', 'threshold')).toHaveLength(1);
  });

  it('words in Chinese that are not text, empty, or under a misspelt name', () => {
    const { problems, rules } = load([
      { ...flood, message_zh: ['积水'] },
      { ...flood, id: 'flood-2', guidance_zh: '' },
      { ...flood, id: 'flood-3', message_cn: '积水' },
      { ...flood, id: 'flood-4', message_zh: '下穿通道积水', guidance_zh: '封闭下穿通道。' },
    ]);
    expect(problemsWith(problems, RULES_FILE, '"flood"', 'message_zh', 'must be text (a short title in Chinese)')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-2"', 'guidance_zh', 'must not be empty')).toHaveLength(1);
    expect(problemsWith(problems, RULES_FILE, '"flood-3"', 'message_cn')).toHaveLength(1);
    expect(problems).toHaveLength(3);
    expect(rules.map((r) => [r.id, r.message_zh, r.guidance_zh])).toEqual([['flood-4', '下穿通道积水', '封闭下穿通道。']]);
  });

  it('a rule without an id is named by its position', () => {
    const { id: _id, ...anonymous } = flood;
    const { problems } = load([flood, anonymous]);
    expect(problemsWith(problems, RULES_FILE, '#2', 'id')).toHaveLength(1);
  });

  it('invalid YAML', () => {
    const { problems, rules } = load('- id: flood\n  kind: [threshold\n');
    expect(rules).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(RULES_FILE);
    expect(problems[0]).toContain('YAML');
  });

  it('a file that is not a list', () => {
    const { problems, rules } = load({ rules: [flood] });
    expect(rules).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(RULES_FILE);
    expect(problems[0]).toContain('list');
  });
});

describe('matches()', () => {
  const device = { id: 'wl-a', kind: 'water_level', grid: 'c-a', district: 'east' };

  it('selects by kind, and by device, grid and district as a string or a list', () => {
    const r = (match: Record<string, unknown>) => rule({ ...flood, match });
    expect(matches(r({ kind: 'water_level' }), device)).toBe(true);
    expect(matches(r({ kind: 'water_level' }), { ...device, kind: 'gas' })).toBe(false);
    expect(matches(r({ kind: 'water_level', device: 'wl-a' }), device)).toBe(true);
    expect(matches(r({ kind: 'water_level', device: ['wl-b', 'wl-a'] }), device)).toBe(true);
    expect(matches(r({ kind: 'water_level', device: 'wl-b' }), device)).toBe(false);
    expect(matches(r({ kind: 'water_level', grid: 'c-a' }), device)).toBe(true);
    expect(matches(r({ kind: 'water_level', grid: ['c-b', 'c-c'] }), device)).toBe(false);
    expect(matches(r({ kind: 'water_level', district: 'east' }), device)).toBe(true);
    expect(matches(r({ kind: 'water_level', district: ['west'] }), device)).toBe(false);
    // all given selectors must hold
    expect(matches(r({ kind: 'water_level', grid: 'c-a', district: 'west' }), device)).toBe(false);
    expect(matches(r({ kind: 'water_level', grid: 'c-a', district: 'east', device: 'wl-a' }), device)).toBe(true);
  });

  it('never selects a device for a composite rule', () => {
    const c = rule({ id: 'incident', kind: 'composite', within: '10m', all: ['flood', { camera: 'stalled_vehicle' }], severity: 'red' });
    expect(matches(c, device)).toBe(false);
  });
});

describe('the demo city\'s rules', () => {
  it('load with zero problems and cover every rule kind', () => {
    const dir = fileURLToPath(new URL('../../../config/demo-city', import.meta.url));
    const city = loadCity(dir);
    const loaded = loadRules(dir, city);
    expect(loaded.problems).toEqual([]);
    const kinds = new Set(loaded.rules.map((r) => r.kind));
    for (const kind of ['threshold', 'rate', 'absence', 'frozen', 'anomaly', 'forecast', 'camera', 'composite', 'reports']) expect(kinds, kind).toContain(kind);
    // every rule reads in Chinese as the city wrote it
    for (const r of loaded.rules) {
      expect(r.message_zh, r.id).toMatch(/[\u4e00-\u9fff]/);
      expect(r.guidance_zh, r.id).toMatch(/[\u4e00-\u9fff]/);
    }
    // every rule of devices selects at least one demo device (composites combine alerts, reports rules count reports)
    for (const r of loaded.rules) {
      if (r.kind === 'composite' || r.kind === 'reports') continue;
      expect(city.devices.some((d) => matches(r, d)), r.id).toBe(true);
    }
  });
});
