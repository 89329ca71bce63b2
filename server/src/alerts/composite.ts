// Composite rules: several signals in the same grid cell within a window make one incident. The parts'
// alerts are grouped under it so the control room sees one incident, not five.
import { renderDetail, type Alert, type AlertDetail, type CompositeRule } from '@citygrid/contract';
import type { Condition } from '../rules/types.js';

export interface CompositeInputs {
  now: number;
  /** Alerts of a rule in a cell: open ones, and those started within the window. */
  alertsOf(rule: string, grid: string, since: number): Alert[];
  /** Timestamps of recent camera events of a type in a cell. */
  cameraEvents(grid: string, type: string, since: number): number;
  /** Grid cells where any part has something going on. */
  candidateGrids(): Iterable<string>;
  districtOf(grid: string): string;
}

/** The composite's condition for every candidate cell (active when every part is present). */
export function evaluateComposite(rule: CompositeRule, input: CompositeInputs): Condition[] {
  const since = input.now - rule.within;
  const out: Condition[] = [];
  for (const grid of input.candidateGrids()) {
    const parts: Alert[] = [];
    const present: Extract<AlertDetail, { key: 'composite.active' }>['params']['signals'] = [];
    let all = true;
    for (const part of rule.all) {
      if (typeof part === 'string') {
        const alerts = input.alertsOf(part, grid, since);
        if (alerts.length === 0) all = false;
        else {
          parts.push(...alerts);
          present.push({ rule: part });
        }
      } else {
        const n = input.cameraEvents(grid, part.camera, since);
        if (n === 0) all = false;
        else present.push({ camera: part.camera, count: n });
      }
    }
    const c = {
      key: grid,
      devices: [...new Set(parts.flatMap((p) => p.devices))],
      grid,
      district: input.districtOf(grid),
      values: { parts: parts.map((p) => p.id).join(',') },
    };
    if (all) {
      const text: AlertDetail = { key: 'composite.active', params: { signals: present, within_ms: rule.within } };
      out.push({ ...c, status: 'active', text, detail: renderDetail(text, 'en') });
    } else out.push({ ...c, status: 'clear', detail: 'the signals no longer coincide' });
  }
  return out;
}
