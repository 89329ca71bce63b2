// buildApp(deps): the Express app without listening (tests drive it with supertest).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { HealthResponse } from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Errors, HttpError } from '../errors.js';
import type { DeviceRegistry } from '../live/device-registry.js';
import type { RejectionLog } from '../live/rejection-log.js';
import type { TimeSeriesStore } from '../stores/store.js';
import type { Alerting } from '../alerts/index.js';
import { alertsRouter } from './alerts.router.js';
import { cityRouter } from './city.router.js';
import { devicesRouter } from './devices.router.js';
import { healthRouter } from './health.router.js';
import { rejectionsRouter } from './rejections.router.js';

export interface AppDeps {
  city: City;
  alerting: Alerting;
  registry: DeviceRegistry;
  store: TimeSeriesStore;
  rejections: RejectionLog;
  health: () => HealthResponse;
  metricsRegistry: Registry;
  logger: Logger;
  /** Folder of the built dashboard; null to serve none. */
  webDist: string | null;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '64kb' }));

  app.use('/api', healthRouter(deps), cityRouter(deps), devicesRouter(deps), rejectionsRouter(deps), alertsRouter(deps));
  app.use('/api', (req) => {
    throw Errors.NOT_FOUND(req.method, req.originalUrl.split('?')[0]!.slice(0, 100));
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  const dist = deps.webDist ? resolve(deps.webDist) : null;
  if (dist && existsSync(resolve(dist, 'index.html'))) {
    app.use(express.static(dist, { index: 'index.html', maxAge: '1h', setHeaders: (res, path) => {
      if (path.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache');
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
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      const e = Errors.BODY_INVALID((err as Error).message);
      res.status(e.status).json({ error: { code: e.code, message: e.message } });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: { code: 'CG_BAD_REQUEST', message: (err as Error).message } });
      return;
    }
    deps.logger.error({ err, url: req.originalUrl }, 'request failed');
    const e = Errors.INTERNAL();
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  };
  app.use(onError);
  return app;
}
