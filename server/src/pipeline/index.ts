// The ingest pipeline as named steps, run in order for every MQTT message (aedes' handlers/publish.js shape).
// A step throws RejectionError to refuse a message; the pipeline reports it once and carries on.
import { RejectionError, type Rejection } from '@citygrid/contract';
import { dedupe } from './dedupe.js';
import { evaluate } from './evaluate.js';
import { fanOut } from './fan-out.js';
import { store } from './store.js';
import type { PipelineDeps, PipelineMessage, Step } from './types.js';
import { validate } from './validate.js';

export const steps: ReadonlyArray<readonly [string, Step]> = [
  ['validate', validate],
  ['dedupe', dedupe],
  ['store', store],
  ['evaluate', evaluate],
  ['fanOut', fanOut],
];

export interface Pipeline {
  /** `dup`: the MQTT DUP flag of the message as it arrived. */
  run(topic: string, payload: Buffer, receivedAt?: number, dup?: boolean): void;
  /** Messages that entered the pipeline since start. */
  received(): number;
}

export function createPipeline(deps: PipelineDeps, reject: (rejection: Rejection) => void): Pipeline {
  const log = deps.logger.child({ stage: 'pipeline' });
  let received = 0;
  // labelled counters resolved once per channel, not hashed from a label object per message
  const receivedBy = new Map<string, { inc(): void }>();
  const countReceived = (channel: string) => {
    let c = receivedBy.get(channel);
    if (!c) {
      c = deps.metrics.received.labels({ channel });
      if (receivedBy.size < 16) receivedBy.set(channel, c);
    }
    c.inc();
  };
  return {
    received: () => received,
    run(topic, payload, receivedAt = Date.now(), dup = false) {
      received++;
      const msg: PipelineMessage = { topic, payload, receivedAt, dup };
      const channel = topic.slice(topic.lastIndexOf('/') + 1);
      countReceived(channel);
      for (const [name, step] of steps) {
        try {
          if (step(msg, deps) === false) return;
        } catch (err) {
          if (err instanceof RejectionError) {
            const deviceId = topic.split('/')[3] ?? null;
            const rejection: Rejection = { ts: receivedAt, device: deviceId, topic: topic.slice(0, 200), reason: err.reason, message: err.message, by: 'server' };
            if (err.seq !== undefined) rejection.seq = err.seq;
            reject(rejection);
          } else {
            deps.metrics.pipelineErrors.inc({ step: name });
            log.error({ err, step: name, topic }, 'pipeline step failed');
          }
          return;
        }
      }
    },
  };
}
export type { PipelineDeps, LiveFeed } from './types.js';
