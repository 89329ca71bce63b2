// AI camera: the eight event types as Poisson processes whose rates follow the city's
// rhythm (parking by day, crowds at rush hours and evenings, waterlogging only in rain).
// Events carry type, confidence, count and zone only: no images, no personal data.
import type { CameraEventPayload, CameraEventType } from '@citygrid/contract';
import { bell, type Environment } from './environment.js';
import { HOUR, type ModelContext } from './model.js';
import { rngFor, type Rng } from './random.js';

/** A camera event as the model produces it; the device client adds `ts` and `seq`. */
export type CameraDetection = Omit<CameraEventPayload, 'ts' | 'seq'>;

/** At most this many events per call, however long the span (a fast-forwarded clock). */
export const MAX_EVENTS_PER_SPAN = 5;

const ZONES = ['lane-1', 'lane-2', 'sidewalk-north', 'sidewalk-south', 'crossing', 'bus-stop', 'entrance', 'square'] as const;

interface Site {
  parking: number;
  crowd: number;
  vending: number;
  zones: string[];
}

/** Events per hour of each type for this camera at time `t`. */
export function eventRates(env: Environment, site: Site, t: number): Record<CameraEventType, number> {
  const h = env.hour(t);
  const traffic = env.traffic(t);
  const wet = env.wetness(t);
  const raining = env.raining(t);
  const dry = raining ? 0.4 : 1;
  return {
    illegal_parking: (0.3 + 1.7 * traffic) * site.parking,
    crowding: (0.02 + 0.35 * (bell(h, 8, 1) + bell(h, 18, 1.2) + 1.2 * bell(h, 20.5, 1.5))) * site.crowd * dry,
    road_obstruction: 0.06 + 0.1 * traffic,
    stalled_vehicle: (0.03 + 0.1 * traffic) * (1 + Math.min(2, wet * 0.3)),
    smoke_fire: 0.002,
    garbage_overflow: 0.03 + 0.15 * bell(h, 20, 2.5) + 0.08 * bell(h, 13, 2),
    street_vending: (0.05 + 0.5 * bell(h, 19.5, 2) + 0.2 * bell(h, 7.5, 1)) * site.vending * (raining ? 0.2 : 1),
    waterlogging: raining || wet > 3 ? Math.min(4, 0.3 * wet) : 0,
  };
}

function detection(type: CameraEventType, rng: Rng, site: Site): CameraDetection {
  const confidence = Math.round((0.99 - 0.49 * rng.next() ** 2) * 100) / 100;
  const event: CameraDetection = { type, confidence, zone: rng.pick(site.zones) };
  if (type === 'illegal_parking') event.count = 1 + rng.poisson(0.4);
  else if (type === 'crowding') event.count = Math.round(20 + rng.uniform(0, 1) ** 2 * 280);
  else if (type === 'street_vending') event.count = 1 + rng.poisson(1);
  return event;
}

export class CameraModel {
  private readonly site: Site;
  private readonly rng: Rng;
  private readonly env: Environment;

  constructor({ deviceId, seed, env }: ModelContext) {
    const p = rngFor(seed, deviceId, 'params');
    const zones = p.sample(ZONES, p.int(2, 4));
    this.site = { parking: p.uniform(0.5, 2), crowd: p.uniform(0.3, 2), vending: p.uniform(0, 1.5), zones };
    this.rng = rngFor(seed, deviceId, 'events');
    this.env = env;
  }

  /** What the camera detected in the simulated span (from, to]. */
  eventsBetween(from: number, to: number): CameraDetection[] {
    const hours = Math.max(0, to - from) / HOUR;
    if (hours === 0) return [];
    const rates = eventRates(this.env, this.site, (from + to) / 2);
    const events: CameraDetection[] = [];
    for (const [type, rate] of Object.entries(rates) as [CameraEventType, number][]) {
      const n = this.rng.poisson(rate * hours);
      for (let i = 0; i < n; i++) events.push(detection(type, this.rng, this.site));
    }
    return events.slice(0, MAX_EVENTS_PER_SPAN);
  }
}
