// The alert lifecycle: pending -> firing -> acknowledged -> (handled -> verified or sent back) ->
// resolved, one alert per rule and key, dispatch by hand, flap suppression, re-raise after a manual
// resolve, escalation past the acknowledge deadline, resolve deadlines, maintenance windows. Every transition is appended to the AlertLog and handed to onEvent.
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { partitionOf, REPORT_CATEGORY_NAME, ruleGuidance, ruleTitle, SEVERITY_RANK, type Alert, type AlertCommand, type AlertEvent, type AlertEventType, type CompositeRule, type MaintenanceWindow, type ReportsRule, type RuleDef, type RuleLevels, type RuleStatusView } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { Condition, EvaluatorFactory, EvaluatorState, Observation, ReportObservation, ReportsEvaluator, RuleDevice, RuleEvaluator } from '../rules/types.js';
import type { AlertLog } from './alert-log.js';
import { evaluateComposite } from './composite.js';
import type { Routing } from './routing.js';
import { createReportsEvaluator, lookbackMs } from '../rules/kinds/index.js';
import { matches } from './rules-loader.js';

export interface AlertManagerOptions {
  city: City;
  routing: Routing;
  log: AlertLog;
  factory: EvaluatorFactory;
  logger: Logger;
  onEvent: (event: AlertEvent) => void;
  flapWindowMs?: number;
  flapSettleMs?: number;
  reraiseAfterMs?: number;
}

export class AlertActionError extends Error {
  constructor(readonly code: 'ALERT_NOT_FOUND' | 'ALERT_RESOLVED' | 'NOTE_REQUIRED' | 'NOT_HANDLED' | 'UNKNOWN_PERSON', message: string) {
    super(message);
  }
}

/** One row of GET /api/rules (the contract's RuleStatusView). */
export type RuleStatusRow = RuleStatusView;

const LEVEL_KEYS = ['above', 'below', 'clear_below', 'clear_above', 'crosses'] as const;
function ruleShape(rule: RuleDef): Pick<RuleStatusRow, 'match' | 'metric' | 'levels'> {
  const levels: RuleLevels = {};
  const r = rule as Partial<Record<(typeof LEVEL_KEYS)[number], unknown>> & { match?: RuleStatusRow['match']; metric?: unknown };
  for (const k of LEVEL_KEYS) if (typeof r[k] === 'number') levels[k] = r[k];
  return { ...(r.match ? { match: r.match } : {}), ...(typeof r.metric === 'string' ? { metric: r.metric } : {}), levels };
}

/** A rule and its evaluators: one per partition in cluster mode (so taking or giving up a partition
 *  leaves the others' windows alone), one for the whole city (ALL) in `npm start`. */
interface RuleSlot { rule: RuleDef; evaluators: Map<number, RuleEvaluator>; lastEvaluation: number | null; devices: number }
interface DeviceRule { slot: RuleSlot; evaluator: RuleEvaluator }

/** The one group of `npm start`: every cell. */
const ALL = -1;

/** A partition's rule state as snapshot() writes it (v8's structured clone). Version 1. */
interface PartitionState {
  v: 1;
  /** Per rule: its definition (a rule edited since starts blank) and its evaluator's state. */
  rules: Record<string, { def: string; state: EvaluatorState }>;
  /** The conditions last reported for the partition's keys (an adopted alert is confirmed by them). */
  conditions: [string, Condition][];
}

