// The per-user socket cap of cluster mode, shared by every replica through Redis: a user with sockets
// on three replicas holds at most MAX_SOCKETS_PER_USER places in all, not that many on each.
// Per user a sorted set `citygrid:sockets:<username>` of `<replicaId>:<socketId>`, each scored by the
// time its place lapses (Redis's own clock, so replicas' clocks do not matter). Taking is one Lua
// script (drop lapsed members, refuse at the cap, else add): two replicas deciding at once cannot both
// take the last place. Each replica pushes the lapse time of its live sockets TTL on every TTL/3, in
// one script call per round (per 500 sockets), so the places of a replica killed with SIGKILL lapse
// within the TTL. A user's set holds at most the cap and expires by itself once nothing refreshes it.
// When Redis cannot be asked (down, or no answer within a second) a replica counts its own sockets
// only (the cap per replica, as `npm start` has it): users are never locked out because Redis is
// away. Once Redis answers again, each replica puts its live sockets back (if there is room).
import type { Logger } from 'pino';
import { MAX_SOCKETS_PER_USER, MemorySocketPlaces, type PlaceDecision, type SocketPlaces } from './socket-places.js';

/** What these places use of a node-redis client (the server's, shared with sessions and Socket.IO). */
export interface RedisPlacesClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  zRem(key: string, members: string[]): Promise<number>;
  readonly isReady: boolean;
  on?(event: 'ready', listener: () => void): unknown;
  off?(event: 'ready', listener: () => void): unknown;
}

export interface RedisPlacesOptions {
  cap?: number;
  /** How long a place outlives its replica's last refresh; refreshed every ttlMs / 3. Default 60 s. */
  ttlMs?: number;
  /** A Redis call not answered within this counts as Redis away. Default 1 s. */
  timeoutMs?: number;
  /** This replica's name in the members; default random. */
  replicaId?: string;
  /** Separates users' keys of instances sharing one Redis (tests); the server uses the default. */
  prefix?: string;
  logger?: Logger;
}

export const SOCKET_PLACE_TTL_MS = 60_000;
const BATCH = 500;

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS[1] the user's set; ARGV cap, ttl, member. Returns {1, held} or {0, held}. */
const TAKE = `${NOW}
local cap, ttl, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if not redis.call('ZSCORE', KEYS[1], member) then
  if held >= cap then return {0, held} end
  held = held + 1
end
redis.call('ZADD', KEYS[1], now + ttl, member)
redis.call('PEXPIRE', KEYS[1], ttl)
return {1, held}`;

/**
 * KEYS the users' sets; ARGV cap, ttl, then per key: its member count and members. A member still
 * there gets a new lapse time; one missing (Redis restarted, or taken while Redis was away) is put
 * back if the user is under the cap.
 */
