// A synthetic city for load tests and benchmarks (`npm run city:synthetic`): a cols × rows lattice of
// ~500 m squares over central Wuhan (1,200 cells by default) in four rectangular districts, ~2,000
// devices of several kinds spread over the cells (secrets demo-<id>, so the simulator and the load
// generator can log in), admin/operator users (password demo-<username>) and one threshold rule
// (noise laeq above 75) so alerts can colour cells. With `cells`, the layout is irregular instead
// (scripts/synthetic-city-cells.ts): exactly that many real-looking cells of ~20 vertices, cut to
// rectangular districts of ~1,000 cells less a river that winds through the city.
//
// Secrets are scrypt-hashed with N = 2^4 by default (`hashLogN`), in parallel on libuv's thread pool:
// 100,000 devices hash in seconds, and the broker's check at each first connect costs ~0.1 ms instead
// of ~3 ms (2^10, the demo city) or ~50 ms (2^14, the default for real devices). That is fine only
// because these secrets are public (demo-<id>); never use such a cost for real credentials.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { DeviceKind } from '@citygrid/contract';
import { loadCity, type City } from '@citygrid/contract/node';
import { hashSecret } from '../broker/src/secrets.js';
import { irregularCity, spotIn } from './synthetic-city-cells.js';

export interface SyntheticCityOptions {
  cols?: number;
  rows?: number;
  /** Irregular cells instead of the cols × rows lattice: exactly this many (see synthetic-city-cells.ts). */
  cells?: number;
  devices?: number;
  /** Device kinds, assigned round-robin (default: eight common sensor kinds). */
  kinds?: DeviceKind[];
  /** Folder to write into (created); default: a new temp folder. */
  out?: string;
  /** scrypt cost of the device secrets, log2 N (default 4; the demo city uses 10). */
  hashLogN?: number;
  /** Skip the final loadCity validation (it is what the server does anyway). */
  validate?: boolean;
}

const PREFIX: Partial<Record<DeviceKind, string>> = {
  waste_bin: 'bin', streetlight: 'sl', air_quality: 'aq', traffic: 'trf', water_level: 'wl', manhole_cover: 'mh',
  noise: 'noise', gas: 'gas', rainfall: 'rain', bridge: 'br', weather: 'wx', camera: 'cam',
};
const DEFAULT_KINDS: DeviceKind[] = ['waste_bin', 'streetlight', 'air_quality', 'traffic', 'water_level', 'manhole_cover', 'noise', 'gas'];

const r6 = (v: number) => Number(v.toFixed(6));

/** Hashes `secrets` with bounded parallelism (the thread pool does the work). */
async function hashAll(secrets: string[], logN: number): Promise<string[]> {
  const out = new Array<string>(secrets.length);
  let next = 0;
  const worker = async () => {
    while (next < secrets.length) {
      const i = next++;
      out[i] = await hashSecret(secrets[i]!, logN);
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, secrets.length) }, worker));
  return out;
}

