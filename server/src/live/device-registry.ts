// Live state of every device (online, last seen, latest values, condition) and of every grid cell.
import {
  conditionOf, metricsOf, rollUpCells,
  type Condition, type DeviceView, type GridCellStatus, type Reading,
} from '@citygrid/contract';
import type { City, CityDevice } from '@citygrid/contract/node';
import type { LatestValue } from '../stores/store.js';

interface LiveDevice {
  config: CityDevice;
  /** Last status the device announced; a device that sends data without announcing counts as online. */
  online: boolean;
  lastSeen: number | null;
  latest: Record<string, { value: number | boolean; ts: number }>;
  condition: Condition;
}


export class DeviceRegistry {
  private readonly devices = new Map<string, LiveDevice>();
  private onlineCount = 0;

  constructor(private readonly city: City) {
    for (const config of city.devices) {
      this.devices.set(config.id, { config, online: false, lastSeen: null, latest: {}, condition: 'ok' });
    }
  }

  get(id: string): CityDevice | undefined {
    return this.devices.get(id)?.config;
  }

  /** A provisioned device (provisioning/devices.ts): a new one starts offline; a changed one keeps its live state. */
  upsert(config: CityDevice): void {
    const d = this.devices.get(config.id);
    if (d) d.config = config;
    else this.devices.set(config.id, { config, online: false, lastSeen: null, latest: {}, condition: 'ok' });
  }

  /** A removed device: gone from the live views and counts. */
  remove(id: string): void {
    const d = this.devices.get(id);
    if (!d) return;
    if (d.online) this.onlineCount--;
    this.devices.delete(id);
  }

  /** Restores latest values from the store after a restart (booleans are stored as 0/1). */
  seed(rows: LatestValue[]): void {
    for (const row of rows) {
      const d = this.devices.get(row.device);
      const spec = d && metricsOf(d.config.kind)[row.metric];
      if (!d || !spec) continue;
      const value = spec.type === 'boolean' ? row.value !== 0 : row.value;
      const prev = d.latest[row.metric];
      if (!prev || prev.ts <= row.ts) d.latest[row.metric] = { value, ts: row.ts };
      d.lastSeen = Math.max(d.lastSeen ?? 0, row.ts);
    }
    for (const d of this.devices.values()) d.condition = conditionOf(d.config.kind, this.values(d));
  }

  private values(d: LiveDevice): Record<string, number | boolean> {
    const out: Record<string, number | boolean> = {};
    for (const [k, v] of Object.entries(d.latest)) out[k] = v.value;
    return out;
  }

  private markOnline(d: LiveDevice, online: boolean): boolean {
    if (d.online === online) return false;
    d.online = online;
    this.onlineCount += online ? 1 : -1;
    return true;
  }

  /** Applies accepted readings; returns the device's condition and whether it just came online. */
  applyReadings(id: string, readings: Reading[], receivedAt: number): { condition: Condition; cameOnline: boolean } {
    const d = this.devices.get(id);
    if (!d) return { condition: 'ok', cameOnline: false }; // removed while its message was on the way
    for (const r of readings) {
      for (const [metric, value] of Object.entries(r.metrics)) {
        const prev = d.latest[metric];
        if (!prev || prev.ts <= r.ts) d.latest[metric] = { value, ts: r.ts };
      }
    }
    d.lastSeen = receivedAt;
    d.condition = conditionOf(d.config.kind, this.values(d));
    return { condition: d.condition, cameOnline: this.markOnline(d, true) };
  }

  /** Any accepted message (a camera event too) shows the device is alive. */
  touch(id: string, receivedAt: number): boolean {
    const d = this.devices.get(id);
    if (!d) return false;
    d.lastSeen = receivedAt;
    return this.markOnline(d, true);
  }

  /** Returns true when the online state changed. */
  setStatus(id: string, online: boolean): boolean {
    const d = this.devices.get(id);
    return d ? this.markOnline(d, online) : false;
  }

  isOnline(id: string): boolean {
    return this.devices.get(id)?.online ?? false;
  }

  conditionOf(id: string): Condition {
    return this.devices.get(id)?.condition ?? 'ok';
  }

  latestValues(id: string): Record<string, number | boolean> {
    const d = this.devices.get(id);
    return d ? this.values(d) : {};
  }

  view(id: string): DeviceView | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    const { config } = d;
    const view: DeviceView = {
      id: config.id, kind: config.kind, grid: config.grid, district: config.district, location: config.location,
      online: d.online, lastSeen: d.lastSeen, latest: { ...d.latest }, condition: d.condition,
    };
    if (config.name) view.name = config.name;
    return view;
  }

  views(): DeviceView[] {
    return [...this.devices.keys()].map((id) => this.view(id)!);
  }

  counts(): { online: number; total: number } {
    return { online: this.onlineCount, total: this.devices.size };
  }

  /** Each cell's status (the contract's roll-up, the same rule as the dashboard's live map). */
  gridStatus(): Map<string, GridCellStatus> {
    const rolled = rollUpCells(this.city.cells.map((c) => c.id), [...this.devices.values()].map((d) => ({ grid: d.config.grid, online: d.online, condition: d.condition })));
    return new Map([...rolled].map(([id, { devices, online, condition }]) => [id, { devices, online, condition }]));
  }
}
