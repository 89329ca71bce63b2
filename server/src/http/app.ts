// buildApp(deps): the Express app without listening (tests drive it with supertest). Every /api route
// except health and login needs a signed-in user (authenticate) with the `read` permission; routes
// that act add their own requireRole.
import type { AlertService } from '../alerts/service.js';
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { HealthResponse, TrustProxy } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Errors, HttpError } from '../errors.js';
import type { DeviceRegistry } from '../live/device-registry.js';
import type { RejectionLog } from '../live/rejection-log.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { Alerting } from '../alerts/index.js';
import type { Auth } from '../auth/index.js';
import { authenticate, requireRole } from '../auth/middleware.js';
import { alertsRouter } from './alerts.router.js';
import { auditRouter } from './audit.router.js';
import { peopleRouter } from './people.router.js';
import type { PeopleAdmin } from '../auth/people-admin.js';
import { loginRouter, sessionRouter } from './auth.router.js';
import { cameraEventsRouter } from './camera-events.router.js';
import { cellsRouter } from './cells.router.js';
import { cityRouter } from './city.router.js';
import { devicesRouter } from './devices.router.js';
import { ExportSlots } from './export-slots.js';
import { healthRouter } from './health.router.js';
import { historyRouter } from './history.router.js';
import { openApiRouter } from './openapi.router.js';
import { openDataRouter } from './open-data.router.js';
import { readingsExportRouter } from './readings-export.router.js';
import { rejectionsRouter } from './rejections.router.js';
import { replayRouter } from './replay.router.js';
import { publicReportsRouter, reportsRouter } from './reports.router.js';
import type { ReportIntake } from '../reports/intake.js';
import { DEVICES_IMPORT_PATH, devicesAdminRouter } from './devices-admin.router.js';
import type { DeviceProvisioning } from '../provisioning/devices.js';
import { cors, securityHeaders } from './security.js';
import { deviceActivityRouter, type DeviceActivityDeps } from './device-activity.router.js';

/** The largest JSON body the API reads (a resolve note, a maintenance window: a few hundred bytes). */
export const BODY_LIMIT = '64kb';

export interface AppDeps {
  city: City;
  alerting: Alerting;
  registry: DeviceRegistry;
  store: TimeSeriesStore;
  rejections: RejectionLog;
  health: () => HealthResponse;
  metricsRegistry: Registry;
  auth: Auth;
  /** METRICS_TOKEN: when set, GET /metrics needs it as a bearer token. */
  metricsToken?: string | null;
  logger: Logger;
  /** Folder of the built dashboard; null to serve none. */
  webDist: string | null;
  /** CORS_ORIGINS: other origins allowed to call the API from a browser; none by default. */
  corsOrigins?: readonly string[];
  /** TRUST_PROXY: Express's `trust proxy` (who the client is behind a reverse proxy); false by default. */
  trustProxy?: TrustProxy;
  /** Cluster mode: alerts from the city-wide alert stream (default: this process's manager and log). */
  alertService?: AlertService;
  /** Residents' reports (REPORTS on); null or absent: their routes answer 404 CG_REPORTS_OFF. */
  reports?: ReportIntake | null;
  /** A device's page (issue 18): the embedded broker's connection history and test readings; absent: none kept, no test readings. */
  deviceActivity?: DeviceActivityDeps | null;
  /** Device provisioning (admins); absent in cluster mode, whose routes then answer 409 CG_DEVICES_READ_ONLY. */
  provisioning?: DeviceProvisioning | null;
  /** People administration (people.yaml written at runtime); absent: its routes answer 503. */
  people?: PeopleAdmin;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');
  app.use(securityHeaders(), cors(deps.corsOrigins ?? []));
  // a devices CSV import is bigger than any other body: its route reads it itself, after sign-in and role
  app.use(express.json({ limit: BODY_LIMIT, type: (req) => (req.url ?? '').split('?')[0] !== DEVICES_IMPORT_PATH && /^application\/json\b/i.test(req.headers['content-type'] ?? '') }));

  app.use('/api', healthRouter(deps), loginRouter(deps), openApiRouter(), openDataRouter(deps), publicReportsRouter(deps)); // open
  app.use('/api', authenticate(deps.auth, { allowedOrigins: deps.corsOrigins ?? [] }), requireRole('read'));
  const exports = new ExportSlots(); // the CSV exports being written, shared by the routes that write them
  app.use('/api', sessionRouter(deps), cityRouter(deps), devicesRouter(deps), readingsExportRouter(deps, exports), cameraEventsRouter(deps), cellsRouter(deps), rejectionsRouter(deps), replayRouter(deps));
  // the history before alertsRouter, whose /alerts/:id would take "history" for an alert id
  app.use('/api', historyRouter(deps, exports), alertsRouter(deps), auditRouter(deps), reportsRouter(deps), devicesAdminRouter(deps));
  app.use('/api', peopleRouter(deps));
  app.use('/api', deviceActivityRouter(deps));
  app.use('/api', (req) => {
    throw Errors.NOT_FOUND(req.method, req.originalUrl.split('?')[0]!.slice(0, 100));
  });
  // open unless METRICS_TOKEN is set: the metrics are counts and timings, no personal data
  app.get('/metrics', async (req, res) => {
    if (deps.metricsToken && !sameSecret(req.get('authorization') ?? '', `Bearer ${deps.metricsToken}`)) {
      throw Errors.UNAUTHENTICATED('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  const dist = deps.webDist ? resolve(deps.webDist) : null;
  if (dist && existsSync(resolve(dist, 'index.html'))) {
    app.use(express.static(dist, { index: 'index.html', maxAge: '1h', setHeaders: (res, path) => {
      // asked for again on every load: the shell, the phone view's service worker (a stale one would
      // keep serving an old shell) and its manifests
      if (/(index\.html|sw\.js|\.webmanifest)$/.test(path)) res.setHeader('Cache-Control', 'no-cache');
    } }));
    // client-side routes (/devices/:id, ...) get the app shell
    app.get(/^\/(?!api\/|socket\.io\/|metrics$).*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(resolve(dist, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res.type('text').send('CityGrid is running, but the dashboard is not built. Run `npm run build` (or `npm start`, which builds it) and reload.\n');
    });
  }

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    if (err instanceof HttpError) {
      res.set(err.headers).status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed' || type === 'entity.too.large') {
      const e = type === 'entity.too.large' ? Errors.BODY_TOO_LARGE(BODY_LIMIT) : Errors.BODY_INVALID((err as Error).message);
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
      return;
    }
    if (status && status >= 400 && status < 500) {
      const e = Errors.BAD_REQUEST((err as Error).message);
      res.status(status).json({ error: { code: e.code, message: e.message } });
      return;
    }
    deps.logger.error({ err, url: req.originalUrl }, 'request failed');
    const e = Errors.INTERNAL();
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  };
  app.use(onError);
  return app;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
