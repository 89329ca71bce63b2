// Scores (考核) per grid cell or district over a period: alerts by colour, median and p90 time to
// acknowledge and to resolve, and the share acknowledged within the colour's deadline.
import { SEVERITIES, type Alert, type Score, type Severity } from '@citygrid/contract';

export type { Score };


function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return Math.round((sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)) / 100) / 10;
}

export function computeScores(alerts: Alert[], by: 'grid' | 'district', deadline: (s: Severity) => number, now: number): Score[] {
  const groups = new Map<string, Alert[]>();
  for (const a of alerts) {
    if (a.partOf) continue; // grouped parts count once, under their incident
    const id = by === 'grid' ? a.grid : a.district;
    (groups.get(id) ?? groups.set(id, []).get(id)!).push(a);
  }
  const scores: Score[] = [];
  for (const [id, list] of groups) {
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const ack: number[] = [];
    const res: number[] = [];
    let needed = 0;
    let inTime = 0;
    for (const a of list) {
      bySeverity[a.severity]++;
      if (a.acknowledgedAt !== null) ack.push(a.acknowledgedAt - a.startedAt);
      if (a.resolvedAt !== null) res.push(a.resolvedAt - a.startedAt);
      // an alert that cleared by itself before anyone had to act, or is still inside its deadline, is not judged
      const due = a.startedAt + deadline(a.severity);
      const judged = a.acknowledgedAt !== null || (a.resolvedBy !== 'system' && a.resolvedAt !== null) || (a.state !== 'resolved' && now > due) || (a.resolvedBy === 'system' && (a.resolvedAt ?? 0) > due);
      if (judged) {
        needed++;
        if (a.acknowledgedAt !== null && a.acknowledgedAt <= due) inTime++;
      }
    }
    ack.sort((x, y) => x - y);
    res.sort((x, y) => x - y);
    scores.push({
      id, alerts: list.length, bySeverity, acknowledged: ack.length, resolved: res.length,
      ackMedianS: quantile(ack, 0.5), ackP90S: quantile(ack, 0.9),
      resolveMedianS: quantile(res, 0.5), resolveP90S: quantile(res, 0.9),
      ackedInTime: needed ? Math.round((inTime / needed) * 1000) / 1000 : null,
      escalated: list.filter((a) => a.escalation > 0).length,
    });
  }
  return scores.sort((x, y) => y.alerts - x.alerts || x.id.localeCompare(y.id));
}
