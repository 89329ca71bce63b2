// Pollution scenario: a PM2.5 episode (重污染) drifting across the city on a west wind. A haze plume
// reaches the westernmost air stations first and moves east at ~15 km/h, district by district; at
// each station PM2.5 climbs over ~20 min to 175-300 µg/m³ (pm25-heavy above 150, pm25-severe above
// 250 near the plume's core), stays there, then clears as the plume moves on.
//
// Targets: up to two air stations per district, those nearest the plume's axis (the latitude of the
// centre station: the chosen device, or the station nearest the middle of all of them).
//
// Timeline in scenario time (speed 1, the demo rules as written):
//   normal         0 .. 2 min        every station at its normal level
//   over-<d>       one per district  the plume reaches district d's first station (west to east)
//   clearing                          the last station's PM2.5 starts to fall
//   done                              every station back to its normal model
import type { CityDevice } from '@citygrid/contract/node';
import { createModel } from '../kinds/index.js';
import { fit, MINUTE, type Metrics } from '../model.js';
import { rngFor, smoothNoise } from '../random.js';
import { chosenDevice, distanceKm, jitter, lasting, makeRun, smoothstep, span, target } from './common.js';
import type { PhaseStart, ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';

export const POLLUTION = {
  normalMs: 2 * MINUTE,
  driftKmH: 15,
  riseMs: 20 * MINUTE,
  holdMs: 25 * MINUTE,
  fallMs: 25 * MINUTE,
  /** PM2.5 at the plume's edge, and at its core (drawn); in between it falls off with distance from the centre station. */
  edgePm25: 175,
  corePm25: [285, 305] as const,
  coreKm: 5,
  perDistrict: 2,
  /** The demo rules the storyline is timed for. */
  pm25HoldMs: 10 * MINUTE,
} as const;

interface Station { device: CityDevice; arrival: number; peak: number; base: Metrics }

/** The centre station and up to two stations per district nearest the plume's axis, west to east. */
export function pickPollutionTargets(devices: readonly CityDevice[], deviceId?: string): { centre: CityDevice; stations: CityDevice[] } {
  const air = devices.filter((d) => d.kind === 'air_quality');
  if (air.length === 0) throw new Error('pollution scenario: the simulated devices include no air_quality station');
  const chosen = chosenDevice('pollution', { devices, device: deviceId } as ScenarioContext, ['air_quality'], 'an air_quality station');
  const middle = [air.reduce((a, d) => a + d.location[0], 0) / air.length, air.reduce((a, d) => a + d.location[1], 0) / air.length];
  const centre = chosen ?? [...air].sort((a, b) => distanceKm(a.location, middle) - distanceKm(b.location, middle) || a.id.localeCompare(b.id))[0]!;
  const axis = centre.location[1];
  const stations: CityDevice[] = [];
  for (const district of [...new Set(air.map((d) => d.district))]) {
    const inDistrict = air.filter((d) => d.district === district)
      .sort((a, b) => Number(b.id === centre.id) - Number(a.id === centre.id) || Math.abs(a.location[1] - axis) - Math.abs(b.location[1] - axis) || a.id.localeCompare(b.id));
    stations.push(...inDistrict.slice(0, POLLUTION.perDistrict));
  }
  stations.sort((a, b) => a.location[0] - b.location[0] || a.id.localeCompare(b.id));
  return { centre, stations };
}

export const pollutionScenario: ScenarioDefinition = {
  name: 'pollution',
  description: 'a PM2.5 episode drifting across the districts on a west wind: pm25-heavy district by district, pm25-severe at its core',
  start(ctx: ScenarioContext): ScenarioRun {
    const { centre, stations: devices } = pickPollutionTargets(ctx.devices, ctx.device);
    const p = rngFor(ctx.seed, centre.id, 'pollution');
    const core = p.uniform(...POLLUTION.corePm25);
    const west = Math.min(...devices.map((d) => d.location[0]));
    const kmPerDegree = 111.32 * Math.cos((centre.location[1] * Math.PI) / 180);
    const hold = lasting(ctx, POLLUTION.holdMs, POLLUTION.pm25HoldMs, 1.5);
    const stations = new Map<string, Station>(devices.map((d) => {
      const km = distanceKm(centre.location, d.location);
      const base = createModel('air_quality', { deviceId: d.id, seed: ctx.seed, env: ctx.env }).sample(ctx.startSimTime);
      return [d.id, {
        device: d,
        arrival: POLLUTION.normalMs + Math.round(((d.location[0] - west) * kmPerDegree / POLLUTION.driftKmH) * 60 * MINUTE),
        peak: POLLUTION.edgePm25 + (core - POLLUTION.edgePm25) * Math.exp(-((km / POLLUTION.coreKm) ** 2)),
        base,
      }];
    }));
    const all = [...stations.values()];
    const clearing = Math.max(...all.map((s) => s.arrival)) + POLLUTION.riseMs + hold;
    const end = clearing + POLLUTION.fallMs;

    const districts: { district: string; at: number; ids: string[] }[] = [];
    for (const s of [...all].sort((a, b) => a.arrival - b.arrival)) {
      const entry = districts.find((d) => d.district === s.device.district);
      if (entry) entry.ids.push(s.device.id);
      else districts.push({ district: s.device.district, at: s.arrival, ids: [s.device.id] });
    }
    const timeline: PhaseStart[] = [{ phase: 'normal', at: 0 }, ...districts.map((d) => ({ phase: `over-${d.district}`, at: d.at })), { phase: 'clearing', at: clearing }, { phase: 'done', at: end }];

    /** PM2.5 at a station without the reading noise. */
    const pm25 = (st: Station, s: number): number => {
      const fallFrom = st.arrival + POLLUTION.riseMs + hold;
      const shape = smoothstep(st.arrival, st.arrival + POLLUTION.riseMs, s) * (1 - smoothstep(fallFrom, fallFrom + POLLUTION.fallMs, s));
      const base = st.base.pm25 as number;
      return base + (st.peak - base) * shape * (1 + 0.03 * smoothNoise(ctx.seed, `${st.device.id}/pollution`, s, 5 * MINUTE));
    };

    const descriptions: Record<string, string> = {
      normal: `normal: a haze plume is coming on a west wind (~${POLLUTION.driftKmH} km/h); it reaches ${districts[0]?.district ?? '-'} in ${span(districts[0]?.at ?? 0, ctx.speed)}`,
      clearing: `clearing: the plume has crossed the city; PM2.5 falls back over ${span(POLLUTION.fallMs, ctx.speed)}`,
      done: `done: ${all.length} air stations back to the normal simulation`,
    };
    for (const d of districts) {
      const peaks = d.ids.map((id) => Math.round(stations.get(id)!.peak));
      descriptions[`over-${d.district}`] = `over-${d.district}: the plume reaches ${d.district} (${d.ids.join(', ')}); PM2.5 climbing to ~${peaks.join('/')} µg/m³ over ${span(POLLUTION.riseMs, ctx.speed)}`;
    }
    const summary = `PM2.5 episode drifting west to east over ${districts.map((d) => d.district).join(' → ')} (${all.length} air stations), core over ${centre.id} in ${centre.grid} at ~${Math.round(core)} µg/m³; `
      + `the storyline takes ${span(end, ctx.speed)} at speed ${ctx.speed}`;

    return makeRun({
      name: 'pollution',
      roles: [target(centre, 'core'), ...devices.filter((d) => d.id !== centre.id).map((d) => target(d, 'station'))],
      timeline,
      summary,
      notes: [],
      descriptions,
      telemetry(deviceId, s) {
        const st = stations.get(deviceId);
        if (!st) return null;
        const base = st.base;
        const v = pm25(st, s) * (1 + jitter(ctx.seed, deviceId, 'pollution-noise', s, 0.03));
        const extra = v - (base.pm25 as number);
        return {
          pm25: fit('air_quality', 'pm25', v),
          pm10: fit('air_quality', 'pm10', (base.pm10 as number) + 1.3 * extra + jitter(ctx.seed, deviceId, 'pollution-pm10', s, 4)),
          no2: fit('air_quality', 'no2', (base.no2 as number) + jitter(ctx.seed, deviceId, 'pollution-no2', s, 3)),
          o3: fit('air_quality', 'o3', (base.o3 as number) * 0.8 + jitter(ctx.seed, deviceId, 'pollution-o3', s, 3)),
        };
      },
    });
  },
};
