// Loads and validates a city configuration folder. Every problem in every file is
// collected, so one start-up tells the engineer everything that needs fixing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// js-yaml, not yaml: devices.yaml of a 100,000-device city (22 MB) took `yaml` 11 s and 1.4 GB of
// heap (an edge or replica kept ~1.6 GB RSS afterwards); js-yaml reads it in ~1 s, ~100 MB. Its
// CORE_SCHEMA is YAML 1.2's core schema, as `yaml` parses by default (no timestamps, no merge keys).
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import type { z } from 'zod';
import {
  cityMetaSchema, deviceConfigSchema, districtSchema, gridCellSchema, peopleFileSchema,
  type CityMeta, type DeviceConfig, type DistrictFeature, type GridCellFeature, type Person,
} from '../city.js';
import type { Severity } from '../alerts.js';
import { bboxOf, inBBox, pointInArea, type BBox } from '../geo.js';

export interface GridCell {
  id: string;
  name: string;
  name_en?: string;
  district: string;
  feature: GridCellFeature;
  bbox: BBox;
}

export interface District {
  id: string;
  name: string;
  name_en?: string;
  feature?: DistrictFeature;
}

export interface CityDevice extends DeviceConfig {
  grid: string;
  district: string;
  /** Set on a gateway's child: the gateway that may publish for it (devices.yaml `children:`). */
  gateway?: string;
}

export interface City {
  dir: string;
  name: string;
  /** city.yaml: display names and the map's centre. */
  meta: Omit<CityMeta, 'name'>;
  cells: GridCell[];
  cellsById: Map<string, GridCell>;
  districts: District[];
  devices: CityDevice[];
  devicesById: Map<string, CityDevice>;
  people: Person[];
  /** Acknowledge deadlines by colour, as written in people.yaml (durations). */
  deadlines: Record<string, string>;
  /** Resolve (handle) deadlines by colour, as written in people.yaml (durations; the rest default). */
  resolveDeadlines?: Record<string, string>;
  /** The colours a supervisor verifies before they close, if people.yaml says (else the default). */
  verify?: Severity[];
}

