// Residents' reports in Redis (cluster mode): a receipt filed through one replica is found, listed and
// marked as spam through any other. One key a report (JSON), a sorted set of all by filing time (for
// the list), and a fingerprint key that lives for the folding window and names the first report:
// filing is one Lua script, so two replicas racing with the same report fold it once. A sorted set per
// alert (by filing time) holds the reports that joined it, and one of all closed reports by close time;
// joining and closing are Lua scripts too, so two replicas closing the same alert close its reports once.
import { byFiling, MAX_JOIN, type ReportHourCount, type ReportStore, type ReportQuery, type StoredReport } from './report-store.js';

/** The most reports one open-data request counts. */
const MAX_COUNTED = 200_000;

/** What this store uses of a node-redis client (the server's). */
export interface RedisReportCommands {
  get(key: string): Promise<string | null>;
  sendCommand(args: string[]): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

const REPORT = 'citygrid:report:';
const BY_TIME = 'citygrid:reports:by-time';
const FINGERPRINT = 'citygrid:report-fingerprint:';
/** The reports whose text is still kept, by filing time (retention takes the oldest). */
const WITH_TEXT = 'citygrid:reports:with-text';
/** The reports that joined an alert, by filing time. */
const ALERT = 'citygrid:reports:alert:';
/** The closed reports, by close time. */
const CLOSED = 'citygrid:reports:closed';

/** KEYS: fingerprint, the new report's key, the by-time set, the with-text set. ARGV: receipt, JSON, filed at, fold window ms, fold since. */
const FILE = `
local first = redis.call('GET', KEYS[1])
if first then
  local key = '${REPORT}' .. first
  local v = redis.call('GET', key)
  local r = v and cjson.decode(v)
  if r and r.filedAt >= tonumber(ARGV[5]) then
    r.copies = r.copies + 1
    redis.call('SET', key, cjson.encode(r))
    return {1, cjson.encode(r)}
  end
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[4]))
return {0, ARGV[2]}`;

/** KEYS: the report's key. ARGV: by, at. */
const SPAM = `
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local r = cjson.decode(v)
if r.status ~= 'spam' then
  r.status = 'spam'
  r.spamBy = ARGV[1]
  r.spamAt = tonumber(ARGV[2])
  v = cjson.encode(r)
  redis.call('SET', KEYS[1], v)
end
return v`;

/** KEYS: the alert's set, then the reports' keys. ARGV: the alert id. How many joined. */
const JOIN = `
local n = 0
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  local r = v and cjson.decode(v)
  if r and r.status == 'received' then
    r.status = 'in_hand'
    r.alertId = ARGV[1]
    redis.call('SET', KEYS[i], cjson.encode(r))
    redis.call('ZADD', KEYS[1], r.filedAt, r.receipt)
    n = n + 1
  end
end
return n`;

/** KEYS: the alert's set, the closed set, the with-text set. ARGV: the alert id, the outcome, at. The reports it closed. */
const CLOSE_ALERT = `
local out = {}
for _, receipt in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = '${REPORT}' .. receipt
  local v = redis.call('GET', key)
  local r = v and cjson.decode(v)
  if r and r.status == 'in_hand' and r.alertId == ARGV[1] then
    r.status = 'closed'
    r.closedAt = tonumber(ARGV[3])
    r.outcome = ARGV[2]
    v = cjson.encode(r)
    redis.call('SET', key, v)
    redis.call('ZADD', KEYS[2], r.closedAt, receipt)
    -- its outcome is free text: retention takes it too, even if the report's text went already
    redis.call('ZADD', KEYS[3], r.filedAt, receipt)
    out[#out + 1] = v
  end
end
return out`;

/** KEYS: the report's key, the set of reports with their text. ARGV: the placeholder, the receipt. 1 if its text was replaced. */
const REMOVE_TEXT = `
redis.call('ZREM', KEYS[2], ARGV[2])
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
r.text = ARGV[1]
if r.outcome ~= nil and r.outcome ~= cjson.null then r.outcome = ARGV[1] end
redis.call('SET', KEYS[1], cjson.encode(r))
return 1`;

/** A record as kept: those written before a field existed lack it (and cjson may drop nulls): give it its nulls back. */
function parse(json: string): StoredReport {
  const r = JSON.parse(json) as Partial<StoredReport> & Omit<StoredReport, 'spamBy' | 'spamAt' | 'alertId' | 'closedAt' | 'outcome'>;
  return { ...r, spamBy: r.spamBy ?? null, spamAt: r.spamAt ?? null, alertId: r.alertId ?? null, closedAt: r.closedAt ?? null, outcome: r.outcome ?? null };
}

export class RedisReportStore implements ReportStore {
  constructor(private readonly redis: RedisReportCommands) {}

  async file(report: StoredReport, foldSince: number): Promise<{ report: StoredReport; folded: boolean }> {
    const windowMs = Math.max(1, report.filedAt - foldSince);
    const [folded, json] = await this.redis.eval(FILE, {
      keys: [FINGERPRINT + report.fingerprint, REPORT + report.receipt, BY_TIME, WITH_TEXT],
      arguments: [report.receipt, JSON.stringify(report), String(report.filedAt), String(windowMs), String(foldSince)],
    }) as [number, string];
    return { report: parse(json), folded: folded === 1 };
  }

