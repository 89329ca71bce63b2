// GET /api/health: broker, store and rules at a glance; 503 when the system cannot ingest. Open (the
// compose healthcheck and load balancers call it without a token), so it answers states and plain
// reasons only (system.ts). With a valid token it says more: any signed-in user gets a refused rule's
// problem (what GET /api/rules already shows them); an admin gets the store's own words, with any
// credentials in URLs removed. A missing or bad token is not an error here: the open answer.
import { Router, type Request } from 'express';
import type { HealthResponse } from '@citygrid/contract';
import type { Session } from '../auth/index.js';
import { tokenFrom } from '../auth/middleware.js';
import type { AppDeps } from './app.js';

/** "scheme://user:password@host" → "scheme://host". */
export const withoutCredentials = (text: string): string => text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');

export function healthRouter({ health, auth, alerting, store, people }: AppDeps): Router {
  const router = Router();

  async function signedIn(req: Request): Promise<Session | null> {
    const token = tokenFrom(req.headers);
    if (!token) return null;
    return auth.session(token).catch(() => null);
  }

  router.get('/health', async (req, res) => {
    let body: HealthResponse = health();
    const session = await signedIn(req);
    if (session) {
      const rules = alerting.health();
      body = { ...body, rules: { status: body.rules.status, ...(rules.detail ? { detail: rules.detail } : {}) } };
      const raw = store.health().detail;
      if (session.user.role === 'admin' && raw) body = { ...body, store: { ...body.store, detail: withoutCredentials(raw) } };
      // a refused people.yaml's problems (file, entry, field; never a hash) for admins: they name people
      const refused = session.user.role === 'admin' ? people?.health().problems : undefined;
      if (refused?.length && body.people) body = { ...body, people: { ...body.people, detail: `${body.people.detail ?? ''}: ${refused.slice(0, 5).join('; ')}` } };
    }
    res.status(body.status === 'down' ? 503 : 200).json(body);
  });
  return router;
}
