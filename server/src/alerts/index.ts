// Alerting as one unit for system.ts: the alert log, routing, the manager with its rules from
// rules.yaml (hot-reloaded: a bad file is refused and the last good rules stay), and a 1 s tick.
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { AlertEvent, ComponentStatus } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import { createEvaluator } from '../rules/kinds/index.js';
import { AlertLog } from './alert-log.js';
import { AlertManager } from './alert-manager.js';
import { RULES_FILE, loadRules } from './rules-loader.js';
import { Routing } from './routing.js';

export interface Alerting {
  city: City;
  routing: Routing;
  manager: AlertManager;
  log: AlertLog;
  /** Re-reads rules.yaml; returns the problems (empty when the new rules are active). */
  reload(): { problems: string[]; rules: number };
  health(): { status: ComponentStatus; detail?: string };
  close(): void;
}

export interface AlertingOptions {
  city: City;
  dataDir: string;
  logger: Logger;
  onEvent: (event: AlertEvent) => void;
  /** Tests shorten time; production uses Date.now. */
  now?: () => number;
  tickMs?: number;
}

export function startAlerting(o: AlertingOptions): Alerting {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ stage: 'evaluate' });
  const alertLog = new AlertLog(join(o.dataDir, 'alerts.db'));
  const routing = new Routing(o.city);
  const manager = new AlertManager({ city: o.city, routing, log: alertLog, factory: createEvaluator, logger: log, onEvent: o.onEvent }, now());
  let active = 0;
  let lastProblems: string[] = [];
  let hasFile = false;

  function reload(): { problems: string[]; rules: number } {
    const loaded = loadRules(o.city.dir, o.city);
    lastProblems = loaded.problems;
    if (loaded.problems.length) {
      log.error({ problems: loaded.problems }, `${RULES_FILE} refused; the last good rules stay active:\n  - ${loaded.problems.join('\n  - ')}`);
      return { problems: loaded.problems, rules: active };
    }
    hasFile = true;
    manager.setRules(loaded.rules, now());
    active = loaded.rules.length;
    log.info({ rules: active }, 'alert rules loaded');
    return { problems: [], rules: active };
  }

  const first = reload();
  if (first.problems.length) throw new Error(`${RULES_FILE} in ${o.city.dir} has problems:\n  - ${first.problems.join('\n  - ')}`);

  const timer = setInterval(() => {
    try {
      manager.tick(now());
    } catch (err) {
      log.error({ err }, 'alert tick failed');
    }
  }, o.tickMs ?? 1000);
  timer.unref();

  let debounce: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(o.city.dir, (_event, name) => {
      if (name !== RULES_FILE) return;
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(() => reload(), 300);
    });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot watch the city folder; POST /api/rules/reload still works');
  }

  return {
    city: o.city,
    routing,
    manager,
    log: alertLog,
    reload,
    health() {
      if (lastProblems.length) return { status: 'degraded', detail: `${RULES_FILE} was refused (${lastProblems.length} problem${lastProblems.length > 1 ? 's' : ''}); ${active} earlier rules active: ${lastProblems[0]}` };
      if (!hasFile || active === 0) return { status: 'not_configured', detail: `no rules in ${RULES_FILE}` };
      return { status: 'ok', detail: `${active} rules` };
    },
    close() {
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      alertLog.close();
    },
  };
}
