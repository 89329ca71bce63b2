// Proves readings and camera events become the documented InfluxDB line protocol (tags, typed fields, escaping, ms timestamps), that no tag shares a name with a field, and that countLines counts whole lines only.
import { describe, expect, it } from 'vitest';
import { CATALOGUE, SENSOR_KINDS } from '@citygrid/contract';
import type { StoredCameraEvent, StoredReading } from '../store.js';
import type { AlertEvent } from '@citygrid/contract';
import { EVENT_MEASUREMENT, TAGS, alertEventLine, countLines, eventLine, readingLine } from './line-protocol.js';

const T0 = Date.UTC(2026, 4, 1, 8, 0); // 1777622400000
const RESERVED = ['device', 'grid', 'district', 'kind', 'type', 'seq'];

function reading(over: Partial<StoredReading> = {}): StoredReading {
  return { device: 'wl-1', kind: 'water_level', grid: 'c-a', district: 'east', ts: T0, metrics: { level_cm: 12.5 }, ...over };
}
function event(over: Partial<StoredCameraEvent> = {}): StoredCameraEvent {
  return { device: 'cam-1', ts: T0, type: 'illegal_parking', confidence: 0.875, count: 2, grid: 'c-a', district: 'east', ...over };
}

/** Splits a simple line (no escaped spaces) into measurement, tags, fields and time. */
function parse(line: string) {
  const [head, fields, time, ...rest] = line.split(' ');
  expect(rest).toEqual([]);
  const [measurement, ...tags] = head!.split(',');
  const pairs = (list: string[]) => Object.fromEntries(list.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  return { measurement, tags: pairs(tags), fields: pairs(fields!.split(',')), time };
}

describe('readingLine', () => {
  it('writes a water_level reading as measurement, tags, float field, integer seq and ms time', () => {
    const line = readingLine(reading({ seq: 3 }));
    expect(line).toBe(`water_level,device=wl-1,district=east,grid=c-a,kind=water_level level_cm=12.5,seq=3i ${T0}`);
    expect(line.endsWith(' 1777622400000')).toBe(true); // milliseconds, not nanoseconds
    const p = parse(line);
    expect(p.measurement).toBe('water_level');
    expect(Object.keys(p.tags).sort()).toEqual([...TAGS].sort());
  });

  it('writes an integer-valued metric as a float (never with the i suffix) and omits seq when absent', () => {
    const line = readingLine(reading({ metrics: { level_cm: 12 } }));
    expect(line).toBe(`water_level,device=wl-1,district=east,grid=c-a,kind=water_level level_cm=12 ${T0}`);
    expect(line).not.toMatch(/level_cm=12i/);
    expect(parse(line).fields).toEqual({ level_cm: '12' });
  });

  it('writes negative and zero floats as floats', () => {
    const line = readingLine(reading({ kind: 'bridge', device: 'br-1', metrics: { strain_ue: -250.25, vibration_mm_s: 0 } }));
    expect(parse(line).fields).toEqual({ strain_ue: '-250.25', vibration_mm_s: '0' });
  });

  it('writes booleans as integers 1i / 0i', () => {
    const open = readingLine(reading({ device: 'mh-1', kind: 'manhole_cover', metrics: { tilt_deg: 12, open: true }, seq: 0 }));
    expect(open).toBe(`manhole_cover,device=mh-1,district=east,grid=c-a,kind=manhole_cover open=1i,seq=0i,tilt_deg=12 ${T0}`);
    const closed = readingLine(reading({ device: 'mh-1', kind: 'manhole_cover', metrics: { tilt_deg: 1.5, open: false } }));
    expect(parse(closed).fields).toEqual({ open: '0i', tilt_deg: '1.5' });
  });

  it('escapes spaces, commas and equals signs in tag values', () => {
    const line = readingLine(reading({ district: 'a b,c=d', device: 'wl 1' }));
    expect(line).toBe(`water_level,device=wl\\ 1,district=a\\ b\\,c\\=d,grid=c-a,kind=water_level level_cm=12.5 ${T0}`);
  });
});

describe('eventLine', () => {
  it('writes a camera event with the type tag, float confidence, integer count, escaped string zone and seq', () => {
    const line = eventLine(event({ zone: 'gate "A" north', seq: 7 }));
    expect(line).toBe(
      `camera_event,device=cam-1,district=east,grid=c-a,kind=camera,type=illegal_parking confidence=0.875,count=2i,seq=7i,zone="gate \\"A\\" north" ${T0}`,
    );
  });

  it('escapes backslashes in the zone and leaves out zone and seq when absent', () => {
    expect(eventLine(event({ zone: 'a\\b' }))).toContain('zone="a\\\\b"');
    const bare = eventLine(event({ confidence: 1, count: 0 }));
    expect(bare).toBe(`camera_event,device=cam-1,district=east,grid=c-a,kind=camera,type=illegal_parking confidence=1,count=0i ${T0}`);
  });

  it('keeps every point on one line: newlines in string fields (an operator\'s note) become spaces', () => {
    const alert = {
      id: 'a-1', rule: 'manhole-open', severity: 'orange', grid: 'c-a', district: 'east', state: 'acknowledged', message: 'Manhole\nopen', escalation: 0,
    } as unknown as AlertEvent['alert'];
    const line = alertEventLine({ alertId: 'a-1', seq: 2, ts: T0, type: 'acknowledged', actor: 'operator', note: 'barrier on its way\r\nteam 2\u2028soon', alert });
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('note="barrier on its way team 2 soon"');
    expect(line).toContain('message="Manhole open"');
    expect(countLines(`${line}\n${eventLine(event({ zone: 'x\ny' }))}\n`)).toEqual({ readings: 0, events: 1 });
  });

  it('escapes tag values of events too', () => {
    expect(eventLine(event({ district: 'a b,c=d' }))).toContain(',district=a\\ b\\,c\\=d,');
  });
});

describe('countLines', () => {
  it('counts readings and events in whole lines and ignores a final partial line and blank lines', () => {
    const text = [
      readingLine(reading({ seq: 1 })),
      eventLine(event()),
      '',
      readingLine(reading({ seq: 2 })),
      eventLine(event({ seq: 9 })),
      eventLine(event({ seq: 10 })),
    ].join('\n') + '\ncamera_event,device=cam-1,district=east,grid=c-a,kind=camera,type=crowding confid';
    expect(countLines(text)).toEqual({ readings: 2, events: 3 });
  });

  it('counts nothing in empty or newline-free text', () => {
    expect(countLines('')).toEqual({ readings: 0, events: 0 });
    expect(countLines(readingLine(reading()))).toEqual({ readings: 0, events: 0 });
    expect(countLines(`${readingLine(reading())}\n`)).toEqual({ readings: 1, events: 0 });
  });
});

describe('schema: no tag shares a name with a field', () => {
  it('no catalogue metric is named like a tag or seq', () => {
    for (const kind of SENSOR_KINDS) {
      for (const metric of Object.keys(CATALOGUE[kind])) {
        expect(RESERVED, `${kind}.${metric}`).not.toContain(metric);
      }
    }
  });

  it('the line of every kind has disjoint tag and field names', () => {
    for (const kind of SENSOR_KINDS) {
      const metrics: Record<string, number | boolean> = {};
      for (const [metric, spec] of Object.entries(CATALOGUE[kind])) metrics[metric] = spec.type === 'boolean' ? true : spec.max;
      const p = parse(readingLine(reading({ device: `${kind}-1`, kind, metrics, seq: 1 })));
      expect(p.measurement).toBe(kind);
      const fields = Object.keys(p.fields);
      expect(fields.sort()).toEqual([...Object.keys(metrics), 'seq'].sort());
      expect(Object.keys(p.tags).sort(), kind).toEqual([...TAGS].sort()); // the tags the check below walks
      for (const tag of Object.keys(p.tags)) expect(fields, `${kind} tag ${tag}`).not.toContain(tag);
    }
    const e = parse(eventLine(event({ zone: 'north', seq: 1 })));
    expect(e.measurement).toBe(EVENT_MEASUREMENT);
    expect(Object.keys(e.tags).length).toBeGreaterThan(0);
    for (const tag of Object.keys(e.tags)) expect(Object.keys(e.fields)).not.toContain(tag);
  });
});
