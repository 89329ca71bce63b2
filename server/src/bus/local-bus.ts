// LocalBus: the bus of `npm start`, in-process. The embedded broker hands it each device message
// after its ACL; it is checked, run through the pipeline (this process owns every partition), and
// the device's PUBACK waits until the store says it is durable (SQLite: committed). Killed at any
// moment, the process has acknowledged nothing it did not keep, and what it kept but had not yet
// acknowledged comes back as a copy the dedupe recognises (or the store's keys absorb).
import type { BusSink, DeviceEntry } from '@citygrid/broker';
import type { Rejection } from '@citygrid/contract';
import type { Pipeline } from '../pipeline/index.js';
import type { TimeSeriesStore } from '../stores/store.js';

export class LocalBus implements BusSink {
  /** One wait for durability per event-loop turn, shared by every message of that turn. */
  private turn: Promise<void> | null = null;

  constructor(private readonly o: { pipeline: Pipeline; store: TimeSeriesStore; onRefusal: (rejection: Rejection) => void }) {}

  async offer(device: DeviceEntry, channel: 'telemetry' | 'event' | 'status', topic: string, payload: Buffer, dup: boolean): Promise<void> {
    // a full store (the InfluxDB spool at its cap): hold the message, unacknowledged, until there is
    // room; the broker reads nothing more from that device meanwhile (TCP pushes back)
    while (this.o.store.full?.()) await this.o.store.whenRoom!();
    this.o.pipeline.offer(device, channel, topic, payload, Date.now(), dup);
    return this.durable();
  }

  refusal(rejection: Rejection): void {
    this.o.onRefusal(rejection);
  }

  private durable(): Promise<void> {
    this.turn ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.turn = null;
        (this.o.store.durable?.() ?? Promise.resolve()).then(resolve, reject);
      });
    });
    return this.turn;
  }
}
