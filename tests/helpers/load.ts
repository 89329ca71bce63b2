// A steady QoS 1 load from a few demo devices, with seq, counting what the broker acknowledged.
// Some devices send their own ts (t0 + seq ms: distinct, so the store keeps each); the `stamped`
// ones send none and are stamped on receipt, so a reading stored twice shows as two rows with the
// same seq (a re-delivered message with its own ts would only overwrite itself).
import type { IClientOptions, MqttClient } from 'mqtt';
import { deviceTopic } from '@citygrid/contract';
import { connectDevice, end } from './system.js';

export interface Load {
  /** Stops sending; resolves with the acknowledged readings per device (seq 0..n-1). */
  stop(): Promise<Map<string, number>>;
  acked(): number;
  /** The seq of every reading acknowledged so far, per device. */
  ackedSeqs(): Map<string, number[]>;
}

/**
 * Water-level gauges publish `level_cm` (values 0..99) at `perDevicePerS` each; devices in `stamped`
 * leave ts out; `metricOf` names another metric for a device of another kind (its range must hold 0..99).
 */
export async function startLoad(url: string, devices: string[], perDevicePerS: number, t0 = Date.now() - 3_600_000, o: { stamped?: readonly string[]; metricOf?: (id: string) => string; mqtt?: IClientOptions } = {}): Promise<Load> {
  const clients = new Map<string, MqttClient>();
  for (const id of devices) clients.set(id, await connectDevice(url, id, `demo-${id}`, { reconnectPeriod: 500, clean: false, clientId: `load-${id}`, ...o.mqtt }));
  const stamped = new Set(o.stamped ?? []);
  const acked = new Map(devices.map((d) => [d, 0]));
  const seqs = new Map(devices.map((d) => [d, [] as number[]]));
  const next = new Map(devices.map((d) => [d, 0]));
  const inflight = new Set<Promise<void>>();
  let total = 0;
  let credit = 0; // readings per device due, carried between ticks (rates below 20/s send every few ticks)
  const timer = setInterval(() => {
    credit += perDevicePerS / 20;
    const due = Math.floor(credit);
    credit -= due;
    for (const [id, client] of clients) {
      for (let k = 0; k < due; k++) {
        const seq = next.get(id)!;
        next.set(id, seq + 1);
        const metrics = { [o.metricOf?.(id) ?? 'level_cm']: seq % 100 };
        const payload = stamped.has(id) ? { seq, metrics } : { ts: t0 + seq, seq, metrics };
        const p = new Promise<void>((resolve) => {
          client.publish(deviceTopic(id, 'telemetry'), JSON.stringify(payload), { qos: 1 }, (err) => {
            if (!err) {
              acked.set(id, acked.get(id)! + 1);
              seqs.get(id)!.push(seq);
              total++;
            }
            resolve();
          });
        });
        inflight.add(p);
        void p.then(() => inflight.delete(p));
      }
    }
  }, 50);
  let stopped: Promise<Map<string, number>> | null = null;
  return {
    acked: () => total,
    ackedSeqs: () => new Map([...seqs].map(([d, list]) => [d, [...list]])),
    stop: () => (stopped ??= (async () => {
      clearInterval(timer);
      await Promise.all(inflight);
      await Promise.all([...clients.values()].map((c) => end(c)));
      return acked;
    })()),
  };
}
