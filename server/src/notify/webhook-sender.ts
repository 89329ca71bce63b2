// Delivers alert transitions to outgoing webhooks without ever slowing the caller: notify() filters
// and enqueues synchronously; a background pump sends with bounded concurrency, a timeout per attempt,
// exponential backoff for network errors, 5xx and 429, and drops the oldest delivery when the queue is full.
// Per target and alert, deliveries go out one at a time in notify() order (a retry holds back later
// transitions of the same alert), so a chat group never reads "resolved" before "firing".
import { randomUUID } from 'node:crypto';
import type { AlertEventType, AlertSocketEvent } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { FormatOptions, WebhookFormat } from './webhook-formats.js';
import { mobilesOf, reachOf } from './mentions.js';
import { buildWebhookRequest } from './webhook-signing.js';
import { targetMatches, webhookTargetProblems, type WebhookTarget } from './webhook-targets.js';

export { verifyGenericSignature } from './webhook-signing.js';
export { targetMatches, webhookTargetProblems, type WebhookTarget } from './webhook-targets.js';

export interface WebhookResult {
  targetId: string;
  alertId: string;
  event: AlertEventType;
  outcome: 'sent' | 'failed' | 'dropped';
  attempts: number;
  /** Last HTTP status, null if none was received. */
  status: number | null;
  error: string | null;
}

export interface WebhookStats {
  sent: number;
  failed: number;
  dropped: number;
  /** Queued, waiting to retry, or in flight. */
  pending: number;
}

export interface WebhookSenderOptions extends FormatOptions {
  targets: WebhookTarget[];
  logger: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number; // 5 s per attempt, response body included
  retries?: number; // 3 retries after the first attempt
  backoffMs?: number; // 1 s, doubled on every retry
  maxBackoffMs?: number; // 60 s, also caps Retry-After
  maxQueue?: number; // 1000 deliveries waiting (in flight not counted)
  concurrency?: number; // 4 requests at once over all targets
  closeTimeoutMs?: number; // 3 s grace for in-flight deliveries on close()
  /**
   * Transitions of suppressed (maintenance) alerts are shown, not notified; the `suppressed` transition
   * itself is sent so a group knows why an alert went quiet. true sends them all.
   */
  includeSuppressed?: boolean;
  /** Clock for signature timestamps (epoch ms); waits use real timers. */
  now?: () => number;
  onResult?: (result: WebhookResult) => void;
}

interface Delivery {
  seq: number;
  id: string;
  key: string;
  target: WebhookTarget;
  event: AlertSocketEvent;
  attempts: number;
  ready: boolean;
  timer: NodeJS.Timeout | null;
  controller: AbortController | null;
}

type Outcome =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status: number | null; error: string; retryAfterMs?: number };

