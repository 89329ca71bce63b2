// Traffic incident scenario: a collision blocks two lanes of a road. The camera nearest the traffic
// detector sees the stalled vehicles and then the obstruction about every minute (road-obstruction);
// the detector's speed falls to a standstill, 3-7 km/h, occupancy climbs over 85 % and the flow
// drops to a quarter (traffic-jam after 10 min below 8 km/h). A tow truck clears the lanes and the
// traffic recovers.
//
// Timeline in scenario time (speed 1, the demo rules as written):
//   normal     0 .. 2 min   the road at its normal speed
//   crash      3 min        two stalled vehicles on camera; the speed falls
//   blocked    ~20 min      standstill, the camera sees the obstruction about every minute
//   clearing   10 min       the lanes are cleared; the speed recovers
//   done                    the detector and the camera back to their normal models
import type { CityDevice } from '@citygrid/contract/node';
import type { CameraDetection } from '../camera.js';
import { createModel } from '../kinds/index.js';
import { fit, MINUTE, type Metrics } from '../model.js';
import { rngFor } from '../random.js';
import { byId, chosenDevice, distanceKm, jitter, lasting, makeRun, nearest, smoothstep, span, target } from './common.js';
import type { ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';

export const TRAFFIC_INCIDENT = {
  normalMs: 2 * MINUTE,
  crashMs: 3 * MINUTE,
  blockedMs: 20 * MINUTE,
  clearingMs: 10 * MINUTE,
  /** Standstill speed (km/h), occupancy (%) and the share of the normal flow that still passes. */
  jamSpeed: [3, 7] as const,
  jamOccupancy: [88, 95] as const,
  jamFlowShare: 0.25,
  /** The camera sees the obstruction about this often while the lanes are blocked. */
  obstructionEveryMs: MINUTE,
  /** Stalled vehicles seen this long after the crash. */
  stalledAtMs: [30_000, 90_000] as const,
  cameraMaxKm: 1.5,
  /** The demo rules the storyline is timed for. */
  jamHoldMs: 10 * MINUTE,
} as const;

/** The detector (chosen, or the one with a camera in its cell, else the one nearest a camera) and that camera. */
export function pickTrafficTargets(devices: readonly CityDevice[], deviceId?: string): { detector: CityDevice; camera: CityDevice | null } {
  const chosen = chosenDevice('traffic-incident', { devices, device: deviceId } as ScenarioContext, ['traffic'], 'a traffic detector');
  const cameraFor = (d: CityDevice) => devices.filter((c) => c.kind === 'camera' && c.grid === d.grid).sort(byId)[0] ?? nearest(devices, d, 'camera', TRAFFIC_INCIDENT.cameraMaxKm)[0] ?? null;
  const score = (d: CityDevice) => {
    const c = cameraFor(d);
    return c === null ? Infinity : c.grid === d.grid ? -1 : distanceKm(d.location, c.location);
  };
  const detector = chosen ?? devices.filter((d) => d.kind === 'traffic').sort((a, b) => score(a) - score(b) || a.id.localeCompare(b.id))[0];
  if (!detector) throw new Error('traffic-incident scenario: the simulated devices include no traffic detector');
  return { detector, camera: cameraFor(detector) };
}

export const trafficIncidentScenario: ScenarioDefinition = {
  name: 'traffic-incident',
  description: 'a collision blocks a road: stalled vehicles and the obstruction on camera, the speed down to a standstill, then the lanes are cleared',
  start(ctx: ScenarioContext): ScenarioRun {
    const { detector, camera } = pickTrafficTargets(ctx.devices, ctx.device);
    const p = rngFor(ctx.seed, detector.id, 'traffic-incident');
    const jamSpeed = p.uniform(...TRAFFIC_INCIDENT.jamSpeed);
    const jamOccupancy = p.uniform(...TRAFFIC_INCIDENT.jamOccupancy);
    const base = createModel('traffic', { deviceId: detector.id, seed: ctx.seed, env: ctx.env }).sample(ctx.startSimTime);
    const baseSpeed = Math.max(20, base.speed as number); // a road already jammed would hide the incident
    const baseFlow = base.flow as number;
    const baseOccupancy = Math.min(40, base.occupancy as number);

    const tCrash = TRAFFIC_INCIDENT.normalMs;
    const tBlocked = tCrash + TRAFFIC_INCIDENT.crashMs;
    const blocked = lasting(ctx, TRAFFIC_INCIDENT.blockedMs, TRAFFIC_INCIDENT.jamHoldMs, 1.4);
    const tClearing = tBlocked + blocked;
    const end = tClearing + TRAFFIC_INCIDENT.clearingMs;

    /** How jammed the road is, 0 (normal) to 1 (standstill). */
    const jam = (s: number) => smoothstep(tCrash, tBlocked, s) * (1 - smoothstep(tClearing, end, s));
    const reading = (s: number): Metrics => {
      const j = jam(s);
      return {
        flow: fit('traffic', 'flow', baseFlow * (1 - j * (1 - TRAFFIC_INCIDENT.jamFlowShare)) + jitter(ctx.seed, detector.id, 'incident-flow', s, 1.5), 0),
        speed: fit('traffic', 'speed', baseSpeed + (jamSpeed - baseSpeed) * j + jitter(ctx.seed, detector.id, 'incident-speed', s, j > 0.9 ? 1 : 2)),
        occupancy: fit('traffic', 'occupancy', baseOccupancy + (jamOccupancy - baseOccupancy) * j + jitter(ctx.seed, detector.id, 'incident-occ', s, 1.5)),
      };
    };

    /** The camera's detections in (from, to]: two stalled vehicles after the crash, then the obstruction about every minute until cleared. */
    const detections = (from: number, to: number): CameraDetection[] => {
      const out: { at: number; event: CameraDetection }[] = [];
      const cam = camera!.id;
      TRAFFIC_INCIDENT.stalledAtMs.forEach((after, i) => {
        const r = rngFor(ctx.seed, cam, 'incident-stalled', i);
        const at = tCrash + after;
        if (at > from && at <= to) out.push({ at, event: { type: 'stalled_vehicle', confidence: Math.round(r.uniform(0.82, 0.96) * 100) / 100, zone: r.pick(['lane-1', 'lane-2']) } });
      });
      const every = TRAFFIC_INCIDENT.obstructionEveryMs;
      for (let k = Math.max(0, Math.floor((from - tCrash) / every) - 1); k * every + tCrash <= to + every; k++) {
        const r = rngFor(ctx.seed, cam, 'incident-obstruction', k);
        const at = tCrash + (k + 1) * every + r.uniform(-0.3, 0.3) * every;
        if (at <= from || at > to || at >= tClearing) continue;
        out.push({ at, event: { type: 'road_obstruction', confidence: Math.round(r.uniform(0.78, 0.95) * 100) / 100, zone: r.pick(['lane-1', 'lane-2']) } });
      }
      return out.sort((a, b) => a.at - b.at).map((d) => d.event);
    };

    const notes: string[] = [];
    if (!camera) notes.push(`no camera within ${TRAFFIC_INCIDENT.cameraMaxKm} km of ${detector.id}: the incident shows only in the traffic data (no road-obstruction alert)`);
    else if (camera.grid !== detector.grid) notes.push(`${detector.id}'s cell ${detector.grid} has no camera: the nearest, ${camera.id} in ${camera.grid} (${distanceKm(detector.location, camera.location).toFixed(1)} km), watches the crash`);
    const descriptions = {
      normal: `normal: ${detector.id} at ~${Math.round(baseSpeed)} km/h; a collision in ${span(tCrash, ctx.speed)}`,
      crash: `crash: two lanes blocked${camera ? `; ${camera.id} sees stalled vehicles` : ''}; the speed falls towards ~${Math.round(jamSpeed)} km/h`,
      blocked: `blocked: standstill at ~${Math.round(jamSpeed)} km/h, occupancy ~${Math.round(jamOccupancy)} % for ${span(blocked, ctx.speed)}${camera ? `; ${camera.id} sees the obstruction about every minute` : ''}`,
      clearing: `clearing: the lanes are cleared; the speed recovers over ${span(TRAFFIC_INCIDENT.clearingMs, ctx.speed)}`,
      done: `done: ${detector.id}${camera ? `, ${camera.id}` : ''} back to the normal simulation`,
    };
    const summary = `collision at ${detector.id}${detector.name ? ` (${detector.name})` : ''} in cell ${detector.grid}, camera ${camera ? `${camera.id} in ${camera.grid}` : 'none'}; `
      + `the storyline takes ${span(end, ctx.speed)} at speed ${ctx.speed}`;

    return makeRun({
      name: 'traffic-incident',
      roles: [target(detector, 'detector'), ...(camera ? [target(camera, 'camera')] : [])],
      timeline: [
        { phase: 'normal', at: 0 },
        { phase: 'crash', at: tCrash },
        { phase: 'blocked', at: tBlocked },
        { phase: 'clearing', at: tClearing },
        { phase: 'done', at: end },
      ],
      summary,
      notes,
      descriptions,
      cameraTypes: ['stalled_vehicle', 'road_obstruction'],
      telemetry: (deviceId, s) => (deviceId === detector.id ? reading(s) : null),
      events: (deviceId, from, to) => (deviceId === camera?.id ? detections(from, to) : []),
    });
  },
};
