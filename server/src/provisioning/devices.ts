// Device provisioning at runtime (issue 18): add, move, disable, remove and re-key devices, and import
// them from CSV, without a restart. Each change is checked as the loader checks devices.yaml, written
// back to the city folder atomically (city-files/atomic-write.ts) BEFORE it takes effect, then applied
// in place to the city the broker and the server share (city.devices and city.devicesById, which the
// broker's logins and the pipeline read; the live registry), and audited by the caller.
//
// Hand edits of devices.yaml are picked up too (a watch on the city folder, debounced): the file is
// checked, and a bad one is refused with the loader's file, entry and field while the last good devices
// stay active and GET /api/health says so, as rules.yaml is.
//
// Secrets: a new or rotated secret is generated (32 random bytes) and shown once; only its scrypt hash
// is kept. After a rotation the old secret stays valid for a grace period (`previous_secret` in
// devices.yaml, so a restart keeps it); when it ends, connections still logged in with it are closed.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DEVICES_FILE, DevicesFileWatch, GraceTimers, hashSecret, replaceDevices, type CityBroker } from '@citygrid/broker';
import { DEVICE_KINDS, type DeviceConfig } from '@citygrid/contract';
import { deviceConfigOf, devicesYaml, loadDevices, type City, type CityDevice } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../city-files/atomic-write.js';
import { Errors } from '../errors.js';
import type { DeviceRegistry } from '../live/device-registry.js';

/** A generated secret carries 256 random bits, so scrypt's stretching adds nothing: the demo's cheap cost keeps reconnect storms cheap. */
const GENERATED_LOG_N = 10;
/** A secret an engineer chose (the import's `secret` column): the full default cost. */
const CHOSEN_LOG_N = 14;
/** How long a rotated-out secret stays valid unless the admin says otherwise: 10 minutes; at most 7 days. */
export const GRACE_DEFAULT_SECONDS = 600;
export const GRACE_MAX_SECONDS = 7 * 24 * 3600;
/** One import at most: rows and bytes (the route reads at most this many bytes). */
export const IMPORT_MAX_ROWS = 10_000;
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;
/** A placeholder hash, only to check an entry's other fields before its secret is hashed. */
const CHECK_HASH = 'scrypt$10$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const SECRET_MIN = 16;
const SECRET_MAX = 256;

/** What the admin API shows of a device: its configuration, never a hash. */
export interface ProvisionedDevice {
  id: string; kind: DeviceConfig['kind']; location: [number, number]; grid: string; district: string;
  name?: string; zones?: string[]; public?: boolean; disabled: boolean; children?: string[]; gateway?: string;
  /** After a rotation: until when the previous secret is still accepted (ISO 8601). */
  previousSecretUntil: string | null;
}

export interface ImportProblem { line: number; id?: string; problem: string }
export interface ImportResult { rows: number; problems: ImportProblem[] }

export interface DeviceChanges {
  name?: string | null; grid?: string; location?: [number, number]; disabled?: boolean; public?: boolean; zones?: string[] | null;
}

export interface DeviceProvisioningOptions {
  city: City;
  registry: Pick<DeviceRegistry, 'upsert' | 'remove'>;
  logger: Logger;
  /**
   * The embedded broker, to close the connections of a removed, disabled or re-keyed device. Without
   * it (cluster mode, MQTT_URL) the API cannot change devices (the broker is elsewhere), but hand
   * edits of devices.yaml are still picked up, so the server's view matches the edges' on that node.
   */
  broker?: Pick<CityBroker, 'disconnectDevice'> | null;
  /** After every change (the devices' count metric). */
  onChange?: () => void;
  /** Watch devices.yaml for hand edits (default true). */
  watch?: boolean;
  now?: () => number;
}

const secretOf = () => randomBytes(32).toString('base64url');

export function viewOf(d: CityDevice): ProvisionedDevice {
  return {
    id: d.id, kind: d.kind, location: d.location, grid: d.grid, district: d.district,
    ...(d.name !== undefined ? { name: d.name } : {}), ...(d.zones ? { zones: d.zones } : {}), ...(d.public !== undefined ? { public: d.public } : {}),
    disabled: d.disabled === true, ...(d.children ? { children: d.children } : {}), ...(d.gateway ? { gateway: d.gateway } : {}),
    previousSecretUntil: d.previous_secret?.until ?? null,
  };
}

/** A loader problem for one entry, said of an API request or a CSV line instead of "devices.yaml: entry 0". */
const restate = (problem: string, where: string) => problem.replace(/^devices\.yaml: entry \d+(?: \(id [^)]*\))?/, where);

export class DeviceProvisioning {
  private readonly path: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** The text in force (its leading comments are kept when it is written again). */
  private lastText: string;
  private readonly watch: DevicesFileWatch | null;
  private readonly grace: GraceTimers;
  private readonly now: () => number;
  /** False without the embedded broker: the API answers CG_DEVICES_READ_ONLY. */
  readonly writable: boolean;

