// The video wall's rules, pure: what its URL asks for (#/wall?rotate=<s>&lang=<locale>), which district is
// in focus at a moment of the rotation and when the next one comes, and a district's (or the city's)
// headline numbers. Unit-tested in wall.test.ts.
import { SEVERITIES, type Alert, type Severity } from '@citygrid/contract';
import { isOverdue } from './alerts';

/** Seconds each district stays in focus when the URL does not say (s). */
export const ROTATE_DEFAULT_S = 20;
/** The bounds a URL's rotate= is held to (s): quicker is unreadable, slower is a still picture. */
export const ROTATE_MIN_S = 2;
export const ROTATE_MAX_S = 3600;

export interface WallParams { rotateS: number; lang: 'zh-CN' | 'en' | null }

/** rotate= (whole seconds, held within bounds; default when absent or not a number) and lang=. */
export function parseWallParams(hash: string): WallParams {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  const raw = q.get('rotate');
  const n = raw !== null && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  const rotateS = Number.isFinite(n) ? Math.min(ROTATE_MAX_S, Math.max(ROTATE_MIN_S, n)) : ROTATE_DEFAULT_S;
  const lang = q.get('lang');
  return { rotateS, lang: lang === 'zh-CN' || lang === 'en' ? lang : null };
}

export interface RotationStep {
  /** Index of the district in focus (-1 without districts). */
  index: number;
  /** Index of the one after it. */
  next: number;
  /** Epoch ms when the next one takes over. */
  nextAt: number;
}

/** Where a rotation that started at `startedAt` over `count` districts, `periodMs` each, stands at `now`. */
export function rotationAt(count: number, startedAt: number, now: number, periodMs: number): RotationStep {
  if (count <= 0 || periodMs <= 0) return { index: -1, next: -1, nextAt: Infinity };
  const step = Math.max(0, Math.floor((now - startedAt) / periodMs));
  return { index: step % count, next: (step + 1) % count, nextAt: startedAt + (step + 1) * periodMs };
}

export interface AreaKpis {
  devicesOnline: number;
  devicesTotal: number;
  /** Open (not resolved) alerts by colour, and in all. */
  alerts: Record<Severity, number>;
  openAlerts: number;
  /** Firing past their acknowledge deadline. */
  overdue: number;
  /** Cells whose devices are in alarm / warning. */
  cellsAlarm: number;
  cellsWarn: number;
}

/** The headline numbers of one district, or of the whole city when `district` is null. */
export function areaKpis(
  district: string | null,
  o: {
    devices: Iterable<{ district: string; online: boolean }>;
    cells: Iterable<{ district: string; condition: string }>;
    alerts: Iterable<Pick<Alert, 'district' | 'severity' | 'state' | 'ackDeadline'>>;
    now: number;
  },
): AreaKpis {
  const here = (x: { district: string }) => district === null || x.district === district;
  const out: AreaKpis = {
    devicesOnline: 0, devicesTotal: 0, alerts: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>,
    openAlerts: 0, overdue: 0, cellsAlarm: 0, cellsWarn: 0,
  };
  for (const d of o.devices) {
    if (!here(d)) continue;
    out.devicesTotal++;
    if (d.online) out.devicesOnline++;
  }
  for (const c of o.cells) {
    if (!here(c)) continue;
    if (c.condition === 'alarm') out.cellsAlarm++;
    else if (c.condition === 'warn') out.cellsWarn++;
  }
  for (const a of o.alerts) {
    if (!here(a) || a.state === 'resolved') continue;
    out.alerts[a.severity]++;
    out.openAlerts++;
    if (isOverdue(a, o.now)) out.overdue++;
  }
  return out;
}
