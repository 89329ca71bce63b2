// devices.yaml changing under a running process (issue 18): the server's provisioning writes it, an
// engineer edits it by hand, or config management replaces it on every node. Two parts, shared by
// the server (server/src/provisioning/devices.ts) and the standalone broker and cluster edges
// (main.ts):
//   - replaceDevices(): makes a new list the city's devices IN PLACE (every holder of the city's
//     devices array and map sees it: the broker's logins, the edge's cells, the server's pipeline),
//     and closes the connections the change ends: removed, disabled, or logged in with a secret no
//     longer accepted. A rotated-out secret's grace end is timed too.
//   - DevicesFileWatch: a watch on the city folder (debounced) that reads devices.yaml again when it
//     changes, checks it as the loader does, and hands a good list on; a bad file is refused with the
//     loader's file, entry and field, and the last good devices stay.
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { readDevicesYaml, type City, type CityDevice } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { CityBroker } from './broker.js';

export const DEVICES_FILE = 'devices.yaml';

export const textDigest = (text: string) => createHash('sha256').update(text).digest('hex');

type Disconnect = Pick<CityBroker, 'disconnectDevice'> | null | undefined;

/** The secrets a device's logins are accepted with now: its own, and a rotated-out one in its grace period. */
function acceptedHashes(d: CityDevice, now: number): Set<string> {
  const previous = d.previous_secret;
  return new Set([d.secret_hash, ...(previous && Date.parse(previous.until) > now ? [previous.secret_hash] : [])]);
}

/** When a rotated-out secret's grace ends, the connections still logged in with it are closed. */
export class GraceTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly broker: () => Disconnect, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  schedule(d: CityDevice): void {
    this.clear(d.id);
    const previous = d.previous_secret;
    const wait = previous ? Date.parse(previous.until) - this.now() : NaN;
    if (!previous || !(wait > 0)) return;
    const t = setTimeout(() => {
      this.timers.delete(d.id);
      const closed = this.broker()?.disconnectDevice(d.id, 'the grace period of its previous secret ended', (who) => who.secretHash === previous.secret_hash) ?? 0;
      if (closed) this.logger.info({ device: d.id, closed }, 'previous secret expired: its connections were closed');
    }, Math.min(wait, 2 ** 31 - 1));
    t.unref();
    this.timers.set(d.id, t);
  }

  clear(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Makes `next` the city's devices in place and closes the connections the change ends. Returns the
 * ids that were removed (the caller's own views drop them).
 */
export function replaceDevices(city: Pick<City, 'devices' | 'devicesById'>, next: CityDevice[], o: { broker: Disconnect; grace: GraceTimers; why: string; now?: number }): string[] {
  const now = o.now ?? Date.now();
  const before = new Map(city.devicesById);
  city.devices.length = 0;
  city.devicesById.clear();
  for (const d of next) {
    city.devices.push(d);
    city.devicesById.set(d.id, d);
  }
  const removed = [...before.keys()].filter((id) => !city.devicesById.has(id));
  for (const id of removed) {
    o.grace.clear(id);
    o.broker?.disconnectDevice(id, `removed (${o.why})`);
  }
  for (const d of next) {
    const old = before.get(d.id);
    if (d.disabled && !old?.disabled) o.broker?.disconnectDevice(d.id, `disabled (${o.why})`);
    else if (old && old.secret_hash !== d.secret_hash) {
      const valid = acceptedHashes(d, now);
      o.broker?.disconnectDevice(d.id, `its secret changed (${o.why})`, (who) => who.secretHash !== undefined && !valid.has(who.secretHash));
    }
    o.grace.schedule(d);
  }
  return removed;
}

export interface DevicesFileWatchOptions {
  city: Pick<City, 'dir' | 'cells'>;
  logger: Logger;
  /** A good new list, read from the file (its text, to remember as the file in force). */
  onDevices(devices: CityDevice[], text: string): void;
  /** The file was changed and refused: the loader's problems. */
  onRefused?(problems: string[]): void;
  /** Debounce, ms (default 300). */
  debounceMs?: number;
}

export class DevicesFileWatch {
  private readonly path: string;
  private digest: string;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private refused: string[] = [];

  constructor(private readonly o: DevicesFileWatchOptions, text: string) {
    this.path = join(o.city.dir, DEVICES_FILE);
    this.digest = textDigest(text);
    try {
      this.watcher = watch(o.city.dir, (_event, name) => {
        if (name !== DEVICES_FILE) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.check(), o.debounceMs ?? 300);
      });
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, 'cannot watch the city folder: hand edits of devices.yaml need a restart');
    }
  }

  /** The text in force is now this (our own write): a watch event that finds it is not a change. */
  wrote(text: string): void {
    this.digest = textDigest(text);
    this.refused = [];
  }

  /** What the last change was refused for (empty: the file in force is the file on disk). */
  problems(): string[] {
    return [...this.refused];
  }

  /** Reads the file again now; the watch calls this on its own. */
  check(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.refuse([`devices.yaml: cannot be read: ${(err as Error).message}`]);
      return;
    }
    if (textDigest(text) === this.digest) return; // our own write, or saved without a change
    const { devices, problems } = readDevicesYaml(text, this.o.city.cells);
    if (problems.length) {
      this.refuse(problems);
      return;
    }
    this.wrote(text);
    this.o.onDevices(devices, text);
    this.o.logger.info({ devices: devices.length }, 'devices.yaml changed on disk: its devices are in force');
  }

  private refuse(problems: string[]): void {
    this.refused = problems;
    this.o.logger.warn({ problems: problems.slice(0, 20) }, 'devices.yaml was refused; the last good devices stay active: %s', problems[0]);
    this.o.onRefused?.(problems);
  }

  close(): void {
    this.watcher?.close();
    if (this.debounce) clearTimeout(this.debounce);
  }
}
