// Gas leak scenario: methane rising near a gas main. A fitting starts to seep (the gas-rising
// warning, >10 %LEL), then the pipe cracks and the level reaches an explosive 36-44 %LEL (the red
// gas-leak alert, >25 %LEL); the gas also spreads along the utility tunnel to the nearest other
// detector (within 1.5 km), which sees a weaker rise (gas-rising only). Then the valve is shut and
// the gas clears.
//
// Timeline in scenario time (speed 1, the demo rules as written):
//   normal    0 .. 2 min    the detectors at their normal 0-3 %LEL
//   seeping   ~11 min       rises to 13-16 %LEL in 5 min and stays there (gas-rising after 1 min above 10)
//   leaking   ~11 min       the pipe cracks: 36-44 %LEL within 3 min (gas-leak after 10 s above 25)
//   isolated  15 min        the valve is shut: the gas clears, back to the normal level
//   done                    the detectors back to their normal models
import type { CityDevice } from '@citygrid/contract/node';
import { createModel } from '../kinds/index.js';
import { fit, MINUTE } from '../model.js';
import { rngFor, smoothNoise } from '../random.js';
import { byId, chosenDevice, distanceKm, jitter, lasting, makeRun, nearest, smoothstep, span, target } from './common.js';
import type { ScenarioContext, ScenarioDefinition, ScenarioRun } from './types.js';

export const GAS_LEAK = {
  normalMs: 2 * MINUTE,
  seepRampMs: 5 * MINUTE,
  seepHoldMs: 6 * MINUTE,
  seepPct: [13, 16] as const,
  leakRampMs: 3 * MINUTE,
  leakHoldMs: 8 * MINUTE,
  leakPct: [36, 44] as const,
  /** After the valve is shut the gas clears with this time constant, for clearMs. */
  clearTauMs: 3 * MINUTE,
  clearMs: 15 * MINUTE,
  /** The neighbouring detector sees this share of the rise, this much later. */
  neighbourShare: [0.38, 0.45] as const,
  neighbourDelayMs: MINUTE,
  neighbourMaxKm: 1.5,
  noisePct: 0.3,
  /** The demo rules the storyline is timed for (their hold times, in rule time). */
  gasRisingHoldMs: MINUTE,
  gasLeakHoldMs: 10_000,
} as const;

const nearPipe = (d: CityDevice) => /main|pipe|valve|管|阀/i.test(d.name ?? '');

/**
 * The detector by the pipe: the chosen one, or the first (by id) on a gas main or valve with another
 * detector within 1.5 km, failing that the first on a main or valve, failing that the first; and its
 * nearest neighbour within 1.5 km.
 */
export function pickGasLeakTargets(devices: readonly CityDevice[], deviceId?: string): { pipe: CityDevice; neighbour: CityDevice | null } {
  const chosen = chosenDevice('gas-leak', { devices, device: deviceId } as ScenarioContext, ['gas'], 'a gas detector');
  const gas = devices.filter((d) => d.kind === 'gas').sort(byId);
  const hasNeighbour = (d: CityDevice) => nearest(devices, d, 'gas', GAS_LEAK.neighbourMaxKm).length > 0;
  const pipe = chosen ?? gas.find((d) => nearPipe(d) && hasNeighbour(d)) ?? gas.find(nearPipe) ?? gas[0];
  if (!pipe) throw new Error('gas-leak scenario: the simulated devices include no gas detector');
  return { pipe, neighbour: nearest(devices, pipe, 'gas', GAS_LEAK.neighbourMaxKm)[0] ?? null };
}

