// The sign-in back-off of login-limiter.ts, kept in Redis (cluster mode): every replica counts the
// same failures, so spreading guesses over replicas (or waiting for one to restart) gains nothing.
// The rules are the in-memory limiter's, line for line (the same test suite runs against both:
// login-limiter.cases.ts); each step is one Lua script, so two replicas deciding at once cannot both
// take the last token of an address or both start an attempt for one pair.
// Keys (under `citygrid:login:`): a hash per (address, username) pair with failures, nextAt and
// lastAt; a hash per address bucket; a key per pair that signed in; a key per attempt in flight (it
// lapses after a minute if its replica dies mid-check). Every key expires once it no longer matters,
// and an index (a sorted set by last activity) holds at most 3 × maxKeys of them: past that the
// stalest are deleted, as the in-memory limiter drops its stalest entries.
import { addressKey, limits, pairKeyOf, refuse, type LimitDecision, type LimiterOptions, type SignInLimiter } from './login-limiter.js';

/** What this limiter uses of a node-redis client (the server's, shared with sessions and Socket.IO). */
export interface RedisScripts {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  zCard(key: string): Promise<number>;
}

/** An attempt whose replica died mid-check stops blocking its pair after this. */
const IN_FLIGHT_MS = 60_000;

// KEYS: 1 in-flight, 2 pair, 3 known, 4 bucket, 5 index.
// Shared by both scripts: the bucket refilled up to now, and the index kept bounded.
const COMMON = `
local now = tonumber(ARGV[1])
local burst, refill, maxKeys = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function bucket()
  local b = redis.call('HMGET', KEYS[4], 'tokens', 'at')
  if not b[1] then return burst end
  return math.min(burst, tonumber(b[1]) + (now - tonumber(b[2])) / refill)
end
local function track(key)
  redis.call('ZADD', KEYS[5], now, key)
  local over = redis.call('ZCARD', KEYS[5]) - maxKeys
  if over > 0 then
    local old = redis.call('ZPOPMIN', KEYS[5], over)
    for i = 1, #old, 2 do redis.call('DEL', old[i]) end
  end
end
local function setBucket(tokens)
  redis.call('HSET', KEYS[4], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[4], math.ceil((burst - tokens) * refill) + 1000)
  track(KEYS[4])
end
`;

/** ARGV after the common four: forgetAfterMs, knownForMs, in-flight ms. Returns {allowed, waitMs, reason, known}. */
const BEGIN = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 1000, 'in_progress', 0} end
local p = redis.call('HMGET', KEYS[2], 'nextAt', 'lastAt')
if p[1] then
  if now - tonumber(p[2]) >= tonumber(ARGV[5]) then
    redis.call('DEL', KEYS[2])
  elseif tonumber(p[1]) > now then
    return {0, math.ceil(tonumber(p[1]) - now), 'backoff', 0}
  end
end
local known = 0
local k = redis.call('GET', KEYS[3])
if k and now - tonumber(k) < tonumber(ARGV[6]) then known = 1 end
if known == 0 then
  local tokens = bucket()
  if tokens < 1 then
    setBucket(tokens)
    return {0, math.ceil((1 - tokens) * refill), 'address', 0}
  end
  setBucket(tokens - 1)
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[7])
return {1, 0, '', known}`;

/** ARGV after the common four: outcome, known (0/1), freeFailures, baseDelayMs, maxDelayMs, forgetAfterMs, knownForMs. */
const FINISH = `${COMMON}
redis.call('DEL', KEYS[1])
local outcome, known = ARGV[5], ARGV[6]
if outcome == 'succeed' then
  redis.call('DEL', KEYS[2])
  if known == '0' then setBucket(math.min(burst, bucket() + 1)) end
  redis.call('SET', KEYS[3], tostring(now), 'PX', ARGV[11])
  track(KEYS[3])
elseif outcome == 'fail' then
  local failures = tonumber(redis.call('HGET', KEYS[2], 'failures') or '0') + 1
  local over = failures - tonumber(ARGV[7])
  local nextAt = now
  if over >= 0 then nextAt = now + math.min(tonumber(ARGV[9]), tonumber(ARGV[8]) * 2 ^ over) end
  redis.call('HSET', KEYS[2], 'failures', tostring(failures), 'nextAt', tostring(nextAt), 'lastAt', tostring(now))
  redis.call('PEXPIRE', KEYS[2], math.max(tonumber(ARGV[10]), nextAt - now))
  track(KEYS[2])
elseif known == '0' then
  setBucket(math.min(burst, bucket() + 1))
end
return 1`;

export class RedisLoginLimiter implements SignInLimiter {
  private readonly o: ReturnType<typeof limits>;
  private readonly now: () => number;

  /** `prefix` separates limiters sharing one Redis (tests); the server uses the default. */
  constructor(private readonly redis: RedisScripts, o: LimiterOptions = {}, private readonly prefix = 'citygrid:login:') {
    this.o = limits(o);
    this.now = o.now ?? Date.now;
  }

  async begin(ip: string, username: string): Promise<LimitDecision> {
    const address = addressKey(ip);
    const pair = pairKeyOf(address, username);
    const keys = [`${this.prefix}busy:${pair}`, `${this.prefix}pair:${pair}`, `${this.prefix}known:${pair}`, `${this.prefix}bucket:${address}`, `${this.prefix}index`];
    const o = this.o;
    const [allowed, waitMs, reason, known] = await this.redis.eval(BEGIN, {
      keys, arguments: [...this.common(), String(o.forgetAfterMs), String(o.knownForMs), String(IN_FLIGHT_MS)],
    }) as [number, number, string, number];
    if (!allowed) return refuse(waitMs, reason as 'backoff' | 'address' | 'in_progress');
    let done = false;
    const finish = async (outcome: 'succeed' | 'fail' | 'abandon') => {
      if (done) return;
      done = true;
      await this.redis.eval(FINISH, {
        keys, arguments: [...this.common(), outcome, String(known), String(o.freeFailures), String(o.baseDelayMs), String(o.maxDelayMs), String(o.forgetAfterMs), String(o.knownForMs)],
      });
    };
    return { allowed: true, attempt: { succeed: () => finish('succeed'), fail: () => finish('fail'), abandon: () => finish('abandon') } };
  }

  /** Keys held (as the index counts them: some may have expired already). */
  size(): Promise<number> {
    return this.redis.zCard(`${this.prefix}index`);
  }

  private common(): string[] {
    return [String(this.now()), String(this.o.addressBurst), String(this.o.addressRefillMs), String(3 * this.o.maxKeys)];
  }
}
