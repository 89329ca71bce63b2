// Device provisioning (admins; issue 18), every change audited and written back to devices.yaml:
//   GET    /api/admin/devices                 every device's configuration (never a hash)
//   POST   /api/admin/devices                 add {id, kind, location, grid?, name?, zones?, public?, secret?} → 201 {device, secret}
//   PATCH  /api/admin/devices/:id             {name?, grid?, location?, disabled?, public?, zones?}
//   DELETE /api/admin/devices/:id             → 204; its connections are closed
//   POST   /api/admin/devices/:id/rotate      {grace_seconds?} → {secret, previousSecretUntil}
//   POST   /api/admin/devices/import?dry_run= a CSV (text/csv): problems by line; applied all or nothing
// Secrets are in the answer once and nowhere else (not logged, not audited). In cluster mode the
// routes answer 409 CG_DEVICES_READ_ONLY: devices.yaml is edited on every node there.
import { Router, type Request } from 'express';
import type { DeviceImportResult, ProvisionedDeviceList } from '@citygrid/contract';
import { requireRole, sessionOf } from '../auth/middleware.js';
import { Errors } from '../errors.js';
import { IMPORT_MAX_BYTES, GRACE_DEFAULT_SECONDS, type DeviceProvisioning } from '../provisioning/devices.js';
import type { AppDeps } from './app.js';

function on(deps: AppDeps): DeviceProvisioning {
  if (!deps.provisioning?.writable) throw Errors.DEVICES_READ_ONLY('Devices cannot be changed through this server: it does not run the broker (cluster mode, or MQTT_URL). Edit devices.yaml in the city folder of every node that reads it, and restart them');
  return deps.provisioning;
}

export const DEVICES_IMPORT_PATH = '/api/admin/devices/import';

/**
 * The CSV of an import, at most `limit` bytes, read here (after sign-in and role; the app's JSON parser
 * leaves this path alone): the file itself (text/csv, for scripts with a token), or {"csv": "..."} in
 * JSON (the dashboard: a cookie-signed write must be JSON, auth/csrf.ts).
 */
async function importText(req: Request, limit: number): Promise<string> {
  const text = await bodyText(req, limit);
  if (!req.is('application/json')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw Errors.BODY_INVALID((err as Error).message.slice(0, 200));
  }
  const csv = (parsed as { csv?: unknown } | null)?.csv;
  if (typeof csv !== 'string') throw Errors.BODY_INVALID('send {"csv": "<the file>"}, or the CSV file itself as text/csv');
  return csv;
}

async function bodyText(req: Request, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.destroy();
      throw Errors.BODY_TOO_LARGE(`${limit / 1024 / 1024} MiB`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const idOf = (req: Request) => String(req.params.id ?? '').slice(0, 64);

export function devicesAdminRouter(deps: AppDeps): Router {
  const router = Router();
  const audit = (req: Request, action: 'device_add' | 'device_update' | 'device_remove' | 'device_rotate' | 'devices_import', target: string | null, note: string) => {
    deps.auth.audit.record({ user: sessionOf(req).user.username, action, target, note });
  };

  router.get('/admin/devices', requireRole('manageDevices'), (_req, res) => {
    res.json({ devices: on(deps).list() } satisfies ProvisionedDeviceList);
  });

  router.post('/admin/devices/import', requireRole('manageDevices'), async (req, res) => {
    const provisioning = on(deps);
    const dryRun = ['1', 'true', 'yes'].includes(String(req.query.dry_run ?? '').toLowerCase());
    const text = await importText(req, IMPORT_MAX_BYTES);
    const result = await provisioning.import(text, dryRun);
    if (!dryRun) audit(req, 'devices_import', null, `${result.rows} devices imported from CSV`);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ dryRun, rows: result.rows, problems: result.problems, ...(result.secrets ? { secrets: result.secrets } : {}) } satisfies DeviceImportResult);
  });

  router.post('/admin/devices', requireRole('manageDevices'), async (req, res) => {
    const { device, secret } = await on(deps).add(req.body);
    audit(req, 'device_add', device.id, `${device.kind} in ${device.grid}`);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ device, secret });
  });

  router.patch('/admin/devices/:id', requireRole('manageDevices'), async (req, res) => {
    const before = on(deps).get(idOf(req));
    const device = await on(deps).update(idOf(req), req.body);
    const changed = (['grid', 'location', 'name', 'disabled', 'public', 'zones'] as const)
      .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(device[k]))
      .map((k) => `${k}: ${JSON.stringify(before[k] ?? null)} → ${JSON.stringify(device[k] ?? null)}`);
    audit(req, 'device_update', device.id, changed.join('; ') || 'no change');
    res.json(device);
  });

  router.delete('/admin/devices/:id', requireRole('manageDevices'), async (req, res) => {
    await on(deps).remove(idOf(req));
    audit(req, 'device_remove', idOf(req), 'removed; its readings stay in the store');
    res.status(204).end();
  });

  router.post('/admin/devices/:id/rotate', requireRole('manageDevices'), async (req, res) => {
    const raw = (req.body as { grace_seconds?: unknown } | undefined)?.grace_seconds;
    if (raw !== undefined && typeof raw !== 'number') throw Errors.DEVICE_INVALID('grace_seconds must be a number of seconds');
    const rotated = await on(deps).rotate(idOf(req), raw ?? GRACE_DEFAULT_SECONDS);
    audit(req, 'device_rotate', idOf(req), rotated.previousSecretUntil ? `the old secret works until ${rotated.previousSecretUntil}` : 'the old secret stopped at once');
    res.setHeader('Cache-Control', 'no-store');
    res.json(rotated);
  });

  return router;
}
