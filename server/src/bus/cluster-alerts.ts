// Cluster mode's alerts: the alert log as a JetStream stream (CITYGRID_ALERTS). The replica that
// owns a cell appends its alerts' events (what `alerts.db` holds in `npm start`); every replica
// reads the whole stream into a city-wide view for REST, so any replica answers for every alert.
// Actions (acknowledge, resolve) accepted by any replica travel as commands on the alert's
// partition of the bus to its owner, with an id JetStream deduplicates, and come back as events.
// Maintenance windows are city-wide: appended to the stream and applied by every replica.
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ALERT_STREAM, ALERT_SUBJECT_PREFIX, MAINTENANCE_SUBJECT, alertSubject, busSubject, encodeEnvelope, partitionOf,
  type Alert, type AlertCommand, type AlertEvent, type AlertHistoryEntry, type MaintenanceWindow,
} from '@citygrid/contract';
import type { Logger } from 'pino';
import { AlertActionError } from '../alerts/alert-manager.js';
import { candidatesFromView, searchHistory, type HistoryPage, type HistoryQuery } from '../alerts/history-search.js';
import { historyEntry, type AlertFilter, type AlertService } from '../alerts/service.js';
import { ReplayJournal, type ReplayAlertSource } from '../replay/alerts.js';
import { anonymiseAlert, anonymiseEntry, DAY_MS } from '../retention.js';
import { ensureLogStream, followStream, WRONG_LAST_SEQUENCE } from './streams.js';

/** How long an action waits for the owner's event before answering that it could not be confirmed. */
const ACTION_WAIT_MS = 8_000;
/** Events kept per alert in the view (an alert's page shows its history). */
const HISTORY_PER_ALERT = 500;
const nanos = (ms: number) => ms * 1_000_000;

type StreamEntry = { e: AlertEvent } | { w: MaintenanceWindow };

export class AlertActionTimeout extends Error {}

export interface ClusterAlertsOptions {
  nc: NatsConnection;
  logger: Logger;
  replicas: number;
  maxAgeMs: number;
  /** This replica's id: with the local event seq, each event's dedupe id. */
  replicaId: string;
  /** A window from the stream, for this replica's own rules (suppression of the alerts it owns). */
  onMaintenance(window: MaintenanceWindow): void;
  /** Does this replica own the partition now (its lease)? An event of one it does not is not appended. */
  owns(partition: number): boolean;
  /**
   * RETAIN_NAMES_DAYS: a stream's messages cannot be edited, so the view anonymises what it holds and
   * serves: events older than this lose their actor and note text, alerts the people who acted before
   * it (retention.ts). The stream's own max age (maxAgeMs) bounds how long the raw events stay in it.
   */
  retainNamesDays?: number;
  now?: () => number;
}

