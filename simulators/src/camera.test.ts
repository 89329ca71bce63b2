// Proves camera events match the contract's strict event schema, follow plausible rates, and report waterlogging only in rain.
import { CAMERA_EVENT_TYPES, parseCameraEvent, type CameraEventType } from '@citygrid/contract';
import { describe, expect, it } from 'vitest';
import { CameraModel, MAX_EVENTS_PER_SPAN, type CameraDetection } from './camera.js';
import { Environment } from './environment.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 4, 1);
const DAYS = 10;

function collect(seed: number, cameras = 20): { events: { t: number; e: CameraDetection }[]; env: Environment } {
  const env = new Environment(seed);
  const events: { t: number; e: CameraDetection }[] = [];
  for (let c = 0; c < cameras; c++) {
    const model = new CameraModel({ deviceId: `cam-${c}`, seed, env });
    for (let t = START; t < START + DAYS * 1440 * MINUTE; t += MINUTE) {
      for (const e of model.eventsBetween(t, t + MINUTE)) events.push({ t, e });
    }
  }
  return { events, env };
}

describe('camera model', () => {
  const { events, env } = collect(4);

  it('emits events that parseCameraEvent accepts, with confidence 0.5..0.99', () => {
    expect(events.length).toBeGreaterThan(1000);
    events.forEach(({ t, e }, seq) => {
      const parsed = parseCameraEvent(JSON.stringify({ ts: t, ...e, seq }), 'cam-1', 'camera', t);
      expect(parsed.type).toBe(e.type);
      expect(e.confidence).toBeGreaterThanOrEqual(0.5);
      expect(e.confidence).toBeLessThanOrEqual(0.99);
      expect(Object.keys(e).every((k) => ['type', 'confidence', 'count', 'zone'].includes(k))).toBe(true);
    });
  });

  it('makes illegal parking the most frequent event and smoke or fire very rare', () => {
    const counts = Object.fromEntries(CAMERA_EVENT_TYPES.map((type) => [type, 0])) as Record<CameraEventType, number>;
    for (const { e } of events) counts[e.type]++;
    const others = CAMERA_EVENT_TYPES.filter((type) => type !== 'illegal_parking');
    for (const type of others) expect(counts.illegal_parking).toBeGreaterThan(counts[type]);
    expect(counts.smoke_fire).toBeLessThan(events.length / 200);
  });

  it('reports waterlogging only while it rains or the streets are still wet', () => {
    const logged = events.filter(({ e }) => e.type === 'waterlogging');
    expect(logged.length).toBeGreaterThan(0);
    for (const { t } of logged) expect(env.raining(t + MINUTE / 2) || env.wetness(t + MINUTE / 2) > 3).toBe(true);
  });

  it('caps the events of one long span and is deterministic for a seed', () => {
    const model = new CameraModel({ deviceId: 'cam-x', seed: 1, env: new Environment(1) });
    expect(model.eventsBetween(START, START + 7 * 24 * 60 * MINUTE).length).toBeLessThanOrEqual(MAX_EVENTS_PER_SPAN);
    const a = collect(21, 2).events;
    const b = collect(21, 2).events;
    expect(a).toEqual(b);
  });
});
