// The ingest pipeline as named steps, run in order for every accepted message (aedes'
// handlers/publish.js shape). What a device sent is first checked against the contract by the
// Acceptor (the edge's, or here for an external broker); a refusal is reported once, with its reason.
import { Acceptor, type AcceptDevice } from '@citygrid/broker';
import { RejectionError, refusedOnTopic, type BusMessage, type Rejection } from '@citygrid/contract';
import { dedupe } from './dedupe.js';
import { evaluate } from './evaluate.js';
import { fanOut } from './fan-out.js';
import { store } from './store.js';
import type { PipelineDeps, PipelineMessage, Step } from './types.js';

export const steps: ReadonlyArray<readonly [string, Step]> = [
  ['dedupe', dedupe],
  ['store', store],
  ['evaluate', evaluate],
  ['fanOut', fanOut],
];

type Channel = 'telemetry' | 'event' | 'status';

export interface Pipeline {
  /** A message the device published on one of its channels, as received (embedded broker: after its ACL). */
  offer(device: AcceptDevice, channel: Channel, topic: string, payload: Buffer, receivedAt: number, dup: boolean): void;
  /** A message from an external broker: its topic and device are checked too. */
  offerTopic(topic: string, payload: Buffer, receivedAt?: number, dup?: boolean): void;
  /** A message an edge already accepted (cluster mode). */
  run(bus: BusMessage): void;
  /** Messages that reached the server since start (accepted or refused for their payload). */
  received(): number;
}

export function createPipeline(deps: PipelineDeps, reject: (rejection: Rejection) => void): Pipeline {
  const log = deps.logger.child({ stage: 'pipeline' });
  const acceptor = new Acceptor();
  let received = 0;
  // labelled counters resolved once per channel, not hashed from a label object per message
  const receivedBy = new Map<string, { inc(): void }>();
  const countReceived = (channel: string) => {
    received++;
    let c = receivedBy.get(channel);
    if (!c) {
      c = deps.metrics.received.labels({ channel });
      if (receivedBy.size < 16) receivedBy.set(channel, c);
    }
    c.inc();
  };

  function refuse(err: unknown, topic: string, receivedAt: number): void {
    if (!(err instanceof RejectionError)) throw err;
    const rejection: Rejection = { ts: receivedAt, ...refusedOnTopic(topic, err.reason), topic: topic.slice(0, 200), reason: err.reason, message: err.message, by: 'server' };
    if (err.seq !== undefined) rejection.seq = err.seq;
    reject(rejection);
  }

  function runAccepted(bus: BusMessage): void {
    const device = deps.registry.get(bus.device);
    if (!device) {
      reject({ ts: bus.receivedAt, device: bus.device, topic: null, reason: 'unknown_device', message: `Device "${bus.device}" is not registered in devices.yaml`, by: 'server' });
      return;
    }
    const msg: PipelineMessage = { bus, device };
    for (const [name, step] of steps) {
      try {
        if (step(msg, deps) === false) return;
      } catch (err) {
        deps.metrics.pipelineErrors.inc({ step: name });
        log.error({ err, step: name, device: bus.device }, 'pipeline step failed');
        return;
      }
    }
  }

  return {
    received: () => received,
    run(bus) {
      countReceived(bus.channel);
      runAccepted(bus);
    },
    offer(device, channel, topic, payload, receivedAt, dup) {
      countReceived(channel);
      let bus: BusMessage;
      try {
        bus = acceptor.accept(device, channel, payload, receivedAt, dup);
      } catch (err) {
        refuse(err, topic, receivedAt);
        return;
      }
      runAccepted(bus);
    },
    offerTopic(topic, payload, receivedAt = Date.now(), dup = false) {
      countReceived(topic.slice(topic.lastIndexOf('/') + 1));
      let bus: BusMessage;
      try {
        bus = acceptor.acceptFromTopic(topic, payload, receivedAt, dup, (id) => deps.registry.get(id));
      } catch (err) {
        refuse(err, topic, receivedAt);
        return;
      }
      runAccepted(bus);
    },
  };
}
export type { PipelineDeps, LiveFeed } from './types.js';
