// Sign-in sessions in Redis (cluster mode): every replica checks, refreshes and ends the same
// sessions, so a token signed in on one replica works on the others and a sign-out on one is
// refused by all. One key a session (JSON, expiring at the session's end: absence means refused,
// as in the SQLite store), one sorted set a user (its sessions by start, for the per-user cap).
// Refreshes and sign-outs are compare-and-set in Lua, so two replicas racing cannot both win.
import type { SessionRecord, SessionStore } from './sessions.js';

/** What this store uses of a node-redis client (the server's, shared with Socket.IO's adapter). */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: object): Promise<string | null>;
  mGet(keys: string[]): Promise<(string | null)[]>;
  zAdd(key: string, member: { score: number; value: string }): Promise<number>;
  zRange(key: string, start: number, stop: number): Promise<string[]>;
  zRem(key: string, members: string[]): Promise<number>;
  pExpireAt(key: string, at: number): Promise<number>;
  pExpireTime(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
}

const PREFIX = 'citygrid:session:';
const USER_PREFIX = 'citygrid:user-sessions:';
const CREATED = 'citygrid:sessions:created-at';

/** Refresh: `to` becomes current and `from` the replaced one, only if `from` is current and not signed out. */
const ROTATE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.jti ~= ARGV[1] or r.revokedAt ~= cjson.null then return 0 end
r.prevJti = ARGV[1]
r.jti = ARGV[2]
r.prevUntil = tonumber(ARGV[3])
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
return 1`;

/** Sign-out as of ARGV[1], once. */
const REVOKE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if r.revokedAt ~= cjson.null then return 0 end
r.revokedAt = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
return 1`;

export class RedisSessionStore implements SessionStore {
  private constructor(private readonly redis: RedisCommands, readonly createdAt: number, private readonly now: () => number) {}

  static async open(redis: RedisCommands, now: () => number = Date.now): Promise<RedisSessionStore> {
    await redis.set(CREATED, String(now()), { condition: 'NX' });
    return new RedisSessionStore(redis, Number(await redis.get(CREATED)), now);
  }

  async get(sid: string): Promise<SessionRecord | null> {
    const v = await this.redis.get(PREFIX + sid);
    return v ? JSON.parse(v) as SessionRecord : null;
  }

  async create(record: SessionRecord): Promise<boolean> {
    const ok = await this.redis.set(PREFIX + record.sid, JSON.stringify(record), { condition: 'NX', expiration: { type: 'PXAT', value: record.expiresAt } });
    if (ok !== 'OK') return false;
    const user = USER_PREFIX + record.username;
    await this.redis.zAdd(user, { score: record.startedAt, value: record.sid });
    // the index lives as long as its longest-lived session (-1: no expiry set yet)
    const until = await this.redis.pExpireTime(user);
    if (until < record.expiresAt) await this.redis.pExpireAt(user, record.expiresAt);
    return true;
  }

  async rotate(sid: string, fromJti: string, toJti: string, prevUntil: number): Promise<boolean> {
    return (await this.redis.eval(ROTATE, { keys: [PREFIX + sid], arguments: [fromJti, toJti, String(prevUntil)] })) === 1;
  }

  async revoke(sid: string, at: number): Promise<boolean> {
    return (await this.redis.eval(REVOKE, { keys: [PREFIX + sid], arguments: [String(at)] })) === 1;
  }

  async live(username: string): Promise<SessionRecord[]> {
    const user = USER_PREFIX + username;
    const sids = await this.redis.zRange(user, 0, -1);
    if (sids.length === 0) return [];
    const values = await this.redis.mGet(sids.map((s) => PREFIX + s));
    const gone = sids.filter((_, i) => values[i] === null);
    if (gone.length) await this.redis.zRem(user, gone);
    const now = this.now();
    return values.flatMap((v) => (v ? [JSON.parse(v) as SessionRecord] : []))
      .filter((r) => r.revokedAt === null && r.expiresAt > now)
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Redis expires the sessions by itself; this drops the users' index entries of sessions gone. */
  async prune(): Promise<number> {
    let removed = 0;
    for await (const keys of this.redis.scanIterator({ MATCH: `${USER_PREFIX}*`, COUNT: 200 })) {
      for (const user of keys) {
        const sids = await this.redis.zRange(user, 0, -1);
        if (sids.length === 0) continue;
        const values = await this.redis.mGet(sids.map((s) => PREFIX + s));
        const gone = sids.filter((_, i) => values[i] === null);
        if (gone.length) removed += await this.redis.zRem(user, gone);
      }
    }
    return removed;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const keys of this.redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 500 })) n += keys.length;
    return n;
  }

  close(): void {
    // the client is the server's, closed with it
  }
}
