// Cluster mode's audit log: one JetStream stream (CITYGRID_AUDIT) that every replica appends its
// entries to and reads whole into its own DATA_DIR/audit.db, in stream order, each entry once (the
// file remembers the last stream sequence it took in). So GET /api/audit on any replica lists the
// whole city's sign-ins and actions, and an action is audited once, by the replica that took it.
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AuditLog, AuditRow } from '../auth/audit-log.js';
import { ensureLogStream, followStream } from './streams.js';

export const AUDIT_STREAM = 'CITYGRID_AUDIT';
export const AUDIT_SUBJECT = 'citygrid.audit';
/**
 * Kept in the stream for replicas that join later, for as long as RETAIN_AUDIT_DAYS says (each
 * replica's audit.db is pruned to the same period, retention.ts); 400 days when not given.
 */
const AUDIT_STREAM_MAX_AGE_MS = 400 * 86_400_000;
const nanos = (ms: number) => ms * 1_000_000;

export interface ClusterAuditOptions {
  nc: NatsConnection;
  audit: AuditLog;
  logger: Logger;
  replicas: number;
  /** With a per-process counter, each entry's dedupe id (a retried append is stored once). */
  replicaId: string;
  /** RETAIN_AUDIT_DAYS in ms: the stream's max age (set on an existing stream too). */
  maxAgeMs?: number;
}

export class ClusterAudit {
  private js!: JetStreamClient;
  private appending: Promise<void> = Promise.resolve();
  private sent = 0;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly o: ClusterAuditOptions) {
    this.log = o.logger.child({ stage: 'audit-stream' });
  }

  async start(): Promise<void> {
    // short: appends are tried again, and the reader's consumer is made anew when a NATS node dies
    this.js = jetstream(this.o.nc, { timeout: 5_000 });
    const jsm = await jetstreamManager(this.o.nc, { timeout: 20_000 });
    const maxAgeMs = this.o.maxAgeMs ?? AUDIT_STREAM_MAX_AGE_MS;
    await ensureLogStream(jsm, { name: AUDIT_STREAM, subjects: [AUDIT_SUBJECT], replicas: this.o.replicas, maxAgeMs });
    // made by an earlier version or with another period: the stream keeps entries as long as the files do
    const info = await jsm.streams.info(AUDIT_STREAM);
    if (info.config.max_age !== nanos(maxAgeMs)) {
      await jsm.streams.update(AUDIT_STREAM, { ...info.config, max_age: nanos(maxAgeMs) });
      this.log.info({ days: maxAgeMs / 86_400_000 }, 'audit stream: max age set to the audit retention period');
    }
    await followStream(this.js, AUDIT_STREAM, {
      fromSeq: this.o.audit.streamPosition() + 1,
      log: this.log,
      stopped: () => this.stopped,
      take: (m) => {
        try {
          this.o.audit.applyFromStream(parseRow(m.data), m.seq);
        } catch (err) {
          this.log.error({ err: (err as Error).message, seq: m.seq }, 'an entry of the audit stream could not be taken in; skipped');
        }
      },
    });
    this.o.audit.sendTo((row) => this.append(row));
  }

  /** Appends an entry, in order, retrying until the stream has it (the same dedupe id each time). */
  private append(row: AuditRow): void {
    const msgID = `${this.o.replicaId}/${++this.sent}`;
    const data = new TextEncoder().encode(JSON.stringify(row));
    this.appending = this.appending.then(async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          await this.js.publish(AUDIT_SUBJECT, data, { msgID });
          return;
        } catch (err) {
          if (attempt === 0) this.log.warn({ err: (err as Error).message, action: row.action }, 'could not append an audit entry to the stream; retrying');
          await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
        }
      }
    });
  }

  /** Waits (a little) for entries still being appended, then stops reading. */
  async close(): Promise<void> {
    await Promise.race([this.appending, new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.stopped = true;
  }
}

function parseRow(data: Uint8Array): AuditRow {
  const v = JSON.parse(new TextDecoder().decode(data)) as Partial<AuditRow>;
  if (typeof v.ts !== 'number' || typeof v.user !== 'string' || typeof v.action !== 'string') throw new Error('not an audit entry');
  return { ts: v.ts, user: v.user.slice(0, 64), action: v.action, target: typeof v.target === 'string' ? v.target.slice(0, 200) : null, note: typeof v.note === 'string' ? v.note.slice(0, 2000) : null };
}
