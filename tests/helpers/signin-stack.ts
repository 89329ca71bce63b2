// The HTTP app with a real createAuth and nothing else running (sign-in routes need only auth), on a
// free port with its own data dir: for sign-in tests that need a knob the whole system does not expose.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadCity } from '@citygrid/contract/node';
import { buildApp, createAuth, type AppDeps, type Auth, type AuthOptions } from '@citygrid/server';
import { AUTH_SECRET } from './signed-in-city.js';
import { DEMO_CITY, tempDir } from './system.js';

export interface SigninStack { baseUrl: string; auth: Auth; close(): Promise<void> }

export async function startSigninStack(o: { trustProxy?: unknown; auth?: Partial<AuthOptions> } = {}): Promise<SigninStack> {
  const data = tempDir();
  const city = loadCity(DEMO_CITY);
  const auth = createAuth({ city, dataDir: data.path, secret: AUTH_SECRET, ...o.auth });
  // the other routers only need these to be built
  const deps = { city, alerting: { manager: {} }, auth, logger: pino({ level: 'silent' }), webDist: null, corsOrigins: [], ...(o.trustProxy !== undefined ? { trustProxy: o.trustProxy } : {}) } as unknown as AppDeps;
  const server: Server = createServer(buildApp(deps));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await auth.close();
      data.remove();
    },
  };
}
