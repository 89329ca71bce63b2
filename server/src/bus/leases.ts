// Which server replica owns which partition, in cluster mode: leases in JetStream KV (never our own
// consensus). Each replica announces itself in a members bucket; partitions are shared out by
// rendezvous hashing over the live members (each takes about P/M, and a member coming or going
// moves only its share). A lease is a key in the owners bucket, taken with create (refused while
// another holds it) and renewed with update at its revision (refused if anyone else wrote it since);
// both buckets forget keys not renewed within the TTL. A replica that cannot renew a lease in time
// stops consuming that partition at once, before the TTL lets another take it.
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { jetstream, JetStreamApiError } from '@nats-io/jetstream';
import { fnv1a, PARTITIONS } from '@citygrid/contract';
import type { Logger } from 'pino';
import { WRONG_LAST_SEQUENCE } from './streams.js';

export const OWNERS_BUCKET = 'citygrid_owners';
export const MEMBERS_BUCKET = 'citygrid_members';

export interface LeaseOptions {
  nc: NatsConnection;
  logger: Logger;
  /** Copies of the buckets across NATS nodes (as the stream's). */
  replicas: number;
  /** A lease not renewed within this is free for another replica. Default 6 s. */
  ttlMs?: number;
  /** How often leases are renewed and the share recomputed. Default 1.5 s. */
  renewMs?: number;
  partitions?: number;
  /** This replica now owns the partition (the lease's revision fences what it writes). */
  onAcquire(partition: number): void;
  /** This replica must stop consuming the partition now. */
  onLose(partition: number, why: string): Promise<void> | void;
}

