// Incident replay: GET /api/replay?from=&to=&step= answers the city as it was over a past range of at
// most 24 hours, in at most 1,440 buckets (replay/replay.ts). A grid worker gets their own cells and
// alerts only (auth/scope.ts). Each answer reads every sensor's history of the range, so a process
// builds at most two at once and lets a few more wait; beyond that it answers 503 at once.
import { Router } from 'express';
import {
  defaultReplayStep, REPLAY_MAX_BUCKETS, REPLAY_MAX_RANGE_MS, type ReplayResponse,
} from '@citygrid/contract';
import { ClusterAlerts } from '../bus/cluster-alerts.js';
import { localReplaySource } from '../replay/alerts.js';
import { buildReplay } from '../replay/replay.js';
import { sessionOf } from '../auth/middleware.js';
import { readScope } from '../auth/scope.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { rangeParams, stepParam } from './query.js';

const HOUR = 3_600_000; // ms
/** Replays built at once, and waiting for their turn, per process. */
const BUILDING_AT_ONCE = 2;
const WAITING_AT_MOST = 8;

export function replayRouter({ city, store, alerting, alertService }: AppDeps): Router {
  const router = Router();
  // cluster mode: the city-wide alert stream's transitions; npm start: this process's alert log
  const alerts = alertService instanceof ClusterAlerts ? alertService.replayJournal : localReplaySource(alerting);
  let building = 0;
  const waiting: (() => void)[] = [];

  async function turn(): Promise<() => void> {
    if (building >= BUILDING_AT_ONCE) {
      if (waiting.length >= WAITING_AT_MOST) throw Errors.STORE_UNAVAILABLE(`${building + waiting.length} replays are being read; try again in a few seconds`).withHeader('Retry-After', '5');
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    building++;
    return () => {
      building--;
      waiting.shift()?.();
    };
  }

  router.get('/replay', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const now = Date.now();
    const range = rangeParams(q, { defaultMs: HOUR, maxMs: REPLAY_MAX_RANGE_MS, now, what: 'replay is served for' });
    if (range.from >= now) throw Errors.QUERY_INVALID('from', 'must be in the past: replay shows what happened');
    const to = Math.min(range.to, now);
    const step = stepParam(q, 'step') ?? defaultReplayStep(to - range.from);
    const start = Math.floor(range.from / step) * step;
    const buckets = Math.ceil((to - start) / step);
    if (buckets > REPLAY_MAX_BUCKETS) {
      const least = Math.ceil((to - start) / REPLAY_MAX_BUCKETS / 1000);
      throw Errors.LIMIT_EXCEEDED(`step=${step / 1000}s gives ${buckets.toLocaleString('en-US')} frames; replay has at most ${REPLAY_MAX_BUCKETS.toLocaleString('en-US')}: use a step of at least ${least}s`);
    }
    const done = await turn();
    try {
      const body: ReplayResponse = await buildReplay({ city, store, alerts }, { from: range.from, to, step, scope: readScope(sessionOf(req).user, city) });
      res.json(body);
    } finally {
      done();
    }
  });

  return router;
}