const REFRESH = `${NOW}
local cap, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local i = 3
for k = 1, #KEYS do
  local key = KEYS[k]
  local n = tonumber(ARGV[i])
  i = i + 1
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  for j = 1, n do
    local member = ARGV[i]
    i = i + 1
    if redis.call('ZSCORE', key, member) or redis.call('ZCARD', key) < cap then
      redis.call('ZADD', key, now + ttl, member)
    end
  end
  if redis.call('EXISTS', key) == 1 then redis.call('PEXPIRE', key, ttl) end
end
return 1`;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class RedisSocketPlaces implements SocketPlaces {
  readonly cap: number;
  readonly replicaId: string;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly prefix: string;
  /** This replica's sockets: what it refreshes, and its own count when Redis is away. */
  private readonly local: MemorySocketPlaces;
  private readonly timer: NodeJS.Timeout;
  private readonly log: Logger | null;
  private readonly onReady = () => { void this.refresh(); };
  private away = false;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly redis: RedisPlacesClient, o: RedisPlacesOptions = {}) {
    this.cap = o.cap ?? MAX_SOCKETS_PER_USER;
    this.ttlMs = o.ttlMs ?? SOCKET_PLACE_TTL_MS;
    this.timeoutMs = o.timeoutMs ?? 1_000;
    this.replicaId = o.replicaId ?? `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    this.prefix = o.prefix ?? 'citygrid:sockets:';
    this.log = o.logger?.child({ stage: 'socket-places' }) ?? null;
    this.local = new MemorySocketPlaces(this.cap);
    this.timer = setInterval(() => { void this.refresh(); }, Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    redis.on?.('ready', this.onReady);
  }

  async take(user: string, socketId: string): Promise<PlaceDecision> {
    // this replica's own sockets are a floor of the user's count, whatever Redis holds
    const own = this.local.held(user);
    if (own >= this.cap && !this.local.has(user, socketId)) return { allowed: false, held: own };
    if (!this.redis.isReady) return this.fallback(user, socketId, new Error('not connected'));
    try {
      const [allowed, held] = await withTimeout(this.redis.eval(TAKE, {
        keys: [this.key(user)], arguments: [String(this.cap), String(this.ttlMs), this.member(socketId)],
      }), this.timeoutMs) as [number, number];
      this.reachable();
      if (!allowed) return { allowed: false, held };
      this.local.hold(user, socketId);
      return { allowed: true };
    } catch (err) {
      // if the script still runs later, its member is this socket's (refreshed, or removed on release)
      return this.fallback(user, socketId, err);
    }
  }

  async release(user: string, socketId: string): Promise<void> {
    if (!this.local.releaseNow(user, socketId)) return;
    if (!this.redis.isReady) return; // its member lapses within the TTL: nothing refreshes it
    try {
      await withTimeout(this.redis.zRem(this.key(user), [this.member(socketId)]), this.timeoutMs);
    } catch (err) {
      this.unreachable(err);
    }
  }

  /** Pushes the lapse time of every socket this replica holds; puts back those Redis lost. */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = this.refreshRound().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.redis.off?.('ready', this.onReady);
    await this.refreshing;
  }

  /** Sockets this replica holds for the user (tests, diagnostics). */
  held(user: string): number {
    return this.local.held(user);
  }

  private async refreshRound(): Promise<void> {
    if (!this.redis.isReady) return;
    const batches: { keys: string[]; args: string[]; size: number }[] = [];
    let batch = { keys: [] as string[], args: [String(this.cap), String(this.ttlMs)], size: 0 };
    for (const [user, sockets] of this.local.entries()) {
      if (batch.size >= BATCH) {
        batches.push(batch);
        batch = { keys: [], args: [String(this.cap), String(this.ttlMs)], size: 0 };
      }
      batch.keys.push(this.key(user));
      batch.args.push(String(sockets.size), ...[...sockets].map((id) => this.member(id)));
      batch.size += sockets.size;
    }
    if (batch.size) batches.push(batch);
    if (!batches.length) return;
    try {
      // issued in one tick: node-redis sends them as one pipeline
      await withTimeout(Promise.all(batches.map((b) => this.redis.eval(REFRESH, { keys: b.keys, arguments: b.args }))), this.timeoutMs * 5);
      this.reachable();
    } catch (err) {
      this.unreachable(err);
    }
  }

  private fallback(user: string, socketId: string, err: unknown): PlaceDecision {
    this.unreachable(err);
    return this.local.takeNow(user, socketId);
  }

  private unreachable(err: unknown): void {
    if (this.away) return;
    this.away = true;
    this.log?.warn({ err: (err as Error)?.message }, 'Redis unreachable: each replica counts only its own sockets against the per-user cap until it is back');
  }

  private reachable(): void {
    if (!this.away) return;
    this.away = false;
    this.log?.info('Redis reachable again: the per-user socket cap is shared by every replica again');
    void this.refresh(); // sockets taken meanwhile count across replicas from now on
  }

  private key(user: string): string {
    return this.prefix + user;
  }

  private member(socketId: string): string {
    return `${this.replicaId}:${socketId}`;
  }
}
