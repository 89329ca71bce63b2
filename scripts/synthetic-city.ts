// `npm run city:synthetic -- --devices 100000 --out data/city-100k [--cols 40 --rows 30 | --cells 11000] [--kinds water_level,noise --hash-cost 4]`
// writes a synthetic city (grid.geojson, districts.geojson, devices.yaml, people.yaml, rules.yaml) that
// the server (CITY_DIR=<out>) and the load generator (`npm run simulate -- --city <out> --devices N`) share.
// Device secrets are demo-<id>, hashed with a low scrypt cost (see scripts/synthetic-city-lib.ts).
import { existsSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEVICE_KINDS, type DeviceKind } from '@citygrid/contract';
import { writeSyntheticCity } from './synthetic-city-lib.js';

const USAGE = 'Usage: npm run city:synthetic -- --devices <n> --out <dir> [--cols 40] [--rows 30] [--cells N] [--kinds k1,k2] [--hash-cost 4] [--force]';
let values;
try {
  ({ values } = parseArgs({
    options: {
      devices: { type: 'string', default: '2000' }, out: { type: 'string' }, cols: { type: 'string', default: '40' },
      rows: { type: 'string', default: '30' }, cells: { type: 'string' }, kinds: { type: 'string' }, 'hash-cost': { type: 'string', default: '4' },
      force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  process.stderr.write(`city:synthetic: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const problems: string[] = [];
const devices = Number(values.devices);
const cols = Number(values.cols), rows = Number(values.rows), cost = Number(values['hash-cost']);
if (!/^\d+$/.test(values.devices!) || devices < 1 || devices > 1_000_000) problems.push(`--devices "${values.devices}" must be a whole number from 1 to 1000000`);
if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols < 2 || rows < 2 || cols * rows > 100_000) problems.push('--cols and --rows must be whole numbers ≥ 2 (at most 100,000 cells)');
const cells = values.cells === undefined ? undefined : Number(values.cells);
if (values.cells !== undefined && (!/^\d+$/.test(values.cells) || cells! < 4 || cells! > 100_000)) problems.push(`--cells "${values.cells}" must be a whole number from 4 to 100000 (irregular cells instead of the --cols × --rows lattice)`);
if (!Number.isInteger(cost) || cost < 1 || cost > 20) problems.push(`--hash-cost "${values['hash-cost']}" must be log2 of scrypt's N, 1..20`);
if (!values.out) problems.push('--out <dir> is required');
const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : undefined;
const badKinds = (kinds ?? []).filter((k) => !(DEVICE_KINDS as readonly string[]).includes(k));
if (badKinds.length) problems.push(`--kinds: unknown ${badKinds.join(', ')} (known: ${DEVICE_KINDS.join(', ')})`);
if (values.out && existsSync(values.out) && readdirSync(values.out).length > 0 && !values.force) problems.push(`--out "${values.out}" is not empty; add --force to overwrite`);
if (problems.length) {
  process.stderr.write(`city:synthetic: ${problems.join('\n  ')}\n${USAGE}\n`);
  process.exit(2);
}
const t0 = performance.now();
const r = await writeSyntheticCity({ devices, cols, rows, ...(cells !== undefined ? { cells } : {}), out: values.out!, hashLogN: cost, ...(kinds ? { kinds: kinds as DeviceKind[] } : {}) });
const s = ((performance.now() - t0) / 1000).toFixed(1);
process.stdout.write(`wrote ${r.city!.cells.length} cells and ${r.city!.devices.length} devices to ${r.dir} in ${s} s (validated with loadCity)\n`);
process.stdout.write(`run:  CITY_DIR=${r.dir} npm run server   and   npm run simulate -- --city ${r.dir} --devices ${devices} --interval 10s\n`);
