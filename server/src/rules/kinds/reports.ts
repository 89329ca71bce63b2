// reports: at least N residents' reports of one category in one grid cell within a sliding window.
import { renderDetail, type ReportsRule } from '@citygrid/contract';
import type { Condition, ReportsEvaluator, RuleDevice } from '../types.js';
import { keeps, round } from './shared.js';

interface Hit { ts: number; receipt: string }
interface CellState { grid: string; district: string; hits: Hit[] }

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Counts the reports of the rule's category per cell (those that joined no open alert: the alert
 * manager sends only those here) filed within the last `within`. At `count` the condition is active
 * once, naming its reports, and the cell starts counting again from nothing: those reports now belong
 * to the alert it raises, which holds until a person closes it (reports never clear it). Nothing is
 * reported on tick; old reports leave the window silently.
 */
export function createReportsEvaluator(rule: ReportsRule, _devices: RuleDevice[] = []): ReportsEvaluator {
  const cells = new Set(asList(rule.match.grid));
  const districts = new Set(asList(rule.match.district));
  const states = new Map<string, CellState>();
  const prune = (s: CellState, now: number) => { s.hits = s.hits.filter((h) => h.ts > now - rule.within); };

  return {
    rule,
    ...keeps({ states }),
    observe: () => [],
    observeReport(o, now) {
      if (o.category !== rule.category) return [];
      if ((cells.size && !cells.has(o.grid)) || (districts.size && !districts.has(o.district))) return [];
      const s = states.get(o.grid) ?? states.set(o.grid, { grid: o.grid, district: o.district, hits: [] }).get(o.grid)!;
      if (!s.hits.some((h) => h.receipt === o.receipt)) s.hits.push({ ts: o.ts, receipt: o.receipt });
      prune(s, now);
      if (s.hits.length < rule.count) {
        if (!s.hits.length) states.delete(o.grid);
        return [];
      }
      states.delete(o.grid);
      const text = { key: 'reports.active' as const, params: { category: rule.category, count: s.hits.length, window_ms: rule.within } };
      const c: Condition = {
        key: s.grid, grid: s.grid, district: s.district, devices: [], status: 'active',
        values: { reports: s.hits.length, window_min: round(rule.within / 60_000) },
        text, detail: renderDetail(text, 'en'), reports: s.hits.map((h) => h.receipt),
      };
      return [c];
    },
    forget(o) {
      const s = states.get(o.grid);
      if (!s) return;
      s.hits = s.hits.filter((h) => h.receipt !== o.receipt);
      if (!s.hits.length) states.delete(o.grid);
    },
    tick(now) {
      for (const [grid, s] of states) {
        prune(s, now);
        if (!s.hits.length) states.delete(grid);
      }
      return [];
    },
  };
}
