// A grid cell's readings per metric, over all its devices that measure it (GET /api/cells/:id/readings):
// which numeric metrics a cell's devices have, and the merge of their buckets into one series. Pure.
import { metricsOf, type BucketPoint, type DeviceKind } from '@citygrid/contract';

export interface CellMetric { metric: string; kind: DeviceKind; unit: string; devices: string[] }

/** The numeric metrics of these devices, in catalogue order, each with the devices that measure it. */
export function cellMetrics(devices: readonly { id: string; kind: DeviceKind }[]): CellMetric[] {
  const byMetric = new Map<string, CellMetric>();
  for (const d of devices) {
    for (const [metric, spec] of Object.entries(metricsOf(d.kind))) {
      if (spec.type !== 'number') continue;
      const entry = byMetric.get(metric) ?? { metric, kind: d.kind, unit: spec.unit, devices: [] };
      entry.devices.push(d.id);
      byMetric.set(metric, entry);
    }
  }
  return [...byMetric.values()].sort((a, b) => a.kind.localeCompare(b.kind) || order(a) - order(b));
}

const order = (m: CellMetric) => Object.keys(metricsOf(m.kind)).indexOf(m.metric);

/**
 * Buckets of several devices (the same step, aligned to it, as every store gives them) merged into one
 * series: per bucket the mean weighted by each device's reading count, the lowest min, the highest max
 * and the sum of the counts. A bucket only one device had is that device's.
 */
export function mergeBuckets(series: readonly (readonly BucketPoint[])[]): BucketPoint[] {
  const byTs = new Map<number, { sum: number; min: number; max: number; count: number }>();
  for (const points of series) {
    for (const p of points) {
      const count = p.count > 0 ? p.count : 1;
      const b = byTs.get(p.ts);
      if (!b) {
        byTs.set(p.ts, { sum: p.mean * count, min: p.min, max: p.max, count });
        continue;
      }
      b.sum += p.mean * count;
      b.count += count;
      if (p.min < b.min) b.min = p.min;
      if (p.max > b.max) b.max = p.max;
    }
  }
  return [...byTs].sort(([a], [b]) => a - b).map(([ts, b]) => ({ ts, mean: b.sum / b.count, min: b.min, max: b.max, count: b.count }));
}
