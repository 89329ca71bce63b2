// Which maintenance windows are in force, and what they apply to: pure, for the map, the device list and the page.
import type { MaintenanceWindow } from '@citygrid/contract';

export type MaintenanceKind = 'device' | 'grid' | 'rule';

export function kindOf(w: Pick<MaintenanceWindow, 'target'>): MaintenanceKind {
  return 'device' in w.target ? 'device' : 'grid' in w.target ? 'grid' : 'rule';
}

export function targetOf(w: Pick<MaintenanceWindow, 'target'>): string {
  const t = w.target as Record<string, string>;
  return t[kindOf(w)]!;
}

/**
 * A window the server started "now" carries the server's clock, which may be a little ahead of this
 * page's one-second clock (or of this device's clock): within this much it counts as started.
 */
export const START_SLACK_MS = 2000; // 2 seconds

export function started(w: Pick<MaintenanceWindow, 'from'>, now: number): boolean {
  return w.from <= now + START_SLACK_MS;
}

/** The windows in force at `now`, by kind: the ids of their devices, cells and rules. */
export function inForce(windows: readonly MaintenanceWindow[], now: number): Record<MaintenanceKind, Map<string, MaintenanceWindow>> {
  const out = { device: new Map<string, MaintenanceWindow>(), grid: new Map<string, MaintenanceWindow>(), rule: new Map<string, MaintenanceWindow>() };
  for (const w of windows) if (started(w, now) && now < w.until) out[kindOf(w)].set(targetOf(w), w);
  return out;
}

/** The window a device is under now: its own, or its cell's. */
export function deviceWindow(active: Record<MaintenanceKind, Map<string, MaintenanceWindow>>, device: { id: string; grid: string }): MaintenanceWindow | undefined {
  return active.device.get(device.id) ?? active.grid.get(device.grid);
}
