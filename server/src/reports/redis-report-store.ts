// Residents' reports in Redis (cluster mode): a receipt filed through one replica is found, listed and
// marked as spam through any other. One key a report (JSON), a sorted set of all by filing time (for
// the list), and a fingerprint key that lives for the folding window and names the first report:
// filing is one Lua script, so two replicas racing with the same report fold it once.
import type { ReportHourCount, ReportStore, ReportQuery, StoredReport } from './report-store.js';

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

/** KEYS: the report's key, the set of reports with their text. ARGV: the placeholder, the receipt. 1 if its text was replaced. */
const REMOVE_TEXT = `
redis.call('ZREM', KEYS[2], ARGV[2])
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
r.text = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(r))
return 1`;

/** cjson writes a JSON null as a missing key: give the record its nulls back. */
function parse(json: string): StoredReport {
  const r = JSON.parse(json) as Partial<StoredReport> & Omit<StoredReport, 'spamBy' | 'spamAt'>;
  return { ...r, spamBy: r.spamBy ?? null, spamAt: r.spamAt ?? null };
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
    // newest first, 200 at a time, until `limit` reports of the asked cells (bounded: 20 pages); a
    // report filed meanwhile shifts the pages by one: `seen` drops the repeat
    for (let page = 0; page < 20 && out.length < q.limit; page++) {
      const receipts = await this.redis.sendCommand(['ZRANGE', BY_TIME, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', String(page * 200), '200']) as string[];
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
