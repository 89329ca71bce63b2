// The city's webhooks (CITY_DIR/webhooks.yaml, optional) fed with every alert transition. Secrets come
// from the environment (`secret_env: NAME`), never from the file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { localName, type Alert, type AlertSocketEvent, type Contacts, type Locale } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { WebhookSender, webhookTargetProblems, type WebhookTarget } from './webhook-sender.js';

export const WEBHOOKS_FILE = 'webhooks.yaml';

export interface Notifier {
  notify(event: AlertSocketEvent): void;
  close(): Promise<void>;
}

/** Reads webhooks.yaml: a list of {id, url, format, secret_env?, severities?, events?, grids?, districts?}. */
export function loadWebhookTargets(cityDir: string, env: Record<string, string | undefined> = process.env): { targets: WebhookTarget[]; problems: string[] } {
  const file = join(cityDir, WEBHOOKS_FILE);
  if (!existsSync(file)) return { targets: [], problems: [] };
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    return { targets: [], problems: [`${WEBHOOKS_FILE}: not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (raw === null || raw === undefined) return { targets: [], problems: [] };
  if (!Array.isArray(raw)) return { targets: [], problems: [`${WEBHOOKS_FILE}: must be a list of webhooks`] };
  const targets: WebhookTarget[] = [];
  const problems: string[] = [];
  raw.forEach((entry: Record<string, unknown>, i) => {
    const { secret_env: secretEnv, ...rest } = entry ?? {};
    const target = { ...rest } as unknown as WebhookTarget;
    if (typeof secretEnv === 'string') {
      const secret = env[secretEnv];
      if (!secret) problems.push(`${WEBHOOKS_FILE}: webhook #${i + 1}: environment variable ${secretEnv} (secret_env) is not set`);
      else target.secret = secret;
    }
    targets.push(target);
  });
  problems.push(...webhookTargetProblems(targets).map((p) => `${WEBHOOKS_FILE}: ${p}`));
  return { targets: problems.length ? [] : targets, problems };
}

export function createNotifier(city: City, logger: Logger, metrics: Metrics, dashboardUrl?: string): Notifier {
  const log = logger.child({ stage: 'notify' });
  const { targets, problems } = loadWebhookTargets(city.dir);
  if (problems.length) throw new Error(`${WEBHOOKS_FILE} in ${city.dir} has problems:\n  - ${problems.join('\n  - ')}`);
  if (targets.length === 0) return { notify: () => undefined, close: async () => undefined };
  log.info({ webhooks: targets.map((t) => `${t.id} (${t.format})`) }, 'alert webhooks configured');
  const sender = new WebhookSender({
    targets, logger: log, ...(dashboardUrl ? { dashboardUrl } : {}), ...cityLookups(city),
    onResult: (r) => metrics.webhookDeliveries.inc({ target: r.targetId, outcome: r.outcome }),
  });
  return { notify: (event) => sender.notify(event), close: () => sender.close() };
}

/** People's contact handles by username, and cell and district names, for the formats' mentions and texts. */
export function cityLookups(city: City): { contactsOf: (username: string) => Contacts | undefined; placeNames: (alert: Alert, locale: Locale) => { cell: string; district: string } } {
  const contacts = new Map(city.people.flatMap((p) => (p.contacts ? [[p.username, p.contacts] as const] : [])));
  const districts = new Map(city.districts.map((d) => [d.id, d]));
  return {
    contactsOf: (username) => contacts.get(username),
    placeNames: (alert, locale) => {
      const cell = city.cellsById.get(alert.grid);
      const district = districts.get(alert.district);
      return { cell: cell ? localName(cell, locale) : alert.grid, district: district ? localName(district, locale) : alert.district };
    },
  };
}