export class ClusterAlerts implements AlertService {
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private readonly alerts = new Map<string, Alert>();
  private readonly events = new Map<string, AlertHistoryEntry[]>();
  private readonly windows = new Map<string, MaintenanceWindow>();
  /** Each alert's transitions with the alert as it was after them (GET /api/replay; the history above keeps none). */
  private readonly journal = new ReplayJournal();
  /** The journal as served: anonymised like the rest of the view. */
  readonly replayJournal: ReplayAlertSource = {
    replay: (from, to, max) => {
      const r = this.journal.replay(from, to, max);
      const cutoff = this.cutoff();
      if (cutoff === null) return r;
      return {
        open: r.open.map((a) => anonymiseAlert(a, cutoff, this.o.retainNamesDays!)),
        events: r.events.map((e) => this.anonymiseEvent(e, cutoff)),
      };
    },
  };
  private lastSeq = 0;
  /** The stream's last sequence per alert subject, as far as this replica has seen (its reads and its own appends). */
  private readonly lastBySubject = new Map<string, number>();
  readonly stats = { appended: 0, fenced: 0 };
  private jsmQuick: JetStreamManager | null = null;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private publishing: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly o: ClusterAlertsOptions) {
    this.log = o.logger.child({ stage: 'alerts-stream' });
  }

  async start(): Promise<void> {
    // short: appends are tried again, and the reader's consumer is made anew when a NATS node dies
    this.js = jetstream(this.o.nc, { timeout: 5_000 });
    this.jsm = await jetstreamManager(this.o.nc, { timeout: 20_000 });
    await ensureLogStream(this.jsm, { name: ALERT_STREAM, subjects: [`${ALERT_SUBJECT_PREFIX}>`], replicas: this.o.replicas, maxAgeMs: this.o.maxAgeMs });
    await followStream(this.js, ALERT_STREAM, {
      log: this.log,
      stopped: () => this.stopped,
      take: (m) => {
        try {
          this.apply(JSON.parse(new TextDecoder().decode(m.data)) as StreamEntry);
        } catch (err) {
          this.log.error({ err: (err as Error).message, seq: m.seq }, 'an entry of the alert stream could not be read; skipped');
        }
        this.lastSeq = m.seq;
        this.sawOn(m.subject, m.seq);
        this.settle();
      },
    });
  }

  /** Events older than this lose their names when served (null: no names retention). */
  private cutoff(): number | null {
    return this.o.retainNamesDays ? (this.o.now ?? Date.now)() - this.o.retainNamesDays * DAY_MS : null;
  }

  private anonymiseEvent(e: AlertEvent, cutoff: number): AlertEvent {
    const entry = anonymiseEntry(e, cutoff, this.o.retainNamesDays!);
    const alert = anonymiseAlert(e.alert, cutoff, this.o.retainNamesDays!);
    return entry === e && alert === e.alert ? e : { ...entry, alert };
  }

  private anonymiseAlert(a: Alert): Alert;
  private anonymiseAlert(a: Alert | undefined): Alert | undefined;
  private anonymiseAlert(a: Alert | undefined): Alert | undefined {
    const cutoff = this.cutoff();
    return a === undefined || cutoff === null ? a : anonymiseAlert(a, cutoff, this.o.retainNamesDays!);
  }

  private apply(entry: StreamEntry): void {
    if ('e' in entry) {
      // read from the stream already older than the period: held without the names
      const cutoff = this.cutoff();
      const event = cutoff === null ? entry.e : this.anonymiseEvent(entry.e, cutoff);
      const { alert } = event;
      this.alerts.set(alert.id, alert);
      this.journal.add(event);
      const list = this.events.get(alert.id) ?? this.events.set(alert.id, []).get(alert.id)!;
      list.push(historyEntry(event));
      if (list.length > HISTORY_PER_ALERT) list.splice(0, list.length - HISTORY_PER_ALERT);
    } else if ('w' in entry) {
      this.windows.set(entry.w.id, entry.w);
      this.o.onMaintenance(entry.w);
    }
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  private until(check: () => boolean, ms: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, ms);
      const waiter = { check, resolve: () => { clearTimeout(timer); resolve(true); } };
      this.waiters.push(waiter);
    });
  }

  /** Resolves once the view has read everything the stream held when it was called (false: not within a minute). */
  async caughtUp(): Promise<boolean> {
    // asked with a short timeout: the caller (a partition's takeover) tries again when it fails
    const info = await (this.jsmQuick ??= await jetstreamManager(this.o.nc, { timeout: 5_000 })).streams.info(ALERT_STREAM);
    const target = info.state.last_seq;
    return this.until(() => this.lastSeq >= target, 60_000);
  }

  /** The open alerts of a partition, as the stream has them (for its new owner). */
  openIn(partition: number): Alert[] {
    return [...this.alerts.values()].filter((a) => a.state !== 'resolved' && partitionOf(a.grid) === partition).map((a) => this.anonymiseAlert(a));
  }

  private sawOn(subject: string, seq: number): void {
    if (seq > (this.lastBySubject.get(subject) ?? 0)) this.lastBySubject.set(subject, seq);
  }

  /**
   * This replica's manager raised or changed an alert: append it to the stream, in order. Fenced at
   * the stream: each append expects the partition's subject to end where this replica last saw it,
   * so an event from a replica that has lost the partition (a new owner has appended since) is
   * refused by JetStream and dropped; the owner, refused because its view was behind, reads where the
   * subject ends and appends again.
   */
  publish(event: AlertEvent): void {
    const partition = partitionOf(event.alert.grid);
    const subject = alertSubject(partition);
    const msgID = `${this.o.replicaId}/${event.seq}`;
    const data = encodeEntry({ e: event });
    this.publishing = this.publishing.then(async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        if (!this.o.owns(partition)) {
          this.stats.fenced++;
          this.log.warn({ alert: event.alertId, partition, type: event.type }, 'alert event not appended: this replica no longer owns its partition');
          return;
        }
        try {
          const ack = await this.js.publish(subject, data, { msgID, expect: { lastSubjectSequence: this.lastBySubject.get(subject) ?? 0 } });
          this.sawOn(subject, ack.seq);
          this.stats.appended++;
          return;
        } catch (err) {
          if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
            // another replica appended since: where the subject ends now (the loop then asks again whether this replica owns it)
            const last = await this.jsm.streams.getMessage(ALERT_STREAM, { last_by_subj: subject }).catch(() => null);
            if (last) this.sawOn(subject, last.seq);
            else await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
            continue;
          }
          if (attempt === 0) this.log.warn({ err: (err as Error).message, alert: event.alertId }, 'could not append an alert event to the stream; retrying');
          await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
        }
      }
    });
  }

  // ---- AlertService: reads from the view ----
  list(filter: AlertFilter): Alert[] {
    return [...this.alerts.values()]
      .filter((a) => (!filter.active || a.state !== 'resolved') && (!filter.grid || a.grid === filter.grid) && (!filter.district || a.district === filter.district) && (!filter.severity || a.severity === filter.severity))
      .sort((x, y) => y.startedAt - x.startedAt)
      .slice(0, filter.limit)
      .map((a) => this.anonymiseAlert(a));
  }

  get(id: string): Alert | undefined {
    return this.anonymiseAlert(this.alerts.get(id));
  }

  history(id: string): AlertHistoryEntry[] {
    const cutoff = this.cutoff();
    const list = this.events.get(id) ?? [];
    return cutoff === null ? [...list] : list.map((e) => anonymiseEntry(e, cutoff, this.o.retainNamesDays!));
  }

  all(): Alert[] {
    return [...this.alerts.values()].map((a) => this.anonymiseAlert(a));
  }

  search(q: HistoryQuery): HistoryPage {
    return searchHistory(candidatesFromView(this.all(), (id) => this.history(id), q), q);
  }

  /** Open alerts by colour, city-wide (the KPI line). */
  activeCount(): Record<string, number> {
    const out: Record<string, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
    for (const a of this.alerts.values()) if (a.state !== 'resolved' && a.state !== 'pending') out[a.severity] = (out[a.severity] ?? 0) + 1;
    return out;
  }

  listMaintenance(now: number): MaintenanceWindow[] {
    return [...this.windows.values()].filter((w) => w.until > now);
  }

  // ---- actions: commands to the owner, answered from the view ----
  private async command(action: AlertCommand['action'], id: string, actor: string, note: string | null, now: number, done: (a: Alert) => boolean, to?: string): Promise<Alert> {
    const alert = this.alerts.get(id);
    if (!alert) throw new AlertActionError('ALERT_NOT_FOUND', `No alert with id "${id}"`);
    if (alert.state === 'resolved') throw new AlertActionError('ALERT_RESOLVED', `Alert ${id} is already resolved`);
    if ((action === 'verify' || action === 'send_back') && alert.state !== 'handled') {
      throw new AlertActionError('NOT_HANDLED', `Alert ${id} is ${alert.state}, not handled: only a handled alert can be ${action === 'verify' ? 'verified' : 'sent back'}`);
    }
    if (done(alert)) return this.anonymiseAlert(alert);
    const command: AlertCommand = { id: randomUUID(), action, alertId: id, actor, note, at: now, ...(to !== undefined ? { to } : {}) };
    await this.js.publish(busSubject(partitionOf(alert.grid)), encodeEnvelope({ c: command }), { msgID: command.id });
    const answered = await this.until(() => done(this.alerts.get(id)!) || this.alerts.get(id)!.state === 'resolved', ACTION_WAIT_MS);
    if (!answered) throw new AlertActionTimeout(`The replica that owns alert ${id} has not confirmed the ${action} yet; it will be applied when it does`);
    return this.anonymiseAlert(this.alerts.get(id)!);
  }

  acknowledge(id: string, actor: string, note: string | null, now: number): Promise<Alert> {
    return this.command('acknowledge', id, actor, note, now, (a) => a.state === 'acknowledged');
  }

  resolve(id: string, actor: string, note: string, now: number): Promise<Alert> {
    if (!note.trim()) return Promise.reject(new AlertActionError('NOTE_REQUIRED', 'Resolving needs a note saying what was done'));
    return this.command('resolve', id, actor, note, now, (a) => a.state === 'resolved');
  }

  handle(id: string, actor: string, note: string, now: number): Promise<Alert> {
    if (!note.trim()) return Promise.reject(new AlertActionError('NOTE_REQUIRED', 'Handling needs a note saying what was done'));
    return this.command('handle', id, actor, note, now, (a) => a.state === 'handled');
  }

  verify(id: string, actor: string, note: string | null, now: number): Promise<Alert> {
    return this.command('verify', id, actor, note, now, (a) => a.state === 'resolved');
  }

  sendBack(id: string, actor: string, note: string, now: number): Promise<Alert> {
    if (!note.trim()) return Promise.reject(new AlertActionError('NOTE_REQUIRED', 'Sending back needs a note saying what was done'));
    return this.command('send_back', id, actor, note, now, (a) => a.state !== 'handled');
  }

  dispatch(id: string, actor: string, to: string, note: string | null, now: number): Promise<Alert> {
    return this.command('dispatch', id, actor, note, now, (a) => a.dispatchedAt === now && a.dispatchedBy === actor && a.assignees[0] === to, to);
  }

  async addMaintenance(w: Omit<MaintenanceWindow, 'id'>, now: number): Promise<MaintenanceWindow> {
    const window: MaintenanceWindow = { ...w, id: `mw-${now.toString(36)}-${randomUUID().slice(0, 4)}` };
    await this.appendWindow(window);
    return window;
  }

  async endMaintenance(id: string, _by: string, now: number): Promise<boolean> {
    const w = this.windows.get(id);
    if (!w || w.until <= now) return false;
    await this.appendWindow({ ...w, until: now });
    return true;
  }

  private async appendWindow(window: MaintenanceWindow): Promise<void> {
    const ack = await this.js.publish(MAINTENANCE_SUBJECT, encodeEntry({ w: window }), { msgID: `${window.id}/${window.until}` });
    await this.until(() => this.lastSeq >= ack.seq, ACTION_WAIT_MS);
  }

  close(): void {
    this.stopped = true;
  }
}

const encodeEntry = (entry: StreamEntry): Uint8Array => new TextEncoder().encode(JSON.stringify(entry));
