// Each device's connection history (issue 18: the device's page), from the embedded broker's events
// (broker/src/connection-history.ts): its last DEVICE_CONNECTIONS_KEPT events and its state now.
// Bounded however many devices the city has and whatever a client does: at most `perDevice` events
// per device, at most `maxEvents` in all (the devices least recently active are forgotten first, whole),
// refused logins in a row from one address summed up in one event, and a device's open connections
// capped (a device may hold several client ids; the broker caps its sessions too).
import { DEVICE_CONNECTIONS_KEPT, type DeviceConnectionEvent, type DeviceConnectionState, type MqttTransport } from '@citygrid/contract';

/** Across all devices: 200,000 events of a few hundred bytes, some tens of MB at most. */
export const MAX_CONNECTION_EVENTS = 200_000;
/** Open connections tracked per device; beyond it the oldest is forgotten. */
const MAX_OPEN_PER_DEVICE = 16;

interface Open { clientId: string; since: number; address: string; transport: MqttTransport }

interface DeviceLog {
  device: string;
  /** The order of last activity, a list linked through the logs (a Map's delete-and-set order made
   *  finding the first live entry walk past every deleted one: quadratic under churn). */
  older: DeviceLog | null;
  newer: DeviceLog | null;
  /** Oldest first. */
  events: DeviceConnectionEvent[];
  /** Open connections by client id (test connections aside). */
  open: Map<string, Open>;
  /** The last connection that ended, when none is open. */
  last: { at: number; address: string; transport: MqttTransport; clientId: string } | null;
}

export class DeviceConnections {
  private readonly devices = new Map<string, DeviceLog>();
  /** The least and the most recently active device. */
  private oldest: DeviceLog | null = null;
  private newest: DeviceLog | null = null;
  private total = 0;
  private readonly perDevice: number;
  private readonly maxEvents: number;

  constructor(o: { perDevice?: number; maxEvents?: number } = {}) {
    this.perDevice = Math.max(1, o.perDevice ?? DEVICE_CONNECTIONS_KEPT);
    this.maxEvents = Math.max(this.perDevice, o.maxEvents ?? MAX_CONNECTION_EVENTS);
  }

  record(e: DeviceConnectionEvent): void {
    let log = this.devices.get(e.device);
    if (log) this.unlink(log);
    else {
      log = { device: e.device, older: null, newer: null, events: [], open: new Map(), last: null };
      this.devices.set(e.device, log);
    }
    this.append(log); // the most recently active
    this.apply(log, e);
    const prev = log.events.at(-1);
    if (e.type === 'refused' && prev?.type === 'refused' && prev.message === e.message && prev.address === e.address) {
      // the same refusal again (a client retrying with a wrong secret): one event, counted
      log.events[log.events.length - 1] = { ...prev, ts: e.ts, clientId: e.clientId, count: (prev.count ?? 1) + 1 };
      return;
    }
    log.events.push(e);
    this.total++;
    if (log.events.length > this.perDevice) {
      log.events.shift();
      this.total--;
    }
    while (this.total > this.maxEvents) this.evictOldest();
  }

  /** Newest first. */
  history(device: string): DeviceConnectionEvent[] {
    return [...(this.devices.get(device)?.events ?? [])].reverse();
  }

  state(device: string): DeviceConnectionState {
    const log = this.devices.get(device);
    const open = log ? [...log.open.values()] : [];
    const newest = open.at(-1);
    if (newest) return { online: true, since: newest.since, address: newest.address, transport: newest.transport, clientId: newest.clientId, connections: open.length };
    const last = log?.last;
    return { online: false, since: last?.at ?? null, address: last?.address ?? null, transport: last?.transport ?? null, clientId: last?.clientId ?? null, connections: 0 };
  }

  /** Events kept in all, and devices with any. */
  size(): { events: number; devices: number } {
    return { events: this.total, devices: this.devices.size };
  }

  private apply(log: DeviceLog, e: DeviceConnectionEvent): void {
    if (e.type === 'refused' || e.test) return;
    if (e.type === 'connect') {
      log.open.delete(e.clientId);
      log.open.set(e.clientId, { clientId: e.clientId, since: e.ts, address: e.address, transport: e.transport });
      if (log.open.size > MAX_OPEN_PER_DEVICE) log.open.delete(log.open.keys().next().value!);
      return;
    }
    log.open.delete(e.clientId);
    log.last = { at: e.ts, address: e.address, transport: e.transport, clientId: e.clientId };
  }

  private evictOldest(): void {
    const log = this.oldest;
    if (!log) return;
    this.unlink(log);
    this.devices.delete(log.device);
    this.total -= log.events.length;
  }

  private unlink(log: DeviceLog): void {
    if (log.older) log.older.newer = log.newer;
    else this.oldest = log.newer;
    if (log.newer) log.newer.older = log.older;
    else this.newest = log.older;
    log.older = log.newer = null;
  }

  private append(log: DeviceLog): void {
    log.older = this.newest;
    log.newer = null;
    if (this.newest) this.newest.newer = log;
    else this.oldest = log;
    this.newest = log;
  }
}
