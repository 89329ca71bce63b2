// SIMULATE=1: the demo city's devices, in-process, connecting to the broker like real ones.
import type { City } from '@citygrid/contract/node';
import { startSimulator } from '@citygrid/simulators';
import type { Logger } from 'pino';

export interface DemoSimulator { stop(): Promise<void> }

export async function startDemoSimulator(o: { city: City; url: string; intervalMs: number; scenario: string | null; speed: number; logger: Logger }): Promise<DemoSimulator> {
  const sim = await startSimulator({ city: o.city, url: o.url, intervalMs: o.intervalMs, scenario: o.scenario, speed: o.speed, logger: o.logger });
  o.logger.info({ devices: o.city.devices.length, intervalMs: o.intervalMs, scenario: o.scenario, speed: o.speed }, 'demo city simulator started');
  return { stop: () => sim.stop() };
}
