// Residents' reports in (issue 17): checked, limited, masked, folded and kept, with a receipt.
// Every caller may be hostile and none is known, so what one can make us do is bounded, cheapest check
// first: the address's budget (kept only as a salted hash, for its window), the report's fields, the
// proof of work (one hash to check, about 2^difficulty for the sender), then the cell's budget (after
// the work, so that nobody can use up a cell's budget without doing it). The text is masked before it
// is kept (contract's maskPersonalData); the same report filed again within FOLD_MS gets the first
// one's receipt. Nothing identifies the resident: no cookie, no address kept with the report.
import { createHash, randomInt } from 'node:crypto';
import {
  maskPersonalData, RECEIPT_ALPHABET, RECEIPT_PATTERN, REPORT_CATEGORIES, REPORT_TEXT_MAX, textLength,
  type Alert, type ReportCategory, type ReportChallenge, type ReportFiled, type ReportReceipt, type ReportView,
} from '@citygrid/contract';
import { findCell, type City } from '@citygrid/contract/node';
import { addressKey } from '../auth/login-limiter.js';
import { Errors, HttpError } from '../errors.js';
import { AddressLimiter } from '../open-data/rate-limit.js';
import type { ReportObservation } from '../rules/types.js';
import type { StoredReportEvent } from '../stores/store.js';
import { ChallengeBusyError, type Challenges } from './challenges.js';
import { FOLD_MS, viewOf, type ReportHourCount, type ReportStore, type StoredReport } from './report-store.js';

/** The budgets, per replica (cluster mode: each replica counts its own). */
export const REPORT_LIMITS = {
  /** Reports one address may file: a resident reports a few things a day, not one a minute. */
  perAddress: { limit: 5, windowMs: 10 * 60_000 },
  /** Reports one cell takes (after folding the same report): a flood in one street is tens, not thousands. */
  perCell: { limit: 60, windowMs: 60 * 60_000 },
  /** Receipt lookups and challenges per address (a receipt cannot be guessed at this rate: 31^8 codes). */
  lookups: { limit: 60, windowMs: 60_000 },
} as const;

export interface ReportCounter { inc(labels: { outcome: string; category?: string }): void }

export class ReportIntake {
  private readonly byAddress: AddressLimiter;
  private readonly byCell: AddressLimiter;
  private readonly lookups: AddressLimiter;

