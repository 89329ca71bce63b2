// GET /api/health: broker, store and rules at a glance; 503 when the system cannot ingest.
import { Router } from 'express';
import type { HealthResponse } from '@citygrid/contract';
import type { AppDeps } from './app.js';

export function healthRouter({ health }: AppDeps): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const body: HealthResponse = health();
    res.status(body.status === 'down' ? 503 : 200).json(body);
  });
  return router;
}