export class CityConfigError extends Error {
  constructor(readonly dir: string, readonly problems: string[]) {
    super(`City configuration in ${dir} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CityConfigError';
  }
}

function describe(file: string, where: string, error: z.ZodError): string[] {
  return error.issues.slice(0, 5).map((i) => `${file}: ${where}${i.path.length ? ` field ${i.path.join('.')}` : ''}: ${i.message}`);
}

function readText(dir: string, file: string, problems: string[], required: boolean): string | null {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) problems.push(`${file}: file is missing`);
    return null;
  }
  return readFileSync(path, 'utf8');
}

function readJson(dir: string, file: string, problems: string[], required: boolean): unknown {
  const text = readText(dir, file, problems, required);
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push(`${file}: not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}

function readYaml(dir: string, file: string, problems: string[], required: boolean): unknown {
  const text = readText(dir, file, problems, required);
  if (text === null) return undefined;
  try {
    return loadYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch (err) {
    problems.push(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

function loadCells(raw: unknown, problems: string[]): GridCell[] {
  if (raw === undefined) return [];
  if ((raw as { type?: unknown })?.type !== 'FeatureCollection' || !Array.isArray((raw as { features?: unknown }).features)) {
    problems.push('grid.geojson: must be a GeoJSON FeatureCollection of grid cells');
    return [];
  }
  const cells: GridCell[] = [];
  const seen = new Set<string>();
  (raw as { features: unknown[] }).features.forEach((f, i) => {
    const parsed = gridCellSchema.safeParse(f);
    const label = `feature ${i}${(f as { properties?: { id?: string } })?.properties?.id ? ` (id ${(f as { properties: { id: string } }).properties.id})` : ''}`;
    if (!parsed.success) {
      problems.push(...describe('grid.geojson', label, parsed.error));
      return;
    }
    const { id, name, name_en, district } = parsed.data.properties;
    if (seen.has(id)) {
      problems.push(`grid.geojson: ${label}: duplicate grid id "${id}"`);
      return;
    }
    seen.add(id);
    const cell: GridCell = { id, name, district, feature: parsed.data, bbox: bboxOf(parsed.data.geometry) };
    if (name_en) cell.name_en = name_en;
    cells.push(cell);
  });
  if (cells.length === 0 && !problems.some((p) => p.startsWith('grid.geojson'))) problems.push('grid.geojson: has no grid cells');
  return cells;
}

function loadDistricts(raw: unknown, cells: GridCell[], problems: string[]): District[] {
  const byId = new Map<string, District>();
  if (raw !== undefined) {
    const features = (raw as { features?: unknown })?.features;
    if (!Array.isArray(features)) problems.push('districts.geojson: must be a GeoJSON FeatureCollection');
    else {
      features.forEach((f, i) => {
        const parsed = districtSchema.safeParse(f);
        if (!parsed.success) {
          problems.push(...describe('districts.geojson', `feature ${i}`, parsed.error));
          return;
        }
        const { id, name, name_en } = parsed.data.properties;
        const d: District = { id, name, feature: parsed.data };
        if (name_en) d.name_en = name_en;
        byId.set(id, d);
      });
    }
  }
  for (const cell of cells) {
    if (!byId.has(cell.district)) {
      if (raw !== undefined) problems.push(`grid.geojson: grid ${cell.id} names district "${cell.district}", which is not in districts.geojson`);
      byId.set(cell.district, { id: cell.district, name: cell.district });
    }
  }
  return [...byId.values()];
}

/** The grid cell a position lies in, if any. */
export function findCell(location: [number, number], cells: GridCell[]): GridCell | undefined {
  return cells.find((c) => inBBox(location, c.bbox) && pointInArea(location, c.feature.geometry));
}

/** devices.yaml's parsed list, checked against the cells; every problem is pushed onto `problems` (also used by provisioning). */
export function loadDevices(raw: unknown, cells: GridCell[], problems: string[]): CityDevice[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push('devices.yaml: must be a list of devices (- id: ..., kind: ..., location: [lng, lat], secret_hash: ...)');
    return [];
  }
  const byId = new Map(cells.map((c) => [c.id, c]));
  const devices: CityDevice[] = [];
  const seen = new Set<string>();
  const indexOf = new Map<string, number>();
  raw.forEach((entry, i) => {
    const id = (entry as { id?: unknown })?.id;
    const label = `entry ${i}${typeof id === 'string' ? ` (id ${id})` : ''}`;
    const parsed = deviceConfigSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...describe('devices.yaml', label, parsed.error));
      return;
    }
    const d = parsed.data;
    if (seen.has(d.id)) {
      problems.push(`devices.yaml: ${label}: duplicate device id "${d.id}"`);
      return;
    }
    seen.add(d.id);
    let cell: GridCell | undefined;
    if (d.grid !== undefined) {
      cell = byId.get(d.grid);
      if (!cell) {
        problems.push(`devices.yaml: ${label}: grid "${d.grid}" is not in grid.geojson`);
        return;
      }
      if (!pointInArea(d.location, cell.feature.geometry)) {
        problems.push(`devices.yaml: ${label}: location [${d.location.join(', ')}] is not inside its grid ${d.grid}`);
        return;
      }
    } else {
      cell = findCell(d.location, cells);
      if (!cell) {
        problems.push(`devices.yaml: ${label}: location [${d.location.join(', ')}] is not inside any grid cell; move it or give it a grid`);
        return;
      }
    }
    devices.push({ ...d, grid: cell.id, district: cell.district });
    indexOf.set(d.id, i);
  });
  linkGateways(devices, indexOf, new Set(raw.map((e) => (e as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string')), problems);
  return devices;
}

/**
 * Gateways (`children:`): every child is a device of devices.yaml, has one gateway at most, is not
 * its gateway itself and is no gateway of its own (no nesting). Each child gets `gateway` set.
 */
function linkGateways(devices: CityDevice[], indexOf: Map<string, number>, listed: Set<string>, problems: string[]): void {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const gatewayOf = new Map<string, string>();
  for (const g of devices) {
    if (!g.children) continue;
    const label = `entry ${indexOf.get(g.id)} (id ${g.id})`;
    g.children.forEach((child, j) => {
      const where = `devices.yaml: ${label} field children.${j}`;
      const c = byId.get(child);
      if (child === g.id) problems.push(`${where}: a gateway is not its own child`);
      else if (!c) {
        // a child whose own entry has problems is reported there, not again here
        if (!listed.has(child)) problems.push(`${where}: device "${child}" is not in devices.yaml`);
      } else if (gatewayOf.get(child) === g.id) problems.push(`${where}: "${child}" is listed twice`);
      else if (gatewayOf.has(child)) problems.push(`${where}: "${child}" is already a child of gateway "${gatewayOf.get(child)}"; a device has one gateway at most`);
      else if (c.children) problems.push(`${where}: "${child}" is a gateway itself; gateways do not nest`);
      else gatewayOf.set(child, g.id);
    });
  }
  for (const [child, gateway] of gatewayOf) byId.get(child)!.gateway = gateway;
}

export type PeopleLoaded = Pick<City, 'people' | 'deadlines' | 'resolveDeadlines' | 'verify'>;

/** Like describe(), but a problem inside a user names that entry (`user 4 (gw-wuchang-006) field contacts.mobile`). */
function describePeople(raw: unknown, error: z.ZodError): string[] {
  const users = (raw as { users?: unknown } | null)?.users;
  return error.issues.slice(0, 5).map((i) => {
    const [top, index, ...field] = i.path;
    if (top !== 'users' || typeof index !== 'number') return `people.yaml: file${i.path.length ? ` field ${i.path.join('.')}` : ''}: ${i.message}`;
    const username = Array.isArray(users) ? (users[index] as { username?: unknown } | null)?.username : undefined;
    const label = `user ${index}${typeof username === 'string' ? ` (${username.slice(0, 64)})` : ''}`;
    return `people.yaml: ${label}${field.length ? ` field ${field.join('.')}` : ''}: ${i.message}`;
  });
}

function loadPeople(raw: unknown, cells: GridCell[], districts: District[], problems: string[]): PeopleLoaded {
  if (raw === undefined) return { people: [], deadlines: {} };
  const parsed = peopleFileSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...describePeople(raw, parsed.error));
    return { people: [], deadlines: {} };
  }
  const cellIds = new Set(cells.map((c) => c.id));
  const districtIds = new Set(districts.map((d) => d.id));
  const seen = new Set<string>();
  for (const person of parsed.data.users) {
    if (seen.has(person.username)) problems.push(`people.yaml: duplicate username "${person.username}"`);
    seen.add(person.username);
    for (const g of person.grids ?? []) if (!cellIds.has(g)) problems.push(`people.yaml: user ${person.username}: grid "${g}" is not in grid.geojson`);
    for (const d of person.districts ?? []) if (!districtIds.has(d)) problems.push(`people.yaml: user ${person.username}: district "${d}" is not a known district`);
  }
  const { users, deadlines, resolve_deadlines: resolveDeadlines, verify } = parsed.data;
  return {
    people: users, deadlines: { ...deadlines } as Record<string, string>,
    ...(resolveDeadlines ? { resolveDeadlines: { ...resolveDeadlines } as Record<string, string> } : {}), ...(verify ? { verify } : {}),
  };
}

/**
 * people.yaml's text checked by the same rules as at start (schema, duplicates, known cells and
 * districts): what it holds, or every problem (file, entry, field). The server's people admin uses it
 * for the file it writes and for hand edits it picks up.
 */
export function parsePeopleYaml(text: string, cells: GridCell[], districts: District[]): { problems: string[]; loaded: PeopleLoaded } {
  const problems: string[] = [];
  let raw: unknown;
  try {
    raw = loadYaml(text, { schema: CORE_SCHEMA, filename: 'people.yaml' });
  } catch (err) {
    problems.push(`people.yaml: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return { problems, loaded: { people: [], deadlines: {} } };
  }
  const loaded = loadPeople(raw ?? {}, cells, districts, problems);
  return { problems, loaded };
}

/** Loads CITY_DIR; throws CityConfigError listing every problem found. */
export function loadCity(dir: string): City {
  const problems: string[] = [];
  const rawMeta = readYaml(dir, 'city.yaml', problems, false);
  let cityMeta: CityMeta = { name: 'CityGrid' };
  if (rawMeta !== undefined) {
    const parsed = cityMetaSchema.safeParse(rawMeta);
    if (parsed.success) cityMeta = parsed.data;
    else problems.push(...describe('city.yaml', 'file', parsed.error));
  }
  const cells = loadCells(readJson(dir, 'grid.geojson', problems, true), problems);
  const districts = loadDistricts(readJson(dir, 'districts.geojson', problems, false), cells, problems);
  const devices = loadDevices(readYaml(dir, 'devices.yaml', problems, true), cells, problems);
  const loaded = loadPeople(readYaml(dir, 'people.yaml', problems, false), cells, districts, problems);
  if (problems.length > 0) throw new CityConfigError(dir, problems);
  return {
    dir,
    name: cityMeta.name,
    meta: (({ name: _name, ...rest }) => rest)(cityMeta),
    cells,
    cellsById: new Map(cells.map((c) => [c.id, c])),
    districts,
    devices,
    devicesById: new Map(devices.map((d) => [d.id, d])),
    ...loaded,
  };
}