/** Robot APIs answer HTTP 200 with an error code in the body; these codes mean "too fast, try later". */
const RATE_LIMIT_CODES = new Set([130101 /* DingTalk */, 45009 /* WeCom */, 11232 /* Feishu */]);

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : null;
  return detail ? `${err.message} (${detail})` : err.message;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function classify(format: WebhookFormat, res: Response, text: string): Outcome {
  const snippet = text.slice(0, 200);
  if (res.status >= 200 && res.status < 300) {
    if (format === 'generic') return { ok: true, status: res.status };
    let code: unknown = null;
    try {
      const json = JSON.parse(text) as Record<string, unknown> | null;
      code = json?.['errcode'] ?? json?.['code'] ?? json?.['StatusCode'] ?? null;
    } catch {
      /* not JSON: the status decides */
    }
    if (typeof code !== 'number' || code === 0) return { ok: true, status: res.status };
    return { ok: false, retryable: RATE_LIMIT_CODES.has(code), status: res.status, error: `${format} error ${code}: ${snippet}` };
  }
  const retryable = res.status === 429 || res.status >= 500;
  return { ok: false, retryable, status: res.status, error: `HTTP ${res.status}: ${snippet}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
}

export class WebhookSender {
  private readonly targets: WebhookTarget[];
  private readonly log: Logger;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly formatOptions: FormatOptions;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxQueue: number;
  private readonly concurrency: number;
  private readonly closeTimeoutMs: number;
  /** Waiting deliveries (ready or backing off), in notify() order. */
  private readonly queue: Delivery[] = [];
  private readonly inFlight = new Map<Delivery, Promise<void>>();
  private readonly busy = new Set<string>();
  private readonly counts = { sent: 0, failed: 0, dropped: 0 };
  private seq = 0;
  private pumpScheduled = false;
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {
    const problems = webhookTargetProblems(options.targets);
    if (problems.length > 0) throw new Error(`Invalid webhook configuration:\n  - ${problems.join('\n  - ')}`);
    this.targets = options.targets.map((t) => ({ ...t }));
    this.log = options.logger.child({ stage: 'webhook' });
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.formatOptions = { dashboardUrl: options.dashboardUrl, locale: options.locale, contactsOf: options.contactsOf, placeNames: options.placeNames };
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.maxQueue = Math.max(1, options.maxQueue ?? 1000);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 3000;
  }

  /** Filters and enqueues; returns at once and never throws. */
  notify(event: AlertSocketEvent): void {
    try {
      if (this.closed) return;
      const quiet = event.alert.suppressed && event.event !== 'suppressed' && !this.options.includeSuppressed;
      if (quiet) return;
      // an SMS gateway gets a transition only when some assignee has a mobile to send it to
      const texted = () => mobilesOf(reachOf(event, this.options.contactsOf), 1).length > 0;
      const targets = this.targets.filter((t) => targetMatches(t, event) && (t.format !== 'sms' || texted()));
      if (targets.length === 0) return;
      const snapshot = structuredClone(event); // the caller may reuse or mutate its object
      for (const target of targets) {
        const seq = ++this.seq;
        const key = `${target.id}\u0000${snapshot.alert.id}`;
        this.queue.push({ seq, id: randomUUID(), key, target, event: snapshot, attempts: 0, ready: true, timer: null, controller: null });
      }
      this.trim();
      this.schedulePump();
    } catch (err) {
      this.log.error({ err }, 'webhook notify failed; event not queued');
    }
  }

  stats(): WebhookStats {
    return { ...this.counts, pending: this.queue.length + this.inFlight.size };
  }

  /** Stops taking work, drops what has not started, waits up to closeTimeoutMs for in-flight requests, then aborts them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const unsent = this.queue.splice(0);
    for (const d of unsent) this.drop(d, 'sender closed');
    if (unsent.length > 0) this.log.warn({ dropped: unsent.length }, 'webhook sender closed with undelivered notifications');
    if (this.inFlight.size === 0) return;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.inFlight.values()), new Promise((resolve) => (grace = setTimeout(resolve, this.closeTimeoutMs)))]);
    clearTimeout(grace);
    for (const d of this.inFlight.keys()) d.controller?.abort(new Error('webhook sender closed'));
    await Promise.allSettled(this.inFlight.values());
  }

  private trim(): void {
    while (this.queue.length > this.maxQueue) {
      const oldest = this.queue.shift();
      if (oldest) this.drop(oldest, 'queue full');
    }
  }

  private drop(d: Delivery, reason: string): void {
    if (d.timer) clearTimeout(d.timer);
    d.timer = null;
    this.counts.dropped++;
    if (reason === 'queue full' && (this.counts.dropped === 1 || this.counts.dropped % 100 === 0)) {
      this.log.warn({ target: d.target.id, dropped: this.counts.dropped, maxQueue: this.maxQueue }, 'webhook queue full: dropping the oldest notifications');
    }
    this.report(d, 'dropped', null, reason);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed) return;
    const blocked = new Set<string>(); // keys with an earlier delivery still waiting: keep their order
    for (let i = 0; i < this.queue.length && this.inFlight.size < this.concurrency; ) {
      const d = this.queue[i]!;
      if (!d.ready || this.busy.has(d.key) || blocked.has(d.key)) {
        blocked.add(d.key);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.start(d);
    }
  }

  private start(d: Delivery): void {
    d.attempts++;
    this.busy.add(d.key);
    const done = this.attempt(d)
      .then((outcome) => this.settle(d, outcome))
      .catch((err: unknown) => this.log.error({ err, target: d.target.id }, 'webhook delivery crashed'))
      .finally(() => {
        this.inFlight.delete(d);
        this.busy.delete(d.key);
        this.schedulePump();
      });
    this.inFlight.set(d, done);
  }

  private async attempt(d: Delivery): Promise<Outcome> {
    const controller = new AbortController();
    d.controller = controller;
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const req = buildWebhookRequest(d.target, d.event, d.id, this.now(), d.target.locale ? { ...this.formatOptions, locale: d.target.locale } : this.formatOptions);
      if (!req) return { ok: false, retryable: false, status: null, error: 'nobody to send it to' };
      const res = await this.fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      return classify(d.target.format, res, text);
    } catch (err) {
      if (controller.signal.aborted) {
        const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted';
        return { ok: false, retryable: !this.closed, status: null, error: reason };
      }
      return { ok: false, retryable: true, status: null, error: describeError(err) };
    } finally {
      clearTimeout(timer);
      d.controller = null;
    }
  }

  private settle(d: Delivery, outcome: Outcome): void {
    const ctx = { target: d.target.id, format: d.target.format, alert: d.event.alert.id, event: d.event.event, attempts: d.attempts };
    if (outcome.ok) {
      this.counts.sent++;
      this.log.debug({ ...ctx, status: outcome.status }, 'webhook delivered');
      this.report(d, 'sent', outcome.status, null);
      return;
    }
    if (outcome.retryable && d.attempts <= this.retries && !this.closed) {
      const backoff = this.backoffMs * 2 ** (d.attempts - 1);
      const delay = Math.min(this.maxBackoffMs, Math.max(backoff, outcome.retryAfterMs ?? 0));
      this.log.debug({ ...ctx, status: outcome.status, error: outcome.error, retryInMs: delay }, 'webhook attempt failed; will retry');
      d.ready = false;
      let at = this.queue.findIndex((q) => q.seq > d.seq);
      if (at === -1) at = this.queue.length;
      this.queue.splice(at, 0, d);
      d.timer = setTimeout(() => {
        d.timer = null;
        d.ready = true;
        this.schedulePump();
      }, delay);
      d.timer.unref();
      this.trim();
      return;
    }
    this.counts.failed++;
    this.log.warn({ ...ctx, status: outcome.status, error: outcome.error }, 'webhook delivery failed; giving up');
    this.report(d, 'failed', outcome.status, outcome.error);
  }

  private report(d: Delivery, outcome: WebhookResult['outcome'], status: number | null, error: string | null): void {
    if (!this.options.onResult) return;
    const result: WebhookResult = { targetId: d.target.id, alertId: d.event.alert.id, event: d.event.event, outcome, attempts: d.attempts, status, error };
    try {
      this.options.onResult(result);
    } catch (err) {
      this.log.error({ err }, 'webhook onResult callback threw');
    }
  }
}
