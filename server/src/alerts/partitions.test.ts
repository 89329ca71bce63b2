// Cluster mode: a replica taking and giving up partitions one at a time (as its leases come and go)
// ends with exactly the rules' devices and routing it would have had taking the final set at once,
// without rebuilding the partitions it kept (their evaluators, hence hold times, stay).
import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf } from '@citygrid/contract';
import { T0, cleanupDirs, floodRule, harness, observation, rule } from './test-fixtures.js';

afterEach(() => cleanupDirs());

const gasRule = () => rule({ id: 'gas', kind: 'threshold', match: { kind: 'gas' }, metric: 'ch4', above: 10, severity: 'red' });

describe('AlertManager.setPartitions, one partition at a time', () => {
  it('routes each device to the rules of the partitions owned now, as taking them at once would', () => {
    const rules = [floodRule(), gasRule()];
    const stepwise = harness({ rules });
    const atOnce = harness({ rules });
    const [pa, pb, pc] = ['c-a', 'c-b', 'c-c'].map((c) => partitionOf(c)) as [number, number, number];
    expect(new Set([pa, pb, pc]).size).toBe(3);
    for (const owned of [[pa], [pa, pb], [pb, pc], [pc], [pa, pc]]) stepwise.manager.setPartitions(owned, T0);
    atOnce.manager.setPartitions([pa, pc], T0);

    const counts = (h: typeof stepwise) => h.manager.rulesStatus().map((r) => [r.id, r.devices]);
    expect(counts(stepwise)).toEqual(counts(atOnce));
    expect(counts(stepwise)).toEqual([['flood', 1], ['gas', 1]]); // wl-a in c-a, gas-c in c-c; wl-b's c-b is not owned

    const routed = (h: typeof stepwise) => {
      h.fake.observed.length = 0;
      for (const d of ['wl-a', 'wl-b', 'gas-c']) h.manager.observe([observation(h.city, d, T0 + 1000, d.startsWith('gas') ? { ch4: 1 } : { level_cm: 5 })], T0 + 1000);
      return h.fake.observed.map((o) => `${o.rule}:${o.o.device.id}`).sort();
    };
    expect(routed(stepwise)).toEqual(['flood:wl-a', 'gas:gas-c']);
    expect(routed(atOnce)).toEqual(routed(stepwise));
  });

  it('keeps the evaluators of the partitions it holds on to and makes new ones only for those it takes', () => {
    const h = harness({ rules: [floodRule(), gasRule()] });
    const [pa, pb, pc] = ['c-a', 'c-b', 'c-c'].map((c) => partitionOf(c)) as [number, number, number];
    h.manager.setPartitions([pc], T0);
    const made = () => h.fake.created.map((c) => `${c.rule.id}:${c.devices.map((d) => d.id).join(',')}`);
    const before = made().length;
    h.manager.setPartitions([pc, pa], T0);
    h.manager.setPartitions([pc, pa, pb], T0);
    h.manager.setPartitions([pc, pb], T0);
    // gas-c's evaluator (partition of c-c) was made once; wl-a's and wl-b's once each when taken
    expect(made().slice(before)).toEqual(['flood:wl-a', 'flood:wl-b']);
    expect(made().slice(before).filter((m) => m === 'gas:gas-c')).toHaveLength(0);
    h.manager.setPartitions([pc, pb, pa], T0);
    expect(made().slice(-1)).toEqual(['flood:wl-a']); // given up, then taken again: a fresh one
  });
});
