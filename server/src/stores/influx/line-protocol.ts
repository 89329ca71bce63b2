// The InfluxDB schema, as line protocol (through the client library's Point, which escapes correctly).
//   measurement = the sensor kind (air_quality, water_level, ...), one per kind; camera events in `camera_event`
//   tags        = device, grid, district, kind (and `type` for camera events)
//   fields      = the kind's metrics as floats; booleans as integers 0/1 (so mean() = share of time true); `seq` integer
//   time        = epoch milliseconds (writes use precision=ms)
// No tag shares a name with a field (InfluxDB 3 refuses that): the catalogue has no metric called
// device, grid, district, kind, type or seq.
import { Point } from '@influxdata/influxdb-client';
import type { AlertEvent } from '@citygrid/contract';
import type { StoredCameraEvent, StoredReading, StoredReportEvent } from '../store.js';

export const EVENT_MEASUREMENT = 'camera_event';
export const ALERT_MEASUREMENT = 'alert_event';
export const REPORT_MEASUREMENT = 'resident_report';
export const TAGS = ['device', 'grid', 'district', 'kind'] as const;

/**
 * String fields on one line: the client library escapes quotes and backslashes but leaves a newline
 * raw, and a raw newline splits the point across two lines of the spool (whose segments, torn-line
 * checks and counts work by line) and of the request to InfluxDB. Notes written by people can hold
 * newlines; the record of truth (alerts.db) keeps them.
 */
const oneLine = (s: string): string => s.replace(/[\r\n\u2028\u2029]+/g, ' ');

export function readingLine(r: StoredReading): string {
  const p = new Point(r.kind).tag('device', r.device).tag('grid', r.grid).tag('district', r.district).tag('kind', r.kind);
  for (const metric in r.metrics) {
    const v = r.metrics[metric]!;
    if (typeof v === 'boolean') p.intField(metric, v ? 1 : 0);
    else p.floatField(metric, v);
  }
  if (r.seq !== undefined) p.intField('seq', r.seq);
  return p.timestamp(r.ts).toLineProtocol()!;
}

export function eventLine(e: StoredCameraEvent): string {
  const p = new Point(EVENT_MEASUREMENT)
    .tag('device', e.device).tag('grid', e.grid).tag('district', e.district).tag('kind', 'camera').tag('type', e.type)
    .floatField('confidence', e.confidence).intField('count', e.count);
  if (e.zone !== undefined) p.stringField('zone', oneLine(e.zone));
  if (e.seq !== undefined) p.intField('seq', e.seq);
  return p.timestamp(e.ts).toLineProtocol()!;
}

/** An alert transition: tags rule, severity, grid, district, event; the rest as fields. */
export function alertEventLine(e: AlertEvent): string {
  const a = e.alert;
  const p = new Point(ALERT_MEASUREMENT)
    .tag('rule', a.rule).tag('severity', a.severity).tag('grid', a.grid).tag('district', a.district).tag('event', e.type)
    .stringField('alert_id', a.id).stringField('state', a.state).stringField('actor', oneLine(e.actor)).stringField('message', oneLine(a.message))
    .intField('escalation', a.escalation).intField('event_seq', e.seq);
  if (e.note) p.stringField('note', oneLine(e.note));
  return p.timestamp(e.ts).toLineProtocol()!;
}

/**
 * A resident's report filed, or closed with the alert it joined: tags grid, district, category, event;
 * the receipt (and the alert) as fields. Never its text or the outcome: those stay in the report store,
 * which removes them after RETAIN_REPORT_TEXT_DAYS.
 */
export function reportLine(r: StoredReportEvent): string {
  const p = new Point(REPORT_MEASUREMENT)
    .tag('grid', r.grid).tag('district', r.district).tag('category', r.category).tag('event', r.event)
    .stringField('receipt', r.receipt);
  if (r.alertId) p.stringField('alert_id', r.alertId);
  return p.timestamp(r.ts).toLineProtocol()!;
}

/** Readings and events in a block of line protocol (for counting what a replayed segment held). */
export function countLines(text: string): { readings: number; events: number } {
  let readings = 0;
  let events = 0;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    if (end > start) {
      if (text.startsWith(`${ALERT_MEASUREMENT},`, start) || text.startsWith(`${REPORT_MEASUREMENT},`, start)) { /* alert transitions and reports: neither readings nor camera events */ }
      else if (text.startsWith(`${EVENT_MEASUREMENT},`, start)) events++;
      else readings++;
    }
    start = end + 1;
  }
  return { readings, events };
}