  constructor(private readonly o: DeviceProvisioningOptions) {
    this.path = join(o.city.dir, DEVICES_FILE);
    this.now = o.now ?? Date.now;
    this.writable = !!o.broker;
    this.lastText = readFileSync(this.path, 'utf8');
    this.grace = new GraceTimers(() => o.broker, o.logger, this.now);
    for (const d of o.city.devices) this.grace.schedule(d);
    this.watch = o.watch === false ? null : new DevicesFileWatch({
      city: o.city, logger: o.logger,
      // applied in turn with the API's changes, never in the middle of one
      onDevices: (devices, text) => void this.serial(async () => {
        this.lastText = text;
        this.apply(devices, 'devices.yaml edited by hand');
      }),
    }, this.lastText);
  }

  list(): ProvisionedDevice[] {
    return this.o.city.devices.map(viewOf);
  }

  get(id: string): ProvisionedDevice {
    const d = this.o.city.devicesById.get(id);
    if (!d) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    return viewOf(d);
  }

  /** Adds a device; its secret (generated unless given) is returned this once. */
  add(input: unknown): Promise<{ device: ProvisionedDevice; secret: string }> {
    return this.serial(async () => {
      const body = this.object(input, ['id', 'kind', 'location', 'grid', 'name', 'zones', 'public', 'secret']);
      const given = body.secret;
      if (given !== undefined && (typeof given !== 'string' || given.length < SECRET_MIN || given.length > SECRET_MAX)) {
        throw Errors.DEVICE_INVALID(`secret must be a string of ${SECRET_MIN} to ${SECRET_MAX} characters (leave it out to have one generated)`);
      }
      const { secret: _s, ...fields } = body;
      const entry = this.checkOne({ ...fields, secret_hash: CHECK_HASH }, 'device');
      if (this.o.city.devicesById.has(entry.id)) throw Errors.DEVICE_EXISTS(entry.id);
      const secret = typeof given === 'string' ? given : secretOf();
      const device: CityDevice = { ...entry, secret_hash: await hashSecret(secret, given === undefined ? GENERATED_LOG_N : CHOSEN_LOG_N) };
      this.commit([...this.o.city.devices, device], 'added through the API');
      return { device: viewOf(this.existing(device.id)), secret };
    });
  }