/** Writes the city (into `out` or a new temp dir) and validates it with loadCity (throws on any problem). */
export async function writeSyntheticCity(o: SyntheticCityOptions = {}): Promise<{ dir: string; city: City | null; remove(): void }> {
  const cols = o.cols ?? 40, rows = o.rows ?? 30, deviceCount = o.devices ?? 2000;
  const kinds = o.kinds ?? DEFAULT_KINDS;
  const west = 114.18, north = 30.66, dLng = 0.0052, dLat = 0.0045; // ≈ 500 m × 500 m at 30.6° N
  let tmp: { path: string; remove(): void };
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    tmp = { path: o.out, remove: () => rmSync(o.out!, { recursive: true, force: true }) };
  } else {
    const path = mkdtempSync(join(tmpdir(), 'citygrid-synthetic-'));
    tmp = { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  }
  const halfC = Math.ceil(cols / 2), halfR = Math.ceil(rows / 2);
  const DISTRICTS = [
    { id: 'north-west', name: '西北区', name_en: 'North-west District', c0: 0, c1: halfC, r0: 0, r1: halfR },
    { id: 'north-east', name: '东北区', name_en: 'North-east District', c0: halfC, c1: cols, r0: 0, r1: halfR },
    { id: 'south-west', name: '西南区', name_en: 'South-west District', c0: 0, c1: halfC, r0: halfR, r1: rows },
    { id: 'south-east', name: '东南区', name_en: 'South-east District', c0: halfC, c1: cols, r0: halfR, r1: rows },
  ];
  const lng = (c: number) => r6(west + c * dLng);
  const lat = (r: number) => r6(north - r * dLat);
  const rect = (c0: number, c1: number, r0: number, r1: number) => ({
    type: 'Polygon', coordinates: [[[lng(c0), lat(r1)], [lng(c1), lat(r1)], [lng(c1), lat(r0)], [lng(c0), lat(r0)], [lng(c0), lat(r1)]]],
  });
  const districtOf = (c: number, r: number) => DISTRICTS.find((d) => c >= d.c0 && c < d.c1 && r >= d.r0 && r < d.r1)!;
  const cells: { id: string; c: number; r: number }[] = [];
  const cellFeatures: unknown[] = [];
  const numbers = new Map<string, number>();
  let districtFeatures: unknown[] = DISTRICTS.map((d) => ({
    type: 'Feature', properties: { id: d.id, name: d.name, name_en: d.name_en }, geometry: rect(d.c0, d.c1, d.r0, d.r1),
  }));
  // where device i goes: its cell's id and a spot inside it
  let place = (i: number, rand: () => number): [string, number, number] => {
    const cell = cells[Math.floor((i * cells.length) / deviceCount)]!;
    return [cell.id, r6(lng(cell.c) + dLng * (0.15 + 0.7 * rand())), r6(lat(cell.r + 1) + dLat * (0.15 + 0.7 * rand()))];
  };
  if (o.cells !== undefined) {
    const city = irregularCity(o.cells);
    districtFeatures = city.districts.map((d) => ({ type: 'Feature', properties: { id: d.id, name: d.name, name_en: d.name_en }, geometry: d.geometry }));
    for (const c of city.cells) {
      cellFeatures.push({ type: 'Feature', properties: { id: c.id, name: c.name, name_en: c.name_en, district: c.district }, geometry: { type: 'Polygon', coordinates: c.rings } });
    }
    place = (i, rand) => {
      const cell = city.cells[Math.floor((i * city.cells.length) / deviceCount)]!;
      return [cell.id, ...spotIn(cell, rand)];
    };
  }
  for (let r = 0; r < (o.cells === undefined ? rows : 0); r++) {
    for (let c = 0; c < cols; c++) {
      const d = districtOf(c, r);
      const n = (numbers.get(d.id) ?? 0) + 1;
      numbers.set(d.id, n);
      const id = `${d.id}-${String(n).padStart(4, '0')}`;
      cells.push({ id, c, r });
      cellFeatures.push({ type: 'Feature', properties: { id, name: `${d.name}第${n}网格`, name_en: `${d.name_en.replace(' District', '')} grid ${n}`, district: d.id }, geometry: rect(c, c + 1, r, r + 1) });
    }
  }
  const fc = (features: unknown[]) => `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
  writeFileSync(join(tmp.path, 'grid.geojson'), fc(cellFeatures));
  writeFileSync(join(tmp.path, 'districts.geojson'), fc(districtFeatures));
  writeFileSync(join(tmp.path, 'city.yaml'), 'name: 合成城市 (synthetic city)\nname_en: Synthetic city\ndemo: true # its secrets are demo-<id>\n');

  // Devices: round-robin over kinds, spread over the cells (a deterministic pseudo-random spot inside).
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const lines: string[] = [];
  const perKind = new Map<string, number>();
  const devices = Array.from({ length: deviceCount }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    const n = (perKind.get(kind) ?? 0) + 1;
    perKind.set(kind, n);
    return { id: `${PREFIX[kind] ?? kind.replace(/_/g, '-')}-${String(n).padStart(4, '0')}`, kind };
  });
  const hashes = await hashAll(devices.map((d) => `demo-${d.id}`), o.hashLogN ?? 4);
  devices.forEach(({ id, kind }, i) => {
    const hash = hashes[i]!;
    const [grid, x, y] = place(i, rand);
    lines.push(`- { id: ${id}, kind: ${kind}, location: [${x}, ${y}], grid: ${grid}, name: "${kind} ${id}", secret_hash: "${hash}" }`);
  });
  writeFileSync(join(tmp.path, 'devices.yaml'), `${lines.join('\n')}\n`);
  writeFileSync(join(tmp.path, 'people.yaml'), [
    'users:',
    `  - { username: admin, name: Admin, role: admin, password_hash: "${bcrypt.hashSync('demo-admin', 4)}" }`,
    `  - { username: operator, name: Operator, role: operator, password_hash: "${bcrypt.hashSync('demo-operator', 4)}" }`,
    '',
  ].join('\n'));
  writeFileSync(join(tmp.path, 'rules.yaml'), [
    '- id: noisy', '  kind: threshold', '  match: { kind: noise }', '  metric: laeq', '  above: 75',
    '  severity: yellow', '  message: Too loud', '',
  ].join('\n'));
  const city = o.validate === false ? null : loadCity(tmp.path);
  return { dir: tmp.path, city, remove: tmp.remove };
}
