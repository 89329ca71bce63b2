// Deterministic device placement for the demo city: how many of each kind,
// which grid cell each goes to, and where inside the cell.
import { DEVICE_KINDS, type DeviceKind } from '../../contract/src/catalogue.js';
import { pointInArea, type Position, type Ring } from '../../contract/src/geo.js';

/** mulberry32: a tiny seeded PRNG, so every run places the same devices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Cell {
  id: string;
  name_en: string;
  district: string;
  /** [west, south, east, north] of the lattice square the cell grew from (where devices are first placed) */
  box: [number, number, number, number];
  centre: Position;
  /** The cell's real shape (Polygon rings) and a point well inside it: a spot outside the shape is moved towards the anchor. */
  rings?: Ring[];
  anchor?: Position;
}

export interface PlannedDevice { id: string; kind: DeviceKind; location: Position; grid: string; name: string }

interface KindPlan { prefix: string; count: number; spread?: 'even' | 'far'; places: string[] }

/** Counts and short place descriptions per kind (bridges come from BRIDGES below). */
export const KIND_PLAN: Record<DeviceKind, KindPlan> = {
  waste_bin: { prefix: 'bin', count: 70, places: ['Waste bin', 'Recycling point', 'Market bins'] },
  streetlight: { prefix: 'sl', count: 60, places: ['Street lamp', 'Lamp post', 'Park lighting'] },
  air_quality: { prefix: 'aq', count: 45, places: ['Air station', 'Roadside air monitor', 'School air monitor'] },
  traffic: { prefix: 'trf', count: 45, places: ['Junction detector', 'Arterial road counter', 'Bus lane counter'] },
  water_level: { prefix: 'wl', count: 40, places: ['Underpass gauge', 'Low street gauge', 'Drain outlet gauge'] },
  manhole_cover: { prefix: 'mh', count: 36, places: ['Manhole cover', 'Drain cover', 'Cable vault cover'] },
  noise: { prefix: 'noise', count: 30, places: ['Noise monitor', 'Construction site noise', 'Night market noise'] },
  gas: { prefix: 'gas', count: 24, places: ['Gas main sensor', 'Gas valve pit', 'Restaurant street gas'] },
  rainfall: { prefix: 'rain', count: 12, spread: 'far', places: ['Rain gauge'] },
  weather: { prefix: 'wx', count: 8, spread: 'far', places: ['Weather station'] },
  bridge: { prefix: 'brg', count: 0, places: [] },
  camera: { prefix: 'cam', count: 48, places: ['Crossroads camera', 'Metro exit camera', 'Market street camera', 'School gate camera', 'Riverside camera'] },
};

/**
 * Structural monitors on real bridges over the Yangtze and Han rivers. Positions
 * are approximate mid-spans; each monitor goes into the grid cell there (or the
 * nearest cell), clamped inside it.
 */
export const BRIDGES: Array<{ name: string; at: Position }> = [
  { name: 'Wuhan Yangtze River Bridge', at: [114.2905, 30.55] },
  { name: 'Second Wuhan Yangtze River Bridge', at: [114.318, 30.593] },
  { name: 'Erqi Yangtze River Bridge', at: [114.337, 30.623] },
  { name: 'Yingwuzhou Yangtze River Bridge', at: [114.275, 30.527] },
  { name: 'Jianghan Bridge (Han River)', at: [114.2775, 30.565] },
  { name: 'Qingchuan Bridge (Han River)', at: [114.2835, 30.5635] },
  { name: 'Yuehu Bridge (Han River)', at: [114.262, 30.569] },
];

/** Order of placement: fixed and sparse kinds first, then the many small ones fill the emptiest cells. */
const ORDER: DeviceKind[] = [
  'bridge', 'weather', 'rainfall', 'camera', 'water_level', 'traffic', 'air_quality',
  'noise', 'gas', 'manhole_cover', 'streetlight', 'waste_bin',
];

const MARGIN = 0.1; // keep devices 10% of the cell size away from its edges

function round6(v: number): number {
  return Number(v.toFixed(6));
}

/** The cell's inner box (edges moved in by MARGIN): devices sit strictly inside their cell. */
function innerBox(cell: Cell): [number, number, number, number] {
  const [w, s, e, n] = cell.box;
  const mx = (e - w) * MARGIN;
  const my = (n - s) * MARGIN;
  return [w + mx, s + my, e - mx, n - my];
}