  async get(receipt: string): Promise<StoredReport | null> {
    const json = await this.redis.get(REPORT + receipt);
    return json ? parse(json) : null;
  }

  async markSpam(receipt: string, by: string, at: number): Promise<StoredReport | null> {
    const json = await this.redis.eval(SPAM, { keys: [REPORT + receipt], arguments: [by, String(at)] }) as string | null;
    return json ? parse(json) : null;
  }

  async list(q: ReportQuery): Promise<StoredReport[]> {
    if (q.cells && !q.cells.size) return [];
    const out: StoredReport[] = [];
    const seen = new Set<string>();
    const max = q.before !== undefined ? `(${q.before}` : '+inf';
    const from = q.alert !== undefined ? ALERT + q.alert : BY_TIME;
    // newest first, 200 at a time, until `limit` reports of the asked cells (bounded: 20 pages); a
    // report filed meanwhile shifts the pages by one: `seen` drops the repeat
    for (let page = 0; page < 20 && out.length < q.limit; page++) {
      const receipts = await this.redis.sendCommand(['ZRANGE', from, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', String(page * 200), '200']) as string[];
      if (!receipts.length) break;
      const values = await this.redis.sendCommand(['MGET', ...receipts.map((r) => REPORT + r)]) as (string | null)[];
      for (const v of values) {
        if (!v) continue;
        const r = parse(v);
        if (seen.has(r.receipt) || (q.cells && !q.cells.has(r.cell))) continue;
        seen.add(r.receipt);
        out.push(r);
        if (out.length >= q.limit) break;
      }
      if (receipts.length < 200) break;
    }
    return out;
  }

  async join(receipts: string[], alertId: string): Promise<number> {
    if (receipts.length > MAX_JOIN) throw new RangeError(`join takes at most ${MAX_JOIN} receipts a call, not ${receipts.length}`);
    if (!receipts.length) return 0;
    return Number(await this.redis.eval(JOIN, { keys: [ALERT + alertId, ...receipts.map((r) => REPORT + r)], arguments: [alertId] }));
  }

  async closeAlert(alertId: string, outcome: string, at: number): Promise<StoredReport[]> {
    const closed = await this.redis.eval(CLOSE_ALERT, { keys: [ALERT + alertId, CLOSED, WITH_TEXT], arguments: [alertId, outcome, String(at)] }) as string[];
    return closed.map(parse).sort(byFiling);
  }

  async closedBetween(from: number, to: number, limit: number): Promise<StoredReport[]> {
    if (limit <= 0) return [];
    const receipts = await this.redis.sendCommand(['ZRANGE', CLOSED, String(from), `(${to}`, 'BYSCORE', 'LIMIT', '0', String(limit)]) as string[];
    if (!receipts.length) return [];
    const values = await this.redis.sendCommand(['MGET', ...receipts.map((r) => REPORT + r)]) as (string | null)[];
    return values.flatMap((v) => (v ? [parse(v)] : []));
  }

  async countsByHour(from: number, to: number): Promise<ReportHourCount[]> {
    const counts = new Map<string, ReportHourCount>();
    // at most MAX_COUNTED reports a request (a cell takes at most 60 an hour after folding)
    for (let offset = 0; offset < MAX_COUNTED; offset += 500) {
      const receipts = await this.redis.sendCommand(['ZRANGE', BY_TIME, String(from), `(${to}`, 'BYSCORE', 'LIMIT', String(offset), '500']) as string[];
      if (!receipts.length) break;
      const values = await this.redis.sendCommand(['MGET', ...receipts.map((r) => REPORT + r)]) as (string | null)[];
      for (const v of values) {
        if (!v) continue;
        const r = parse(v);
        if (r.status === 'spam') continue;
        const hour = Math.floor(r.filedAt / 3_600_000) * 3_600_000;
        const key = `${hour}\0${r.cell}\0${r.category}`;
        const c = counts.get(key);
        if (c) c.count++;
        else counts.set(key, { hour, cell: r.cell, district: r.district, category: r.category, count: 1 });
      }
      if (receipts.length < 500) break;
    }
    return [...counts.values()].sort((a, b) => a.hour - b.hour || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0) || (a.category < b.category ? -1 : 1));
  }

  async removeTextsBefore(cutoff: number, placeholder: string, batch: number): Promise<{ removed: number; more: boolean }> {
    // the reports whose text is still kept, oldest first: each one leaves that set as its text goes
    const receipts = await this.redis.sendCommand(['ZRANGE', WITH_TEXT, '-inf', `(${cutoff}`, 'BYSCORE', 'LIMIT', '0', String(batch)]) as string[];
    let removed = 0;
    for (const receipt of receipts) removed += Number(await this.redis.eval(REMOVE_TEXT, { keys: [REPORT + receipt, WITH_TEXT], arguments: [placeholder, receipt] }));
    return { removed, more: receipts.length === batch };
  }

  async close(): Promise<void> { /* the server's client: closed by the server */ }
}