export const gasLeakScenario: ScenarioDefinition = {
  name: 'gas-leak',
  description: 'methane rising near a gas main: a seep (gas-rising), a crack (gas-leak, red), spreading to the next detector, then the valve is shut',
  start(ctx: ScenarioContext): ScenarioRun {
    const { pipe, neighbour } = pickGasLeakTargets(ctx.devices, ctx.device);
    const p = rngFor(ctx.seed, pipe.id, 'gas-leak');
    const seepPct = p.uniform(...GAS_LEAK.seepPct);
    const leakPct = p.uniform(...GAS_LEAK.leakPct);
    const share = p.uniform(...GAS_LEAK.neighbourShare);
    const baseOf = (d: CityDevice) => {
      const v = createModel('gas', { deviceId: d.id, seed: ctx.seed, env: ctx.env }).sample(ctx.startSimTime).ch4;
      return Math.min(3, typeof v === 'number' ? v : 1);
    };
    const base = baseOf(pipe);
    const neighbourBase = neighbour ? baseOf(neighbour) : 0;

    // each level lasts its natural time, or long enough (in wall time) for the rule that should see it
    const tSeep = GAS_LEAK.normalMs;
    const seepHold = lasting(ctx, GAS_LEAK.seepHoldMs, GAS_LEAK.gasRisingHoldMs, 2);
    const tLeak = tSeep + GAS_LEAK.seepRampMs + seepHold;
    const leakHold = lasting(ctx, GAS_LEAK.leakHoldMs, GAS_LEAK.gasRisingHoldMs + GAS_LEAK.neighbourDelayMs, 2);
    const tIsolated = tLeak + GAS_LEAK.leakRampMs + leakHold;
    const end = tIsolated + GAS_LEAK.clearMs + GAS_LEAK.neighbourDelayMs;

    /** The leak's methane at the pipe above its normal level (%LEL), without noise. */
    const excess = (s: number): number => {
      if (s < tSeep) return 0;
      const wobble = 1 + 0.06 * smoothNoise(ctx.seed, `${pipe.id}/gas-leak`, s, 2 * MINUTE);
      if (s < tIsolated) {
        const seep = (seepPct - base) * smoothstep(tSeep, tSeep + GAS_LEAK.seepRampMs, s);
        const leak = (leakPct - seepPct) * smoothstep(tLeak, tLeak + GAS_LEAK.leakRampMs, s);
        return (seep + leak) * wobble;
      }
      return (leakPct - base) * Math.exp(-(s - tIsolated) / GAS_LEAK.clearTauMs) * wobble;
    };
    const reading = (id: string, level: number, s: number) => ({ ch4: fit('gas', 'ch4', level + jitter(ctx.seed, id, 'gas-leak-noise', s, GAS_LEAK.noisePct), 2) });

    const notes: string[] = [];
    if (!neighbour) notes.push(`no other gas detector within ${GAS_LEAK.neighbourMaxKm} km of ${pipe.id}: the gas shows on one detector only`);
    const km = neighbour ? distanceKm(pipe.location, neighbour.location).toFixed(1) : '';
    const descriptions = {
      normal: `normal: ${pipe.id} at ~${base.toFixed(1)} %LEL; a fitting on the gas main starts to seep in ${span(tSeep, ctx.speed)}`,
      seeping: `seeping: ${pipe.id} rising to ~${Math.round(seepPct)} %LEL and holding for ${span(seepHold, ctx.speed)} (gas-rising above 10 %LEL)`,
      leaking: `leaking: the pipe cracks; ${pipe.id} reaches ~${Math.round(leakPct)} %LEL (gas-leak above 25 %LEL)${neighbour ? `, and ${neighbour.id} (${km} km along the tunnel) ~${Math.round(neighbourBase + share * (leakPct - base))} %LEL` : ''}`,
      isolated: `isolated: the valve is shut; the gas clears over ${span(GAS_LEAK.clearMs, ctx.speed)}`,
      done: `done: ${pipe.id}${neighbour ? `, ${neighbour.id}` : ''} back to the normal simulation`,
    };
    const summary = `gas leak at ${pipe.id}${pipe.name ? ` (${pipe.name})` : ''} in cell ${pipe.grid}${neighbour ? `, spreading to ${neighbour.id} in ${neighbour.grid}` : ''}; `
      + `the storyline takes ${span(end, ctx.speed)} at speed ${ctx.speed}`;

    return makeRun({
      name: 'gas-leak',
      roles: [target(pipe, 'pipe'), ...(neighbour ? [target(neighbour, 'neighbour')] : [])],
      timeline: [
        { phase: 'normal', at: 0 },
        { phase: 'seeping', at: tSeep },
        { phase: 'leaking', at: tLeak },
        { phase: 'isolated', at: tIsolated },
        { phase: 'done', at: end },
      ],
      summary,
      notes,
      descriptions,
      telemetry(deviceId, s) {
        if (deviceId === pipe.id) return reading(deviceId, base + excess(s), s);
        if (deviceId === neighbour?.id) return reading(deviceId, neighbourBase + share * excess(s - GAS_LEAK.neighbourDelayMs), s);
        return null;
      },
    });
  },
};