/**
 * Into the cell's shape: a spot outside it is moved towards the cell's anchor, a fifth of the way
 * at a time (no random draws, so every later device keeps its place).
 */
function intoShape(cell: Cell, p: Position): Position {
  if (!cell.rings || !cell.anchor) return p;
  const inside = (q: Position) => pointInArea(q, { type: 'Polygon', coordinates: cell.rings! });
  for (let k = 0; k <= 5; k++) {
    const f = 1 - k / 5;
    const q: Position = [round6(cell.anchor[0] + f * (p[0] - cell.anchor[0])), round6(cell.anchor[1] + f * (p[1] - cell.anchor[1]))];
    if (inside(q)) return q;
  }
  throw new Error(`demo city: no spot inside ${cell.id} (anchor [${cell.anchor.join(', ')}])`);
}

function randomIn(cell: Cell, random: () => number): Position {
  const [w, s, e, n] = innerBox(cell);
  return intoShape(cell, [round6(w + random() * (e - w)), round6(s + random() * (n - s))]);
}

function clampInto(cell: Cell, [lng, lat]: Position): Position {
  const [w, s, e, n] = innerBox(cell);
  return intoShape(cell, [round6(Math.min(e, Math.max(w, lng))), round6(Math.min(n, Math.max(s, lat)))]);
}

const dist2 = (a: Position, b: Position) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2;

export function planDevices(cells: Cell[], seed: number): PlannedDevice[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const load = new Map(cells.map((c) => [c.id, 0]));
  const kindsIn = new Map(cells.map((c) => [c.id, new Set<DeviceKind>()]));
  const devices: PlannedDevice[] = [];

  const add = (kind: DeviceKind, cell: Cell, location: Position, name: string) => {
    const n = devices.filter((d) => d.kind === kind).length + 1;
    devices.push({ id: `${KIND_PLAN[kind].prefix}-${String(n).padStart(4, '0')}`, kind, location, grid: cell.id, name });
    load.set(cell.id, (load.get(cell.id) ?? 0) + 1);
    kindsIn.get(cell.id)!.add(kind);
  };

  /** The least-loaded cells that lack this kind (if any do), one chosen at random. */
  const emptiest = (kind: DeviceKind): Cell => {
    const score = (c: Cell) => (load.get(c.id) ?? 0) * 2 + (kindsIn.get(c.id)!.has(kind) ? 1 : 0);
    const best = Math.min(...cells.map(score));
    return pick(cells.filter((c) => score(c) === best));
  };

  /** The cell farthest from every device of this kind so far: spreads a few stations over the city. */
  const farthest = (kind: DeviceKind): Cell => {
    const placed = devices.filter((d) => d.kind === kind).map((d) => d.location);
    if (placed.length === 0) return pick(cells);
    let best = cells[0]!;
    let bestDist = -1;
    for (const c of cells) {
      const d = Math.min(...placed.map((p) => dist2(p, c.centre)));
      if (d > bestDist) { bestDist = d; best = c; }
    }
    return best;
  };

  for (const kind of ORDER) {
    if (kind === 'bridge') {
      for (const bridge of BRIDGES) {
        const cell = cells.reduce((a, b) => (dist2(b.centre, bridge.at) < dist2(a.centre, bridge.at) ? b : a));
        add('bridge', cell, clampInto(cell, bridge.at), bridge.name);
      }
      continue;
    }
    const plan = KIND_PLAN[kind];
    for (let i = 0; i < plan.count; i++) {
      const cell = plan.spread === 'far' ? farthest(kind) : emptiest(kind);
      add(kind, cell, randomIn(cell, random), `${pick(plan.places)}, ${cell.name_en}`);
    }
  }
  // The flooding storyline needs its underpass watched: a camera and a rain gauge in the first
  // underpass gauge's cell. Added last, so no other device's id or place changes.
  const underpass = devices.find((d) => d.kind === 'water_level' && d.name.startsWith('Underpass'));
  const cell = underpass && cells.find((c) => c.id === underpass.grid);
  if (cell) {
    add('camera', cell, randomIn(cell, random), `Underpass camera, ${cell.name_en}`);
    add('rainfall', cell, randomIn(cell, random), `Rain gauge at the underpass, ${cell.name_en}`);
  }
  const rank = (k: DeviceKind) => DEVICE_KINDS.indexOf(k);
  return devices.sort((a, b) => rank(a.kind) - rank(b.kind) || a.id.localeCompare(b.id));
}