const DAY = 86_400_000;
/** The receipts one alert lists (more reports still join it: the report store knows them all). */
const MAX_ALERT_REPORTS = 500;
const newId = () => `al-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const clone = (a: Alert): Alert => JSON.parse(JSON.stringify(a)) as Alert;

export class AlertManager {
  private slots = new Map<string, RuleSlot>();
  private byDevice = new Map<string, DeviceRule[]>();
  private composites: CompositeRule[] = [];
  /** `reports` rules and their evaluators by group (they count reports, not device observations). */
  private reportRules = new Map<string, { rule: ReportsRule; evaluators: Map<number, ReportsEvaluator> }>();
  /** When reports joined each open alert (for corroboration), by alert id; kept in memory only. */
  private readonly joinedAt = new Map<string, number[]>();
  /** Cluster mode: the partitions this replica evaluates (their cells' devices); null: every cell. */
  private owned: Set<number> | null = null;
  private byPartition: Map<number, RuleDevice[]> | null = null;
  private rules: RuleDef[] = [];
  private readonly open = new Map<string, Alert>();
  private readonly lastClosed = new Map<string, Alert>();
  private readonly byId = new Map<string, Alert>();
  private readonly conditions = new Map<string, Condition>();
  private readonly clearSince = new Map<string, number>();
  private readonly lastUpdate = new Map<string, number>();
  /** Open alerts whose condition nobody has confirmed since (a restart or an edited rule), and since when. */
  private readonly unconfirmed = new Map<string, number>();
  private readonly observed = new Set<string>();
  private readonly camera = new Map<string, { type: string; ts: number }[]>();
  private maintenance: MaintenanceWindow[] = [];
  private readonly startedAt: number;
  private readonly flapWindow: number;
  private readonly flapSettle: number;
  private readonly reraiseAfter: number;

  constructor(private readonly o: AlertManagerOptions, now: number) {
    this.startedAt = now;
    this.flapWindow = o.flapWindowMs ?? 10 * 60_000;
    this.flapSettle = o.flapSettleMs ?? 5 * 60_000;
    this.reraiseAfter = o.reraiseAfterMs ?? 2 * 60_000;
    for (const a of o.log.latestAlerts(now - 7 * DAY)) {
      this.byId.set(a.id, a);
      const k = `${a.rule}|${a.key}`;
      if (a.state === 'resolved') this.lastClosed.set(k, a);
      else {
        this.open.set(k, a);
        this.unconfirmed.set(k, now);
      }
    }
    this.maintenance = o.log.maintenanceWindows(now);
    if (this.open.size) o.logger.info({ open: this.open.size }, 'active alerts restored from the alert log');
  }

  /** Cluster mode: is this cell in a partition this replica owns? (`npm start`: every cell is.) */
  private inScope(grid: string): boolean {
    return this.owned?.has(partitionOf(grid)) ?? true;
  }

  /** The evaluator group a cell's devices belong to. */
  private groupOf(grid: string): number {
    return this.owned ? partitionOf(grid) : ALL;
  }

  /**
   * Cluster mode: evaluate only the devices of these partitions' cells. A partition taken gets fresh
   * evaluators (replay() fills them from the stream); one given up loses its evaluators and alerts (the
   * new owner's now, forgotten here without events); the partitions kept keep their windows.
   */
  setPartitions(owned: readonly number[], now: number): void {
    const before = this.owned;
    this.owned = new Set(owned);
    const lost = before ? [...before].filter((p) => !this.owned!.has(p)) : [];
    for (const [k, a] of this.open) {
      if (this.inScope(a.grid)) continue;
      this.open.delete(k);
      for (const m of [this.conditions, this.clearSince, this.unconfirmed]) m.delete(k);
    }
    for (const [id, a] of this.byId) if (!this.inScope(a.grid) && !this.open.has(`${a.rule}|${a.key}`)) this.byId.delete(id);
    for (const [k, a] of this.lastClosed) if (!this.inScope(a.grid)) this.lastClosed.delete(k);
    for (const [k, c] of this.conditions) if (!this.inScope(c.grid)) this.conditions.delete(k);
    for (const r of this.reportRules.values()) for (const g of [ALL, ...lost]) r.evaluators.delete(g);
    if (!before) {
      for (const slot of this.slots.values()) slot.evaluators.delete(ALL);
      this.setRules(this.rules, now);
      return;
    }
    // only the partitions that changed hands: rebuilding every rule's devices on each one cost ~110 ms
    // with 100,000 devices, and a replica taking or losing its 64 partitions one by one stalled for
    // seconds, long enough to miss its other leases' renewals (bench:city)
    for (const p of lost) {
      const devices = this.devicesOf(p);
      for (const slot of this.slots.values()) if (slot.evaluators.delete(p)) slot.devices -= devices.filter((d) => matches(slot.rule, d)).length;
      for (const d of devices) this.byDevice.delete(d.id);
    }
    for (const p of owned) if (!before.has(p)) for (const slot of this.slots.values()) this.addGroup(slot, p, this.devicesOf(p));
  }

  /** A partition's devices (cluster mode), grouped once: the city does not change under a manager. */
  private devicesOf(p: number): RuleDevice[] {
    if (!this.byPartition) {
      this.byPartition = new Map();
      for (const { id, kind, grid, district } of this.o.city.devices) {
        const q = partitionOf(grid);
        (this.byPartition.get(q) ?? this.byPartition.set(q, []).get(q)!).push({ id, kind, grid, district });
      }
    }
    return this.byPartition.get(p) ?? [];
  }

  /** Gives a rule an evaluator for one group's devices that it selects (kept if it has one) and routes them to it. */
  private addGroup(slot: RuleSlot, g: number, all: RuleDevice[]): void {
    const devices = all.filter((d) => matches(slot.rule, d));
    if (!devices.length) return;
    slot.devices += devices.length;
    const evaluator = slot.evaluators.get(g) ?? slot.evaluators.set(g, this.o.factory(slot.rule, devices)).get(g)!;
    for (const d of devices) (this.byDevice.get(d.id) ?? this.byDevice.set(d.id, []).get(d.id)!).push({ slot, evaluator });
  }

  /**
   * Cluster mode, on taking a partition over: its alerts as the alert stream has them (the last
   * owner's latest). Open ones wait for the rules to confirm them, as after a restart; nothing is
   * raised again for a condition that already has an open alert.
   */
  adopt(alerts: Alert[], now: number): void {
    for (const given of alerts) {
      if (!this.inScope(given.grid)) continue;
      const a = clone(given);
      const k = `${a.rule}|${a.key}`;
      const mine = this.open.get(k);
      if (mine && mine.id !== a.id) this.byId.delete(mine.id);
      this.byId.set(a.id, a);
      if (a.state === 'resolved') {
        this.lastClosed.set(k, a);
        if (mine?.id === a.id) this.open.delete(k);
      } else {
        this.open.set(k, a);
        this.unconfirmed.set(k, now);
      }
    }
  }

  /**
   * Cluster mode, on taking a partition over (after adopt): the rules of its cells see again what its
   * stream held before (fed oldest first, each message at the time it was received), so hold times,
   * windows and baselines carry on where the last owner left them instead of starting blank. Nothing
   * is raised or closed while replaying; at finish, each rule's latest condition for each key is
   * applied now, as a live observation would be: an adopted alert is confirmed, updated or closed, and
   * a condition the last owner had not raised yet is raised.
   */
  replayer(partition: number, snapshot?: Uint8Array): {
    feed(at: number, observations: Observation[]): void; feedReport(at: number, r: ReportObservation): void; finish(now: number): number;
  } {
    const evaluators: DeviceRule[] = [];
    for (const slot of this.slots.values()) {
      const evaluator = slot.evaluators.get(partition);
      if (evaluator) evaluators.push({ slot, evaluator });
    }
    // the reports rules count this partition's reports (those that joined no alert: the others are in
    // the alerts adopted); an alert one raised is in the alert stream, so nothing is raised here
    const reportEvaluators = this.owned?.has(partition) ? [...this.reportRules.values()].map((entry) => ({ rule: entry.rule, evaluator: this.reportsEvaluator(entry, partition) })) : [];
    // only these (a partition given up and taken again meanwhile has new ones, with their own replay)
    const mine = new Set(evaluators.map((e) => e.evaluator));
    const latest = new Map<string, { rule: RuleDef; cond: Condition }>();
    const keep = (rule: RuleDef, conds: Condition[]) => { for (const c of conds) latest.set(`${rule.id}|${c.key}`, { rule, cond: c }); };
    if (snapshot) this.restore(partition, snapshot, [...evaluators, ...reportEvaluators.map(({ rule, evaluator }) => ({ slot: { rule }, evaluator }))], keep);
    let ticked = -Infinity;
    let count = 0;
    return {
      feed: (at, observations) => {
        // the once-a-second tick, at the message's time (hold times and absence run on it)
        if (at - ticked >= 1_000) {
          for (const { slot, evaluator } of evaluators) keep(slot.rule, evaluator.tick(at));
          ticked = at;
        }
        for (const ob of observations) {
          if (partitionOf(ob.device.grid) !== partition) continue;
          count++;
          this.observed.add(ob.device.id);
          this.observed.add(ob.device.grid);
          if (ob.type === 'event') (this.camera.get(ob.device.grid) ?? this.camera.set(ob.device.grid, []).get(ob.device.grid)!).push({ type: ob.event, ts: ob.ts });
          for (const { slot, evaluator } of this.byDevice.get(ob.device.id) ?? []) {
            if ((ob.type === 'refusal') !== (slot.rule.kind === 'refusals') || !mine.has(evaluator)) continue;
            keep(slot.rule, evaluator.observe(ob, at));
          }
        }
      },
      feedReport: (at, r) => {
        if (partitionOf(r.grid) !== partition) return;
        count++;
        if (r.spam) {
          for (const { rule, evaluator } of reportEvaluators) if (rule.category === r.category) evaluator.forget(r);
          return;
        }
        if (this.joinable(r, this.reportRulesOf(r))) return;
        for (const { rule, evaluator } of reportEvaluators) if (rule.category === r.category) evaluator.observeReport(r, at);
      },
      finish: (now) => {
        // given up meanwhile (its alerts are another replica's now) or its evaluators made anew (taken
        // again, or the rule edited): nothing of this replay applies
        if (!this.owned?.has(partition) || evaluators.some(({ slot, evaluator }) => this.slots.get(slot.rule.id)?.evaluators.get(partition) !== evaluator)) return 0;
        if (reportEvaluators.some(({ rule, evaluator }) => this.reportRules.get(rule.id)?.evaluators.get(partition) !== evaluator)) return 0;
        for (const { slot, evaluator } of evaluators) keep(slot.rule, evaluator.tick(now));
        for (const { rule, cond } of latest.values()) this.apply(rule, cond, now);
        return count;
      },
    };
  }

  /**
   * Cluster mode: the partition's rule state, for the next owner (replayer() takes it back): every
   * rule's evaluator and the conditions last reported, as bytes. Null if the partition is not owned.
   */
  snapshot(partition: number): Buffer | null {
    if (!this.owned?.has(partition)) return null;
    const state: PartitionState = { v: 1, rules: {}, conditions: [] };
    for (const slot of this.slots.values()) {
      const evaluator = slot.evaluators.get(partition);
      if (evaluator) state.rules[slot.rule.id] = { def: JSON.stringify(slot.rule), state: evaluator.save() };
    }
    for (const { rule, evaluators } of this.reportRules.values()) {
      const evaluator = evaluators.get(partition);
      if (evaluator) state.rules[rule.id] = { def: JSON.stringify(rule), state: evaluator.save() };
    }
    for (const [k, c] of this.conditions) if (partitionOf(c.grid) === partition) state.conditions.push([k, c]);
    return serialize(state);
  }

  /** Takes a snapshot's state into the partition's evaluators; rules edited since (or new) start blank. */
  private restore(partition: number, bytes: Uint8Array, evaluators: { slot: { rule: RuleDef }; evaluator: RuleEvaluator }[], keep: (rule: RuleDef, conds: Condition[]) => void): void {
    let state: PartitionState;
    try {
      state = deserialize(bytes) as PartitionState;
      if (state?.v !== 1) throw new Error(`unknown version ${String((state as { v?: unknown })?.v)}`);
    } catch (err) {
      this.o.logger.warn({ partition, err: (err as Error).message }, 'a rule-state snapshot could not be read; the partition\'s rules start from the replay alone');
      return;
    }
    let restored = 0;
    for (const { slot, evaluator } of evaluators) {
      const saved = state.rules[slot.rule.id];
      if (!saved || saved.def !== JSON.stringify(slot.rule)) continue;
      evaluator.restore(saved.state);
      restored++;
    }
    for (const [k, c] of state.conditions) {
      const rule = this.ruleOf(k);
      const saved = rule && state.rules[rule.id];
      if (rule && (rule.kind === 'composite' || (saved && saved.def === JSON.stringify(rule)))) keep(rule, [c]);
    }
    this.o.logger.info({ partition, rules: restored }, 'rule state restored from the last owner\'s snapshot');
  }

  /** How far back the current rules look (the longest of their windows, hold times and baselines). */
  lookbackMs(): number {
    return Math.max(0, ...this.rules.map(lookbackMs));
  }

  /** Cluster mode: a maintenance window started or ended on any replica (from the alert stream). */
  putMaintenance(window: MaintenanceWindow, now: number): void {
    const known = this.maintenance.find((m) => m.id === window.id);
    if (known) known.until = window.until;
    else {
      this.o.log.saveMaintenance(window);
      this.maintenance.push({ ...window });
    }
    this.tick(now);
  }

  setRules(rules: RuleDef[], now: number): void {
    this.rules = rules;
    const kept = new Set(rules.map((r) => r.id));
    for (const [k, a] of this.open) if (!kept.has(a.rule)) this.close(k, a, now, 'system', 'the rule was removed from rules.yaml');
    const previous = this.slots;
    this.slots = new Map();
    this.byDevice = new Map();
    this.composites = rules.filter((r): r is CompositeRule => r.kind === 'composite');
    const previousReports = this.reportRules;
    this.reportRules = new Map();
    for (const rule of rules) {
      if (rule.kind !== 'reports') continue;
      const old = previousReports.get(rule.id);
      this.reportRules.set(rule.id, old && JSON.stringify(old.rule) === JSON.stringify(rule) ? old : { rule, evaluators: new Map() });
    }
    const groups = new Map<number, RuleDevice[]>();
    for (const { id, kind, grid, district } of this.o.city.devices) {
      if (!this.inScope(grid)) continue;
      const g = this.groupOf(grid);
      (groups.get(g) ?? groups.set(g, []).get(g)!).push({ id, kind, grid, district });
    }
    for (const rule of rules) {
      if (rule.kind === 'composite' || rule.kind === 'reports') continue;
      // an unchanged rule keeps its evaluators, so a reload does not restart hold times, baselines or silence timers
      const old = previous.get(rule.id);
      const same = old && JSON.stringify(old.rule) === JSON.stringify(rule);
      const slot: RuleSlot = same ? old : { rule, evaluators: new Map(), lastEvaluation: null, devices: 0 };
      if (old && !same) {
        // the new evaluators start blank: its open alerts wait for them to confirm them, like after a restart
        for (const [k, a] of this.open) {
          if (a.rule !== rule.id) continue;
          this.conditions.delete(k);
          this.unconfirmed.set(k, now);
        }
      }
      slot.devices = 0;
      for (const [g, all] of groups) this.addGroup(slot, g, all);
      this.slots.set(rule.id, slot);
    }
  }

  /** Feeds an accepted message's observations to the rules that select its device. */
  observe(observations: Observation[], now: number): void {
    for (const ob of observations) {
      this.observed.add(ob.device.id);
      this.observed.add(ob.device.grid);
      if (ob.type === 'event') {
        const list = this.camera.get(ob.device.grid) ?? this.camera.set(ob.device.grid, []).get(ob.device.grid)!;
        list.push({ type: ob.event, ts: ob.ts });
      }
      for (const { slot, evaluator } of this.byDevice.get(ob.device.id) ?? []) {
        if ((ob.type === 'refusal') !== (slot.rule.kind === 'refusals')) continue; // refusals go to refusals rules only
        slot.lastEvaluation = now;
        for (const c of evaluator.observe(ob, now)) this.apply(slot.rule, c, now);
      }
    }
    if (this.composites.length) this.evaluateComposites(now);
  }

  /** About once a second: hold times, absence, escalation, maintenance, flapping, re-raise. */
  tick(now: number): void {
    for (const slot of this.slots.values()) {
      slot.lastEvaluation = now;
      for (const evaluator of slot.evaluators.values()) for (const c of evaluator.tick(now)) this.apply(slot.rule, c, now);
    }
    for (const [k, cond] of this.conditions) {
      if (cond.status !== 'active' || this.open.has(k)) continue;
      const prev = this.lastClosed.get(k);
      const rule = this.ruleOf(k);
      if (rule && prev && prev.resolvedBy !== 'system' && now - (prev.resolvedAt ?? 0) >= this.reraiseAfter) {
        this.raise(rule, cond, now, prev, `still true ${Math.round(this.reraiseAfter / 60_000)} min after ${prev.resolvedBy} resolved it: ${cond.detail}`);
      }
    }
    for (const [k, since] of this.clearSince) {
      const a = this.open.get(k);
      if (!a) this.clearSince.delete(k);
      else if (now - since >= this.flapSettle) this.close(k, a, now, 'system', `clear for ${Math.round(this.flapSettle / 60_000)} min after flapping`);
    }
    for (const [k, since] of this.unconfirmed) {
      const a = this.open.get(k);
      if (!a || a.ruleKind === 'reports') this.unconfirmed.delete(k); // reports alerts hold until a person closes them
      else if (this.conditions.has(k)) this.unconfirmed.delete(k);
      else if (now - since >= 60_000 && this.observed.has(a.key)) {
        this.close(k, a, now, 'system', since === this.startedAt ? 'the condition cleared while the server was restarting' : 'the condition is not true under the edited rule');
      }
    }
    this.maintenance = this.maintenance.filter((w) => w.until > now);
    for (const a of this.open.values()) {
      const under = this.underMaintenance(a, now);
      if (under !== a.suppressed) {
        a.suppressed = under;
        if (!under) a.ackDeadline = now + this.o.routing.deadline(a.severity);
        this.emit(a, under ? 'suppressed' : 'unsuppressed', now, 'system', under ? 'under maintenance: shown, not notified' : 'maintenance ended');
      }
      const settling = this.clearSince.has(`${a.rule}|${a.key}`);
      if (a.state === 'firing' && !a.suppressed && !settling && a.escalation < 2 && now >= a.ackDeadline) {
        a.escalation = (a.escalation + 1) as 1 | 2;
        a.assignees = this.o.routing.assignees(a.grid, a.district, a.escalation);
        a.ackDeadline = now + this.o.routing.deadline(a.severity);
        this.emit(a, 'escalated', now, 'system', `not acknowledged in time: now with ${this.o.routing.describe(a.escalation)}`);
      }
    }
    for (const [grid, list] of this.camera) {
      const fresh = list.filter((e) => now - e.ts < DAY);
      if (fresh.length) this.camera.set(grid, fresh.slice(-500));
      else this.camera.delete(grid);
    }
    if (this.composites.length) this.evaluateComposites(now);
  }

  private ruleOf(k: string): RuleDef | undefined {
    const id = k.slice(0, k.indexOf('|'));
    return this.slots.get(id)?.rule ?? this.composites.find((c) => c.id === id) ?? this.reportRules.get(id)?.rule;
  }

  private underMaintenance(a: Alert, now: number): boolean {
    return this.maintenance.some((w) => w.from <= now && now < w.until &&
      ('grid' in w.target ? w.target.grid === a.grid : 'rule' in w.target ? w.target.rule === a.rule : a.devices.includes(w.target.device)));
  }

  private apply(rule: RuleDef, cond: Condition, now: number): void {
    const k = `${rule.id}|${cond.key}`;
    this.conditions.set(k, cond);
    const a = this.open.get(k);
    if (cond.status === 'clear') {
      if (!a) return;
      if (a.state === 'pending') this.close(k, a, now, 'system', `cleared before it held long enough: ${cond.detail}`);
      else if (a.flapping) this.clearSince.set(k, now);
      else this.close(k, a, now, 'system', `condition cleared: ${cond.detail}`);
      return;
    }
    this.clearSince.delete(k);
    if (!a) {
      const prev = this.lastClosed.get(k);
      if (prev && prev.resolvedBy !== 'system' && now - (prev.resolvedAt ?? 0) < this.reraiseAfter) return; // a person just closed it: give them time
      if (prev && prev.resolvedBy === 'system' && prev.firedAt && now - (prev.resolvedAt ?? 0) < this.flapWindow) {
        if (cond.status === 'pending') return; // flapping: wait for it to hold, then reopen the same alert
        Object.assign(prev, {
          state: 'firing', firedAt: now, resolvedAt: null, resolvedBy: null, flapping: true, acknowledgedAt: null, acknowledgedBy: null,
          escalation: 0, assignees: this.o.routing.assignees(prev.grid, prev.district, 0), ackDeadline: now + this.o.routing.deadline(prev.severity),
          resolveDeadline: now + this.o.routing.resolveDeadline(prev.severity), handledAt: null, handledBy: null, dispatchedBy: null, dispatchedAt: null,
        });
        this.update(prev, cond);
        prev.suppressed = this.underMaintenance(prev, now);
        this.open.set(k, prev);
        this.lastClosed.delete(k);
        this.emit(prev, 'reopened', now, 'system', `came back within ${Math.round(this.flapWindow / 60_000)} min (flapping): it resolves only after ${Math.round(this.flapSettle / 60_000)} min clear`);
        return;
      }
      this.raise(rule, cond, now, prev && prev.resolvedBy !== 'system' ? prev : undefined, cond.detail);
      return;
    }
    const before = a.message;
    this.update(a, cond);
    if (a.state === 'pending' && cond.status === 'active') {
      a.state = 'firing';
      a.firedAt = now;
      a.ackDeadline = now + this.o.routing.deadline(a.severity);
      a.resolveDeadline = now + this.o.routing.resolveDeadline(a.severity);
      this.emit(a, 'firing', now, 'system', cond.detail);
    } else if (a.message !== before && now - (this.lastUpdate.get(a.id) ?? 0) >= 30_000) {
      this.emit(a, 'updated', now, 'system', cond.detail);
    }
  }

  private update(a: Alert, cond: Condition): void {
    const rule = this.ruleOf(`${a.rule}|`);
    a.values = cond.values;
    if (rule) {
      a.text = { title: ruleTitle(rule), detail: cond.text ?? null, guidance: ruleGuidance(rule) };
      a.guidance = a.text.guidance.en;
    } else if (a.text) a.text = { ...a.text, detail: cond.text ?? null };
    // the English default: the title and the detail (the detail's English rendering when it has a key)
    a.message = `${a.text?.title.en ?? a.rule}: ${cond.detail}`;
    a.devices = cond.devices.length ? cond.devices : a.devices;
    if (rule?.kind === 'composite') {
      const parts = String(cond.values.parts ?? '').split(',').filter(Boolean);
      a.parts = [...new Set([...(a.parts ?? []), ...parts])];
    }
  }

  private raise(rule: RuleDef, cond: Condition, now: number, reraises: Alert | undefined, note: string): void {
    const state = cond.status === 'active' ? 'firing' : 'pending';
    const a: Alert = {
      id: newId(), rule: rule.id, ruleKind: rule.kind, severity: rule.severity, key: cond.key, devices: cond.devices,
      grid: cond.grid, district: cond.district, message: '', guidance: ruleGuidance(rule).en,
      values: cond.values, state, startedAt: now, firedAt: state === 'firing' ? now : null, updatedAt: now, acknowledgedAt: null, acknowledgedBy: null,
      resolvedAt: null, resolvedBy: null, escalation: 0, assignees: this.o.routing.assignees(cond.grid, cond.district, 0),
      ackDeadline: now + this.o.routing.deadline(rule.severity), suppressed: false, reraises: reraises?.id ?? null, partOf: null,
      resolveDeadline: state === 'firing' ? now + this.o.routing.resolveDeadline(rule.severity) : null, handledAt: null, handledBy: null,
    };
    this.update(a, cond);
    if (cond.reports?.length) a.reports = cond.reports.slice(0, MAX_ALERT_REPORTS);
    a.suppressed = this.underMaintenance(a, now);
    const k = `${rule.id}|${cond.key}`;
    this.open.set(k, a);
    this.byId.set(a.id, a);
    this.lastClosed.delete(k);
    this.emit(a, state, now, 'system', note);
  }

  private close(k: string, a: Alert, now: number, actor: string, note: string, type: AlertEventType = 'resolved'): void {
    if (actor === 'system' && a.state === 'handled') {
      // handled, awaiting verification: a person verifies it, whatever the sensors say meanwhile
      this.clearSince.delete(k);
      this.unconfirmed.delete(k);
      return;
    }
    a.state = 'resolved';
    a.resolvedAt = now;
    a.resolvedBy = actor;
    this.joinedAt.delete(a.id);
    this.open.delete(k);
    this.clearSince.delete(k);
    this.lastClosed.set(k, a);
    this.emit(a, type, now, actor, note);
  }

  private emit(a: Alert, type: AlertEventType, now: number, actor: string, note: string | null): void {
    a.updatedAt = now;
    this.lastUpdate.set(a.id, now); // 'updated' goes out at most every 30 s after any event of the alert
    const event = this.o.log.append({ alertId: a.id, ts: now, type, actor, note, alert: clone(a) });
    this.o.onEvent(event);
  }

  private evaluateComposites(now: number): void {
    for (const rule of this.composites) {
      const partRules = new Set(rule.all.filter((p): p is string => typeof p === 'string'));
      const grids = new Set<string>();
      const fired = (a: Alert, since: number) => !!a.firedAt && (a.state !== 'resolved' || (a.resolvedAt ?? 0) >= since);
      for (const a of this.byId.values()) if (partRules.has(a.rule) && fired(a, now - rule.within)) grids.add(a.grid);
      for (const [k, a] of this.open) if (k.startsWith(`${rule.id}|`)) grids.add(a.grid);
      const cameraParts = new Set<string>(rule.all.flatMap((p) => (typeof p === 'string' ? [] : [p.camera])));
      for (const [grid, list] of this.camera) if (list.some((e) => cameraParts.has(e.type) && e.ts >= now - rule.within)) grids.add(grid);
      const conditions = evaluateComposite(rule, {
        now,
        candidateGrids: () => grids,
        districtOf: (g) => this.o.city.cellsById.get(g)?.district ?? '',
        alertsOf: (ruleId, grid, since) => [...this.byId.values()].filter((a) => a.rule === ruleId && a.grid === grid && fired(a, since)),
        cameraEvents: (grid, type, since) => (this.camera.get(grid) ?? []).filter((e) => e.type === type && e.ts >= since).length,
      });
      for (const c of conditions) {
        const k = `${rule.id}|${c.key}`;
        const before = this.conditions.get(k)?.status;
        if (c.status === before && c.status === 'clear') continue;
        if (c.status === 'clear' && !this.open.has(k)) continue;
        this.apply(rule, c, now);
        const composite = this.open.get(k);
        if (!composite) continue;
        for (const id of composite.parts ?? []) {
          const part = this.byId.get(id);
          if (part && part.partOf !== composite.id && part.state !== 'resolved') {
            part.partOf = composite.id;
            this.emit(part, 'grouped', now, 'system', `part of incident ${composite.id} (${rule.id})`);
          }
        }
      }
    }
  }

  /**
   * A resident's report (REPORTS on) in a cell of this manager's. It joins the open alert of its kind in
   * its cell, if there is one: one of its category's `reports` rules, or one of their `sensor_rules`
   * (the most severe, then the oldest). Else its category's `reports` rules count it, and one that
   * reaches its count raises an alert the report and those before it join. A reports alert holds until
   * a person closes it. Returns the alert the report joined (the report store is told by the caller),
   * or null: it waits, counted, or no rule takes its category.
   */
  observeReport(r: ReportObservation, now: number): Alert | null {
    if (!this.inScope(r.grid)) return null;
    const rules = this.reportRulesOf(r);
    if (!rules.length) return null;
    const target = this.joinable(r, rules);
    const what = REPORT_CATEGORY_NAME.en[r.category].toLowerCase();
    if (target) {
      const list = target.reports ?? [];
      if (!list.includes(r.receipt) && list.length < MAX_ALERT_REPORTS) target.reports = [...list, r.receipt];
      const times = this.joinedAt.get(target.id) ?? this.joinedAt.set(target.id, []).get(target.id)!;
      times.push(now);
      if (times.length > MAX_ALERT_REPORTS) times.splice(0, times.length - MAX_ALERT_REPORTS);
      this.emit(target, 'updated', now, 'system', `a resident's report of ${what} in this cell joined it (${r.receipt})`);
      this.corroborate(target, rules.map((x) => x.rule), what, now);
      return target;
    }
    const g = this.groupOf(r.grid);
    for (const entry of rules) {
      const { rule } = entry;
      for (const c of this.reportsEvaluator(entry, g).observeReport(r, now)) {
        if (this.open.has(`${rule.id}|${c.key}`)) continue; // an open one would have taken the report above
        this.raise(rule, c, now, undefined, c.detail);
        return this.open.get(`${rule.id}|${c.key}`) ?? null;
      }
    }
    return null;
  }

  private reportRulesOf(r: ReportObservation): { rule: ReportsRule; evaluators: Map<number, ReportsEvaluator> }[] {
    return [...this.reportRules.values()].filter(({ rule }) => rule.category === r.category);
  }

  private reportsEvaluator(entry: { rule: ReportsRule; evaluators: Map<number, ReportsEvaluator> }, g: number): ReportsEvaluator {
    return entry.evaluators.get(g) ?? entry.evaluators.set(g, createReportsEvaluator(entry.rule)).get(g)!;
  }

  /** The open alert of a report's kind in its cell that it joins: the most severe, then the oldest (never a pending one). */
  private joinable(r: ReportObservation, rules: { rule: ReportsRule }[]): Alert | undefined {
    const kin = new Set(rules.flatMap(({ rule }) => [rule.id, ...(rule.sensor_rules ?? [])]));
    let target: Alert | undefined;
    for (const a of this.open.values()) {
      if (a.grid !== r.grid || !kin.has(a.rule) || a.state === 'pending') continue;
      if (!target || SEVERITY_RANK[a.severity] > SEVERITY_RANK[target.severity] || (a.severity === target.severity && a.startedAt < target.startedAt)) target = a;
    }
    return target;
  }

  /** A report marked as spam (while it waited, counted): the rules count it no more. */
  forgetReport(r: ReportObservation): void {
    if (!this.inScope(r.grid)) return;
    const g = this.groupOf(r.grid);
    for (const entry of this.reportRulesOf(r)) entry.evaluators.get(g)?.forget(r);
  }

  /** `count` reports joined a sensor rule's alert within `within`: its colour goes up to the rule's corroborated_severity. */
  private corroborate(a: Alert, rules: ReportsRule[], what: string, now: number): void {
    for (const rule of rules) {
      const to = rule.corroborated_severity;
      if (!to || !rule.sensor_rules?.includes(a.rule) || SEVERITY_RANK[to] <= SEVERITY_RANK[a.severity]) continue;
      const n = (this.joinedAt.get(a.id) ?? []).filter((t) => t > now - rule.within).length;
      if (n < rule.count) continue;
      const from = a.severity;
      a.severity = to;
      a.ackDeadline = now + this.o.routing.deadline(to);
      if (a.resolveDeadline != null) a.resolveDeadline = Math.min(a.resolveDeadline, now + this.o.routing.resolveDeadline(to));
      this.emit(a, 'updated', now, 'system', `${n} residents' reports of ${what} corroborate it (rule ${rule.id}): colour raised from ${from} to ${to}`);
    }
  }

  /** An open alert by id, or the action's error. */
  private actionable(id: string): Alert {
    const a = this.byId.get(id);
    if (!a) throw new AlertActionError('ALERT_NOT_FOUND', `No alert with id "${id}"`);
    if (a.state === 'resolved') throw new AlertActionError('ALERT_RESOLVED', `Alert ${id} is already resolved`);
    return a;
  }

  private needNote(note: string | null, what: string): string {
    if (!note?.trim()) throw new AlertActionError('NOTE_REQUIRED', `${what} needs a note saying what was done`);
    return note;
  }

  acknowledge(id: string, actor: string, note: string | null, now: number): Alert {
    const a = this.actionable(id);
    if (a.state === 'acknowledged' || a.state === 'handled') return a;
    a.state = 'acknowledged';
    a.acknowledgedAt ??= now; // the first acknowledgement is the one the scores judge (a dispatch asks again)
    a.acknowledgedBy = actor;
    this.emit(a, 'acknowledged', now, actor, note);
    return a;
  }

  /** Closes it at once (an operator, a supervisor, or a colour nobody verifies): handled and resolved. */
  resolve(id: string, actor: string, note: string, now: number): Alert {
    const a = this.actionable(id);
    this.needNote(note, 'Resolving');
    if (a.handledAt == null) Object.assign(a, { handledAt: now, handledBy: actor });
    this.close(`${a.rule}|${a.key}`, a, now, actor, note);
    return a;
  }

  /**
   * The assignee's "done": for a colour a supervisor verifies, the alert waits for them (handled);
   * for the others it closes at once (resolve).
   */
  handle(id: string, actor: string, note: string, now: number): Alert {
    const a = this.actionable(id);
    this.needNote(note, 'Handling');
    if (!this.o.routing.verifies(a.severity)) return this.resolve(id, actor, note, now);
    if (a.state === 'handled') return a;
    Object.assign(a, { state: 'handled', handledAt: now, handledBy: actor });
    a.acknowledgedAt ??= now;
    a.acknowledgedBy ??= actor;
    this.emit(a, 'handled', now, actor, note);
    return a;
  }

  /** A supervisor checked the handling (核查) and closes it (结案). */
  verify(id: string, actor: string, note: string | null, now: number): Alert {
    const a = this.actionable(id);
    if (a.state !== 'handled') throw new AlertActionError('NOT_HANDLED', `Alert ${id} is ${a.state}, not handled: only a handled alert can be verified`);
    this.close(`${a.rule}|${a.key}`, a, now, actor, note ?? 'verified', 'verified');
    return a;
  }

  /** A supervisor sends the handling back: the assignee has it again, acknowledged, on the same deadline. */
  sendBack(id: string, actor: string, note: string, now: number): Alert {
    const a = this.actionable(id);
    if (a.state !== 'handled') throw new AlertActionError('NOT_HANDLED', `Alert ${id} is ${a.state}, not handled: only a handled alert can be sent back`);
    this.needNote(note, 'Sending back');
    Object.assign(a, { state: 'acknowledged', handledAt: null, handledBy: null });
    this.emit(a, 'sent_back', now, actor, note);
    return a;
  }

  /**
   * Hands the alert to a named person (a grid worker of another cell, a department's contact): they
   * must acknowledge it again, and both deadlines restart by its colour.
   */
  dispatch(id: string, actor: string, to: string, note: string | null, now: number): Alert {
    const a = this.actionable(id);
    if (!this.o.routing.person(to)) throw new AlertActionError('UNKNOWN_PERSON', `No person "${to.slice(0, 64)}" in people.yaml who may act on alerts`);
    Object.assign(a, {
      state: a.state === 'pending' ? 'pending' : 'firing', assignees: [to], escalation: 0, dispatchedBy: actor, dispatchedAt: now, handledAt: null, handledBy: null,
      ackDeadline: now + this.o.routing.deadline(a.severity), resolveDeadline: now + this.o.routing.resolveDeadline(a.severity),
    });
    this.emit(a, 'dispatched', now, actor, note);
    return a;
  }

  addMaintenance(w: Omit<MaintenanceWindow, 'id'>, now: number): MaintenanceWindow {
    const window: MaintenanceWindow = { ...w, id: `mw-${now.toString(36)}-${randomBytes(2).toString('hex')}` };
    this.o.log.saveMaintenance(window);
    this.maintenance.push(window);
    this.tick(now);
    return window;
  }

  endMaintenance(id: string, by: string, now: number): boolean {
    const w = this.maintenance.find((m) => m.id === id);
    if (!w) return false;
    this.o.log.endMaintenance(id, by, now);
    w.until = now;
    this.tick(now);
    return true;
  }

  listMaintenance(now: number): MaintenanceWindow[] {
    return this.maintenance.filter((w) => w.until > now);
  }

  get(id: string): Alert | undefined {
    return this.byId.get(id);
  }

  list(filter: { active: boolean; grid?: string; district?: string; severity?: string; limit: number }): Alert[] {
    const source = filter.active ? [...this.open.values()] : [...this.byId.values()];
    return source
      .filter((a) => (!filter.grid || a.grid === filter.grid) && (!filter.district || a.district === filter.district) && (!filter.severity || a.severity === filter.severity))
      .sort((x, y) => y.startedAt - x.startedAt)
      .slice(0, filter.limit);
  }

  rulesStatus(): RuleStatusRow[] {
    const active = new Map<string, number>();
    for (const a of this.open.values()) active.set(a.rule, (active.get(a.rule) ?? 0) + 1);
    const rows: RuleStatusRow[] = [...this.slots.values()].map((s) => ({
      id: s.rule.id, kind: s.rule.kind, severity: s.rule.severity, devices: s.devices, active: active.get(s.rule.id) ?? 0, lastEvaluation: s.lastEvaluation,
      ...ruleShape(s.rule),
    }));
    for (const c of this.composites) rows.push({ id: c.id, kind: c.kind, severity: c.severity, devices: 0, active: active.get(c.id) ?? 0, lastEvaluation: null, levels: {} });
    for (const { rule } of this.reportRules.values()) rows.push({ id: rule.id, kind: rule.kind, severity: rule.severity, devices: 0, active: active.get(rule.id) ?? 0, lastEvaluation: null, levels: {} });
    return rows;
  }

  activeCount(): Record<string, number> {
    const out: Record<string, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
    for (const a of this.open.values()) if (a.state !== 'pending') out[a.severity] = (out[a.severity] ?? 0) + 1;
    return out;
  }
}

/** Cluster mode: an action accepted by any replica, applied by the owner of the alert's cell. */
export function applyCommand(manager: AlertManager, c: AlertCommand): Alert {
  switch (c.action) {
    case 'acknowledge': return manager.acknowledge(c.alertId, c.actor, c.note, c.at);
    case 'resolve': return manager.resolve(c.alertId, c.actor, c.note ?? '', c.at);
    case 'handle': return manager.handle(c.alertId, c.actor, c.note ?? '', c.at);
    case 'verify': return manager.verify(c.alertId, c.actor, c.note, c.at);
    case 'send_back': return manager.sendBack(c.alertId, c.actor, c.note ?? '', c.at);
    case 'dispatch': return manager.dispatch(c.alertId, c.actor, c.to ?? '', c.note, c.at);
  }
}