  /** Moves (grid and/or location), renames, switches on or off, publishes or not. */
  update(id: string, input: unknown): Promise<ProvisionedDevice> {
    return this.serial(async () => {
      const current = this.existing(id);
      const body = this.object(input, ['name', 'grid', 'location', 'disabled', 'public', 'zones', 'children']);
      if (Object.keys(body).length === 0) throw Errors.DEVICE_INVALID('nothing to change: give name, grid, location, disabled, public, zones or children');
      const next: Record<string, unknown> = { ...current };
      delete next.district;
      for (const [k, v] of Object.entries(body)) {
        if (v === null && (k === 'name' || k === 'zones' || k === 'children')) delete next[k];
        else next[k] = v;
      }
      if (body.disabled === false) delete next.disabled;
      // its own fields here; its children (which need the others) with the whole list in commit()
      const { children, ...own } = deviceConfigOf(next as unknown as CityDevice);
      const entry = this.checkOne(own, `device ${current.id}`);
      const updated: CityDevice = { ...entry, secret_hash: current.secret_hash, ...(children ? { children } : {}) };
      this.commit(this.o.city.devices.map((d) => (d.id === id ? updated : d)), 'changed through the API');
      return viewOf(this.existing(id));
    });
  }

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      this.existing(id);
      this.commit(this.o.city.devices.filter((d) => d.id !== id), 'removed through the API');
    });
  }

  /** A new secret (shown once); the old one is accepted for `graceSeconds` more (0: refused at once). */
  rotate(id: string, graceSeconds = GRACE_DEFAULT_SECONDS): Promise<{ secret: string; previousSecretUntil: string | null }> {
    return this.serial(async () => {
      const current = this.existing(id);
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > GRACE_MAX_SECONDS) {
        throw Errors.DEVICE_INVALID(`grace_seconds must be a whole number of seconds from 0 to ${GRACE_MAX_SECONDS} (7 days)`);
      }
      const secret = secretOf();
      const until = graceSeconds > 0 ? new Date(this.now() + graceSeconds * 1000).toISOString() : null;
      const { previous_secret: _old, ...rest } = current;
      const updated: CityDevice = {
        ...rest, secret_hash: await hashSecret(secret, GENERATED_LOG_N),
        ...(until ? { previous_secret: { secret_hash: current.secret_hash, until } } : {}),
      };
      this.commit(this.o.city.devices.map((d) => (d.id === id ? updated : d)), 'secret rotated through the API');
      return { secret, previousSecretUntil: until };
    });
  }

  /**
   * A CSV of devices (header: id,kind,lng,lat and optionally grid,name,zones,public,secret). A dry run
   * lists every problem by line; otherwise it is all or nothing: any problem and nothing is applied
   * (DEVICES_IMPORT_INVALID names the lines). Secrets not given are generated and returned this once.
   */
  import(text: string, dryRun: boolean): Promise<ImportResult & { secrets?: { id: string; secret: string }[] }> {
    return this.serial(async () => {
      const { entries, problems, rows } = this.checkCsv(text);
      if (dryRun) return { rows, problems };
      if (problems.length) {
        const listed = problems.slice(0, 20).map((p) => `line ${p.line}: ${p.problem}`).join('; ');
        throw Errors.DEVICES_IMPORT_INVALID(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${rows} rows (a dry run lists them all): ${listed}${problems.length > 20 ? '; …' : ''}`);
      }
      const secrets: { id: string; secret: string }[] = [];
      const added: CityDevice[] = [];
      for (const { device, secret } of entries) {
        const chosen = secret !== undefined;
        const s = secret ?? secretOf();
        added.push({ ...device, secret_hash: await hashSecret(s, chosen ? CHOSEN_LOG_N : GENERATED_LOG_N) });
        if (!chosen) secrets.push({ id: device.id, secret: s });
      }
      this.commit([...this.o.city.devices, ...added], `${added.length} imported from CSV`);
      return { rows, problems: [], secrets };
    });
  }

  health(): { status: 'ok' | 'degraded'; detail: string } {
    const refused = this.problems();
    if (refused.length) {
      return { status: 'degraded', detail: `${DEVICES_FILE} was edited and refused (${refused.length} problem${refused.length > 1 ? 's' : ''}); the ${this.o.city.devices.length} earlier devices stay active: ${refused[0]}` };
    }
    return { status: 'ok', detail: `${this.o.city.devices.length} devices` };
  }

  /** What the last hand edit was refused for (empty: the file in force is the file on disk). */
  problems(): string[] {
    return this.watch?.problems() ?? [];
  }

  close(): void {
    this.watch?.close();
    this.grace.close();
  }

  // ---- the parts ----

  /** One change at a time: each reads the devices the previous one left. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private existing(id: string): CityDevice {
    const d = this.o.city.devicesById.get(id);
    if (!d) throw Errors.DEVICE_NOT_FOUND(id.slice(0, 64));
    return d;
  }

  private object(input: unknown, allowed: string[]): Record<string, unknown> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw Errors.DEVICE_INVALID('the body must be a JSON object');
    const unknown = Object.keys(input).filter((k) => !allowed.includes(k));
    if (unknown.length) throw Errors.DEVICE_INVALID(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((k) => `"${k.slice(0, 40)}"`).join(', ')}; allowed: ${allowed.join(', ')}`);
    return input as Record<string, unknown>;
  }

  /** One entry checked by the loader's own rules (fields, grid, place inside its cell). */
  private checkOne(entry: Record<string, unknown>, where: string): CityDevice {
    const problems: string[] = [];
    const [device] = loadDevices([entry], this.o.city.cells, problems);
    if (problems.length || !device) throw Errors.DEVICE_INVALID(problems.map((p) => restate(p, where)).join('; '));
    return device;
  }

  private checkCsv(text: string): { entries: { device: CityDevice; secret?: string }[]; problems: ImportProblem[]; rows: number } {
    let records: { record: Record<string, string>; info: { lines: number } }[];
    try {
      records = parseCsv(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), bom: true, skip_empty_lines: true, info: true, trim: true, max_record_size: 4096, to: IMPORT_MAX_ROWS + 1 }) as typeof records;
    } catch (err) {
      const e = err as Error & { lines?: number };
      return { entries: [], rows: 0, problems: [{ line: e.lines ?? 1, problem: `not a CSV file this import can read: ${e.message.slice(0, 200)}` }] };
    }
    if (records.length > IMPORT_MAX_ROWS) return { entries: [], rows: records.length, problems: [{ line: 1, problem: `more than ${IMPORT_MAX_ROWS} devices in one import; split the file` }] };
    const columns = records[0] ? Object.keys(records[0].record) : [];
    const known = ['id', 'kind', 'lng', 'lat', 'grid', 'name', 'zones', 'public', 'secret'];
    const missing = ['id', 'kind', 'lng', 'lat'].filter((c) => !columns.includes(c));
    const extra = columns.filter((c) => !known.includes(c));
    if (records.length === 0) return { entries: [], rows: 0, problems: [{ line: 1, problem: 'no devices: the file needs a header line (id,kind,lng,lat,...) and one line per device' }] };
    if (missing.length || extra.length) {
      return { entries: [], rows: records.length, problems: [{ line: 1, problem: [missing.length ? `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '', extra.length ? `unknown column${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).join(', ')} (allowed: ${known.join(', ')})` : ''].filter(Boolean).join('; ') }] };
    }
    const problems: ImportProblem[] = [];
    const entries: { device: CityDevice; secret?: string }[] = [];
    const seen = new Map<string, number>();
    // csv-parse's info.lines is the line a record ends on; a record spans one line here (no multi-line fields in these columns)
    for (const { record: r, info } of records) {
      const line = info.lines;
      const id = r.id ?? '';
      const say = (problem: string) => problems.push({ line, ...(id ? { id: id.slice(0, 64) } : {}), problem });
      const lng = Number(r.lng);
      const lat = Number(r.lat);
      if (r.lng === '' || r.lat === '' || !Number.isFinite(lng) || !Number.isFinite(lat)) {
        say(`lng and lat must be numbers (got "${(r.lng ?? '').slice(0, 20)}", "${(r.lat ?? '').slice(0, 20)}")`);
        continue;
      }
      const pub = (r.public ?? '').toLowerCase();
      if (!['', 'true', 'false', 'yes', 'no', '1', '0'].includes(pub)) {
        say(`public must be true or false (got "${pub.slice(0, 20)}")`);
        continue;
      }
      const secret = r.secret ? r.secret : undefined;
      if (secret !== undefined && (secret.length < SECRET_MIN || secret.length > SECRET_MAX)) {
        say(`secret must be ${SECRET_MIN} to ${SECRET_MAX} characters (leave it empty to have one generated)`);
        continue;
      }
      const entry: Record<string, unknown> = {
        id, kind: r.kind, location: [lng, lat], secret_hash: CHECK_HASH,
        ...(r.grid ? { grid: r.grid } : {}), ...(r.name ? { name: r.name } : {}),
        ...(r.zones ? { zones: r.zones.split(/[;|]/).map((z) => z.trim()).filter(Boolean) } : {}),
        ...(pub ? { public: ['true', 'yes', '1'].includes(pub) } : {}),
      };
      if (typeof r.kind === 'string' && !(DEVICE_KINDS as readonly string[]).includes(r.kind)) {
        say(`kind "${r.kind.slice(0, 40)}" is not one of ${DEVICE_KINDS.join(', ')}`);
        continue;
      }
      const found: string[] = [];
      const [device] = loadDevices([entry], this.o.city.cells, found);
      if (found.length || !device) {
        say(found.map((p) => restate(p, '').replace(/^:\s*/, '').replace(/^ field /, '')).join('; '));
        continue;
      }
      if (this.o.city.devicesById.has(device.id)) {
        say(`device "${device.id}" already exists (change it with PATCH /api/admin/devices/${device.id}, not an import)`);
        continue;
      }
      const first = seen.get(device.id);
      if (first !== undefined) {
        say(`device "${device.id}" is on line ${first} too`);
        continue;
      }
      seen.set(device.id, line);
      entries.push({ device, ...(secret !== undefined ? { secret } : {}) });
    }
    return { entries, problems, rows: records.length };
  }

  /** Writes the new list to devices.yaml, then makes it the city's devices. Nothing changes if the write fails. */
  private commit(next: CityDevice[], why: string): CityDevice[] {
    // the whole list, as the loader checks it at start: a gateway's children exist and have one gateway
    // each (and each child learns its gateway from it)
    const problems: string[] = [];
    const checked = loadDevices(next.map((d) => deviceConfigOf(this.withoutExpiredGrace(d))), this.o.city.cells, problems);
    if (problems.length) throw Errors.DEVICE_INVALID(problems.slice(0, 5).map((p) => p.replace(/^devices\.yaml: /, '')).join('; '));
    const text = devicesYaml(checked, { previousText: this.lastText });
    try {
      writeFileAtomic(this.path, text);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'devices.yaml could not be written; nothing changed');
      throw Errors.DEVICES_FILE_FAILED((err as Error).message.slice(0, 200));
    }
    this.lastText = text;
    this.watch?.wrote(text);
    this.apply(checked, why);
    return checked;
  }

  private withoutExpiredGrace(d: CityDevice): CityDevice {
    if (!d.previous_secret || Date.parse(d.previous_secret.until) > this.now()) return d;
    const { previous_secret: _gone, ...rest } = d;
    return rest;
  }

  /** Makes `next` the city's devices in place (every holder of city.devices/devicesById sees it). */
  private apply(next: CityDevice[], why: string): void {
    const removed = replaceDevices(this.o.city, next, { broker: this.o.broker, grace: this.grace, why, now: this.now() });
    for (const d of next) this.o.registry.upsert(d);
    for (const id of removed) this.o.registry.remove(id);
    this.o.onChange?.();
  }
}
