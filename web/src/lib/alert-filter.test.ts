// Proves the control room's feed filters (district, colour, kind, cell; each alone, together, and
// cleared) and that a cell's map colour is its worst alert whatever order the alerts came in: the
// rules the browser checks in tests/e2e/map-and-feed.test.ts, here case by case.
import type { Alert, DeviceKind, Severity } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { buildFeed, worstByCell, type AlertFilter } from './alerts';

const T0 = 1_800_000_000_000;
function alert(p: Partial<Alert> & { id: string }): Alert {
  return {
    rule: 'r', ruleKind: 'threshold', severity: 'orange', key: p.id, devices: ['mh-0001'], grid: 'jiangan-001',
    district: 'jiangan', message: 'm', guidance: 'g', values: {}, state: 'firing', startedAt: T0, firedAt: T0,
    updatedAt: T0, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, escalation: 0, assignees: [],
    ackDeadline: T0 + 900_000, suppressed: false, ...p,
  };
}

const KINDS: Record<string, DeviceKind> = { 'cam-1': 'camera', 'cam-2': 'camera', 'mh-1': 'manhole_cover', 'wl-1': 'water_level' };
const kindOf = (id: string) => KINDS[id];
const NONE: AlertFilter = { district: null, severity: null, kind: null, cell: null };

// Two cells in Jiang'an (red, yellow and orange camera alerts in A; a flooding gauge in A2), one in Qingshan (blue camera, open cover).
const alerts = [
  alert({ id: 'a-yellow', severity: 'yellow', devices: ['cam-1'], grid: 'jiangan-026', district: 'jiangan', firedAt: T0 + 1 }),
  alert({ id: 'a-red', severity: 'red', devices: ['cam-1'], grid: 'jiangan-026', district: 'jiangan', firedAt: T0 + 2 }),
  alert({ id: 'a-orange', severity: 'orange', devices: ['cam-1'], grid: 'jiangan-026', district: 'jiangan', firedAt: T0 + 3 }),
  alert({ id: 'a2-orange', severity: 'orange', devices: ['wl-1'], grid: 'jiangan-027', district: 'jiangan', firedAt: T0 + 4 }),
  alert({ id: 'b-blue', severity: 'blue', devices: ['cam-2'], grid: 'qingshan-006', district: 'qingshan', firedAt: T0 + 5 }),
  alert({ id: 'b-cover', severity: 'orange', devices: ['mh-1'], grid: 'qingshan-006', district: 'qingshan', firedAt: T0 + 6 }),
];
const shown = (filter: Partial<AlertFilter>, list: Alert[] = alerts) =>
  buildFeed(list, { filter: { ...NONE, ...filter }, kindOf }).map((e) => e.alert.id).sort();
const all = alerts.map((a) => a.id).sort();

describe('feed filters', () => {
  it('shows everything without a filter (and after clearing one)', () => {
    expect(shown({})).toEqual(all);
    expect(shown({ district: null, severity: null, kind: null, cell: null })).toEqual(all);
  });

  it('by district: only that district', () => {
    expect(shown({ district: 'qingshan' })).toEqual(['b-blue', 'b-cover']);
    expect(shown({ district: 'jiangan' })).toEqual(['a-orange', 'a-red', 'a-yellow', 'a2-orange']);
    expect(shown({ district: 'hanyang' })).toEqual([]);
  });

  it('by colour: only that colour', () => {
    expect(shown({ severity: 'yellow' })).toEqual(['a-yellow']);
    expect(shown({ severity: 'orange' })).toEqual(['a-orange', 'a2-orange', 'b-cover']);
    expect(shown({ severity: 'red' })).toEqual(['a-red']);
  });

  it('by kind: alerts raised by a device of that kind', () => {
    expect(shown({ kind: 'manhole_cover' })).toEqual(['b-cover']);
    expect(shown({ kind: 'camera' })).toEqual(['a-orange', 'a-red', 'a-yellow', 'b-blue']);
    expect(shown({ kind: 'gas' })).toEqual([]);
  });

  it('by the map\'s cell', () => {
    expect(shown({ cell: 'jiangan-027' })).toEqual(['a2-orange']);
  });

  it('combines filters (all must pass)', () => {
    expect(shown({ district: 'jiangan', severity: 'orange' })).toEqual(['a-orange', 'a2-orange']);
    expect(shown({ district: 'jiangan', severity: 'orange', kind: 'camera' })).toEqual(['a-orange']);
    expect(shown({ district: 'qingshan', severity: 'yellow' })).toEqual([]);
  });

  it('keeps an incident when one of its parts has the colour or kind asked for', () => {
    const incident = alert({ id: 'inc', severity: 'red', devices: [], parts: ['p-flood', 'p-cam'], grid: 'jiangan-026' });
    const parts = [
      alert({ id: 'p-flood', severity: 'orange', devices: ['wl-1'], grid: 'jiangan-026' }),
      alert({ id: 'p-cam', severity: 'yellow', devices: ['cam-1'], grid: 'jiangan-026' }),
    ];
    const list = [incident, ...parts];
    expect(shown({ severity: 'yellow' }, list)).toEqual(['inc']);
    expect(shown({ kind: 'water_level' }, list)).toEqual(['inc']);
    expect(shown({ severity: 'blue' }, list)).toEqual([]);
  });
});

describe('a cell\'s colour on the map', () => {
  const inA = alerts.filter((a) => a.grid === 'jiangan-026');
  const orders: Alert[][] = [
    inA, [...inA].reverse(), [inA[1]!, inA[0]!, inA[2]!], [inA[2]!, inA[0]!, inA[1]!],
  ];

  it('is the worst of its live alerts, whichever came first or last', () => {
    for (const order of orders) {
      expect(worstByCell([...order, ...alerts.filter((a) => a.grid !== 'jiangan-026')]).get('jiangan-026')).toBe('red');
    }
  });

  it('is each cell\'s own: another cell keeps its colour, a cell without alerts has none', () => {
    const m = worstByCell(alerts);
    expect(Object.fromEntries(m)).toEqual({ 'jiangan-026': 'red', 'jiangan-027': 'orange', 'qingshan-006': 'orange' });
    expect(worstByCell(alerts.filter((a) => a.id !== 'b-cover')).get('qingshan-006')).toBe<Severity>('blue');
    expect(m.has('hanyang-008')).toBe(false);
  });

  it('falls back to the next worst once the worst is resolved', () => {
    const resolved = alerts.map((a) => (a.id === 'a-red' ? { ...a, state: 'resolved' as const } : a));
    expect(worstByCell(resolved).get('jiangan-026')).toBe('orange');
  });
});