/** A replica id: unique per process, a valid KV key, and no host name (GET /api/health shows it to anyone). */
export function replicaId(): string {
  return `r-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The member that should own a partition: highest hash of (partition, member). */
export function rendezvous(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = fnv1a(`${partition}/${m}`);
    if (score > bestScore || (score === bestScore && m < best!)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

const key = (p: number) => `p${p}`;
/** How long a graceful stop waits for NATS to free its leases. */
const STOP_WAIT_MS = 2_000;

interface Held { revision: number; renewedAt: number }

export class PartitionLeases {
  readonly id = replicaId();
  private owners!: KV;
  private members!: KV;
  private readonly held = new Map<number, Held>();
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly partitions: number;
  /** The renewals' timer and the rounds' timer (cleared by stop). */
  private readonly timers: NodeJS.Timeout[] = [];
  private fence: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Renewals in flight (one at a time per partition), each to the revision it got (null: refused). */
  private readonly renewing = new Map<number, Promise<number | null>>();
  /** The members seen in the members bucket, with when (local clock) each was last seen announcing itself. */
  private readonly seen = new Map<string, number>();
  private watcher: { stop(): void } | null = null;
  private stopped = false;
  readonly stats = { acquired: 0, lost: 0, released: 0, unanswered: 0 };

  constructor(private readonly o: LeaseOptions) {
    this.ttlMs = o.ttlMs ?? 6_000;
    this.renewMs = o.renewMs ?? 1_500;
    this.partitions = o.partitions ?? PARTITIONS;
  }

  async start(): Promise<void> {
    // every KV request answers (or fails) well within a lease's TTL
    const kvm = new Kvm(jetstream(this.o.nc, { timeout: Math.max(500, Math.floor(this.ttlMs / 3)) }));
    this.owners = await kvm.create(OWNERS_BUCKET, { ttl: this.ttlMs, history: 1, replicas: this.o.replicas });
    this.members = await kvm.create(MEMBERS_BUCKET, { ttl: this.ttlMs, history: 1, replicas: this.o.replicas });
    await this.watchMembers();
    // self-fencing, from the first lease on: a lease not renewed well before its TTL is given up here,
    // whatever NATS or this process's rounds are doing. A lease is counted from when its create or
    // update was sent (the server's TTL may have started any time after that).
    this.fence = setInterval(() => {
      const now = Date.now();
      for (const [p, h] of this.held) {
        if (now - h.renewedAt > this.ttlMs - Math.max(this.renewMs, this.ttlMs / 3)) void this.lose(p, 'its lease could not be renewed in time', { since_renewal_ms: now - h.renewedAt, renewal_in_flight: this.renewing.has(p) });
      }
    }, 100);
    // a bucket just created on a cluster may take a moment to elect its leader: the rounds retry
    await this.round().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'first lease round failed; retrying'));
    // renewals run on their own timer, never behind a round's takes and handovers (or a slow members
    // write): under load, a renewal sent late is a partition lost
    this.timers.push(setInterval(() => this.renewAll(), this.renewMs));
    this.timers.push(setInterval(() => {
      this.running ??= this.round().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'lease round failed')).finally(() => { this.running = null; });
    }, this.renewMs));
  }

  /**
   * Follows the members bucket with one watcher (listing its keys each round would create and delete
   * a consumer every round). The bucket forgets a member silently when its TTL passes, so a member
   * counts as live while it announced itself within the TTL, by this process's clock.
   */
  private async watchMembers(): Promise<void> {
    const entries = await this.members.watch();
    this.watcher = entries;
    void (async () => {
      for await (const e of entries) {
        if (e.operation === 'PUT') this.seen.set(e.key, Math.min(Date.now(), e.created.getTime()));
        else this.seen.delete(e.key);
      }
    })().catch((err: Error) => { if (!this.stopped) this.o.logger.warn({ err: err.message }, 'watching the replicas\' announcements stopped'); });
  }

  /** Renews every lease held that is not being renewed already. */
  private renewAll(): void {
    if (this.stopped) return;
    for (const [p, h] of this.held) {
      if (this.renewing.has(p)) continue;
      this.renewing.set(p, this.renew(p, h).finally(() => this.renewing.delete(p)));
    }
  }

  /**
   * One renewal, to the revision it got (null: not renewed). Only a refusal gives the lease up: a
   * renewal unanswered in time (NATS busy, or away) leaves it held until the fence says otherwise,
   * and the next renewal tries again. A refusal because the key was written since is checked first:
   * an earlier renewal of this replica may have been applied after its answer was given up on.
   */
  private async renew(p: number, h: Held): Promise<number | null> {
    const sent = Date.now();
    try {
      const revision = await this.owners.update(key(p), this.id, h.revision);
      if (this.held.get(p) === h) this.held.set(p, { revision, renewedAt: sent });
      return revision;
    } catch (err) {
      if (this.held.get(p) !== h) return null;
      if (!(err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)) {
        this.stats.unanswered++;
        this.o.logger.debug({ partition: p, err: (err as Error).message }, 'lease renewal unanswered; trying again');
        return null;
      }
      const now = await this.owners.get(key(p)).catch(() => null);
      if (this.held.get(p) !== h) return null;
      if (now?.operation === 'PUT' && now.string() === this.id && now.revision > h.revision) {
        // still this replica's: the revision moves on, the fence's clock does not (when that write landed is unknown)
        this.held.set(p, { revision: now.revision, renewedAt: h.renewedAt });
        return now.revision;
      }
      void this.lose(p, `renewal refused (${(err as Error).message})`);
      return null;
    }
  }

  /** Does this replica hold the partition's lease now? */
  owns(partition: number): boolean {
    return this.held.has(partition);
  }

  /** The partitions this replica owns now. */
  owned(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  private async lose(p: number, why: string, detail?: Record<string, unknown>): Promise<void> {
    if (!this.held.delete(p)) return;
    this.stats.lost++;
    this.o.logger.warn({ partition: p, why, ...detail }, 'partition given up');
    await this.o.onLose(p, why);
  }

  private liveMembers(): string[] {
    const since = Date.now() - this.ttlMs;
    const list = [...this.seen].filter(([, at]) => at >= since).map(([m]) => m);
    if (!list.includes(this.id)) list.push(this.id);
    return list.sort();
  }

  /** Announce, hand over what another member should have, take what is ours and free (renewals run beside). */
  private async round(): Promise<void> {
    if (this.stopped) return;
    const at = Date.now();
    await this.members.put(this.id, JSON.stringify({ at, owns: this.held.size }));
    this.seen.set(this.id, at);
    const members = this.liveMembers();
    // then taking and handing over, for at most a renewal period
    const until = Date.now() + this.renewMs;
    for (let p = 0; p < this.partitions; p++) {
      if (this.stopped || Date.now() > until) return;
      const want = rendezvous(p, members) === this.id;
      const h = this.held.get(p);
      if (h && !want) {
        // another live member should own it: hand it over (stop, then free the key at our revision).
        // Consuming stops at once (onLose stops taking messages before it resolves); the rest, and the
        // key's release, runs beside this round, so a slow stop never holds up the others. The key is
        // freed at the revision of a renewal still in flight, if one was.
        this.held.delete(p);
        this.stats.released++;
        this.o.logger.info({ partition: p, why: 'handed over to another replica' }, 'partition given up');
        const renewal = this.renewing.get(p) ?? Promise.resolve(null);
        void Promise.resolve(this.o.onLose(p, 'handed over to another replica'))
          .then(() => renewal)
          .then((revision) => this.owners.delete(key(p), { previousSeq: revision ?? h.revision }))
          .catch(() => undefined);
      } else if (!h && want) {
        const sent = Date.now();
        try {
          const revision = await this.owners.create(key(p), this.id);
          this.held.set(p, { revision, renewedAt: sent });
          this.stats.acquired++;
          this.o.onAcquire(p);
        } catch {
          // still held by another (its lease not yet expired, or it is handing over): next round
        }
      }
    }
  }

  /** Stops consuming everything and frees the leases for the others at once (a graceful stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.fence) clearInterval(this.fence);
    this.watcher?.stop();
    const held = [...this.held];
    this.held.clear();
    // every partition stops being consumed now, in this turn (onLose stops taking messages before it
    // returns): one after another, the last would go on consuming while its lease lapsed unrenewed
    const closing = held.map(([p]) => {
      this.o.logger.info({ partition: p, why: 'stopping' }, 'partition given up');
      return Promise.resolve(this.o.onLose(p, 'stopping')).catch(() => undefined);
    });
    await Promise.all(closing);
    // free the keys so that the others take over at once, not after the TTL; but never wait long
    // for a NATS that is going away too (they then lapse by themselves)
    const free = Promise.allSettled([
      this.running,
      ...held.map(async ([p, h]) => this.owners.delete(key(p), { previousSeq: (await this.renewing.get(p)) ?? h.revision })),
      this.members.delete(this.id),
    ]);
    await Promise.race([free, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
  }
}