  constructor(private readonly o: {
    city: City;
    store: ReportStore;
    challenges: Challenges;
    counter: ReportCounter;
    limits?: typeof REPORT_LIMITS;
    now?: () => number;
    /**
     * Hands a new report to the alert rules: `npm start`, the alert manager's observeReport (the alert
     * it joined, if any); cluster mode, the bus to its cell's owner (null: it joins there, later).
     */
    route?: (r: ReportObservation) => Alert | null | Promise<Alert | null>;
    /** A report that could not be routed stays received: said here, never lost. */
    onRouteError?: (err: unknown, receipt: string) => void;
    /** A report marked as spam while it waited (counted by the rules): to the rules, to count it no more. */
    forget?: (r: ReportObservation) => void | Promise<void>;
    /** Reports filed (not folded) and closed, for the time-series store's mirror (InfluxDB). */
    onEvents?: (events: StoredReportEvent[]) => void;
  }) {
    const l = o.limits ?? REPORT_LIMITS;
    this.byAddress = new AddressLimiter(l.perAddress);
    this.byCell = new AddressLimiter(l.perCell);
    this.lookups = new AddressLimiter(l.lookups);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private limit(limiter: AddressLimiter, key: string, what: string): void {
    const d = limiter.take(key, this.now());
    if (!d.ok) throw Errors.REPORT_RATE_LIMITED(`${what}; try again in ${d.retryAfterS} s`).withHeader('Retry-After', String(d.retryAfterS));
  }

  challenge(ip: string): ReportChallenge {
    this.limit(this.lookups, addressKey(ip), 'Too many requests from this address');
    return this.o.challenges.issue();
  }

  async file(ip: string, body: unknown): Promise<ReportFiled> {
    const { perAddress, perCell } = this.o.limits ?? REPORT_LIMITS;
    try {
      this.limit(this.byAddress, addressKey(ip), `Too many reports from this address: at most ${perAddress.limit} in ${perAddress.windowMs / 60_000} minutes`);
    } catch (err) {
      this.o.counter.inc({ outcome: 'rate_limited' });
      throw err;
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const invalid = (why: string): HttpError => {
      this.o.counter.inc({ outcome: 'invalid' });
      return Errors.REPORT_INVALID(why);
    };
    if (typeof b.category !== 'string' || !(REPORT_CATEGORIES as readonly string[]).includes(b.category)) throw invalid(`category must be one of ${REPORT_CATEGORIES.join(', ')}`);
    const category = b.category as ReportCategory;
    if (typeof b.text !== 'string' || !b.text.trim()) throw invalid('text must say what is wrong (1 to 500 characters)');
    if (textLength(b.text) > REPORT_TEXT_MAX) throw invalid(`text is ${textLength(b.text)} characters; at most ${REPORT_TEXT_MAX}`);
    const cell = this.cellOf(b.cell, b.location);
    if (typeof cell === 'string') throw invalid(cell);
    const verdict = await this.o.challenges.verify(b.challenge, b.nonce).catch((err: unknown) => {
      if (err instanceof ChallengeBusyError) throw Errors.REPORT_RATE_LIMITED(err.message).withHeader('Retry-After', '60');
      throw err;
    });
    if (!verdict.ok) {
      this.o.counter.inc({ outcome: `challenge_${verdict.reason}` });
      throw Errors.REPORT_CHALLENGE(verdict.message);
    }
    try {
      this.limit(this.byCell, cell.id, `Too many reports for this grid cell: at most ${perCell.limit} an hour; the grid worker has them`);
    } catch (err) {
      this.o.counter.inc({ outcome: 'rate_limited', category });
      throw err;
    }
    const { text, masked } = maskPersonalData(b.text.trim());
    const filedAt = this.now();
    const report: StoredReport = {
      receipt: newReceipt(), category, cell: cell.id, district: cell.district, text, filedAt, status: 'received', copies: 0, spamBy: null, spamAt: null,
      alertId: null, closedAt: null, outcome: null,
      fingerprint: createHash('sha256').update(`${cell.id}\n${category}\n${text.toLowerCase().replace(/\s+/g, ' ')}`).digest('base64url').slice(0, 32),
    };
    const { report: stored, folded } = await this.o.store.file(report, filedAt - FOLD_MS);
    this.o.counter.inc({ outcome: folded ? 'folded' : 'filed', category });
    if (!folded) this.o.onEvents?.([{ receipt: stored.receipt, grid: stored.cell, district: stored.district, category, event: 'filed', ts: stored.filedAt }]);
    const kept = folded ? stored : await this.route(stored);
    return { ...receiptOf(kept), text: kept.text, masked, folded };
  }

  /** A new report to the rules: the alert it joined (and, when it raised one, the reports before it) is told to the store. */
  private async route(r: StoredReport): Promise<StoredReport> {
    if (!this.o.route) return r;
    try {
      const alert = await this.o.route({ type: 'report', receipt: r.receipt, category: r.category, grid: r.cell, district: r.district, ts: r.filedAt });
      if (!alert) return r;
      await this.joined(alert, r.receipt);
      return (await this.o.store.get(r.receipt)) ?? r;
    } catch (err) {
      this.o.onRouteError?.(err, r.receipt);
      return r;
    }
  }

  /** A report joined an alert: it (and, when it raised the alert, the reports before it) are in hand. */
  async joined(alert: Pick<Alert, 'id' | 'reports'>, receipt: string): Promise<void> {
    await this.o.store.join(alert.reports?.includes(receipt) ? alert.reports : [receipt], alert.id);
  }

  /**
   * An alert that reports joined was closed: they are closed with its outcome (masked like report
   * texts: it is shown on the public receipt page). Returns how many were closed.
   */
  async closeFor(alertId: string, outcome: string, at: number): Promise<number> {
    const text = maskPersonalData(outcome.trim()).text;
    const words = [...text];
    const closed = await this.o.store.closeAlert(alertId, words.length > REPORT_TEXT_MAX ? `${words.slice(0, REPORT_TEXT_MAX - 1).join('')}…` : text, at);
    if (closed.length) this.o.onEvents?.(closed.map((r) => ({ receipt: r.receipt, grid: r.cell, district: r.district, category: r.category, event: 'closed' as const, ts: at, alertId })));
    return closed.length;
  }

  /** The cell of a report: its id, or the cell a position lies in; a string says what is wrong. */
  private cellOf(cell: unknown, location: unknown): { id: string; district: string } | string {
    if (cell !== undefined) {
      const c = typeof cell === 'string' ? this.o.city.cellsById.get(cell) : undefined;
      return c ? { id: c.id, district: c.district } : 'cell is not a grid cell of this city';
    }
    if (Array.isArray(location) && location.length === 2 && location.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      const c = findCell(location as [number, number], this.o.city.cells);
      return c ? { id: c.id, district: c.district } : 'location is outside every grid cell of this city';
    }
    return 'say where: cell (a grid cell id) or location ([longitude, latitude])';
  }

  async receipt(ip: string, code: string): Promise<ReportReceipt> {
    this.limit(this.lookups, addressKey(ip), 'Too many requests from this address');
    const r = RECEIPT_PATTERN.test(code) ? await this.o.store.get(code) : null;
    if (!r) throw Errors.REPORT_NOT_FOUND(code.slice(0, 20));
    return receiptOf(r);
  }

  async list(cells: ReadonlySet<string> | null, limit: number, before?: number, alert?: string): Promise<ReportView[]> {
    return (await this.o.store.list({ cells, limit, ...(before !== undefined ? { before } : {}), ...(alert !== undefined ? { alert } : {}) })).map(viewOf);
  }

  async get(code: string): Promise<ReportView | null> {
    const r = RECEIPT_PATTERN.test(code) ? await this.o.store.get(code) : null;
    return r ? viewOf(r) : null;
  }

  /** Reports per UTC hour, cell and category in [from, to), spam left out: for the open data. */
  countsByHour(from: number, to: number): Promise<ReportHourCount[]> {
    return this.o.store.countsByHour(from, to);
  }

  /** Marks a report as spam; null if there is none. The caller audits it. */
  async markSpam(code: string, by: string): Promise<ReportView | null> {
    if (!RECEIPT_PATTERN.test(code)) return null;
    const before = await this.o.store.get(code);
    const r = await this.o.store.markSpam(code, by, this.now());
    if (r && before?.status === 'received' && this.o.forget) {
      await Promise.resolve(this.o.forget({ type: 'report', receipt: r.receipt, category: r.category, grid: r.cell, district: r.district, ts: r.filedAt, spam: true }))
        .catch((err: unknown) => this.o.onRouteError?.(err, r.receipt));
    }
    return r ? viewOf(r) : null;
  }

  /** Reports closed in [from, to), oldest close first, for the scores (report-scores.ts). */
  closedBetween(from: number, to: number): Promise<StoredReport[]> {
    // bounded: at most this many are read for one answer; more closed in the period are not counted
    const MAX_SCORED = 100_000;
    return this.o.store.closedBetween(from, to, MAX_SCORED);
  }
}

function receiptOf(r: StoredReport): ReportReceipt {
  return { receipt: r.receipt, status: r.status, category: r.category, cell: r.cell, district: r.district, filedAt: r.filedAt, closedAt: r.closedAt, outcome: r.outcome };
}

function newReceipt(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += RECEIPT_ALPHABET[randomInt(RECEIPT_ALPHABET.length)];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}
