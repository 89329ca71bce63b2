// Socket.IO: the typed live feed for dashboards and phones. The handshake must carry a token
// (`auth: { token }`, `Authorization: Bearer`, or the cg_token cookie) of a live session (auth.session
// checks the session store: signed out, replaced or past SESSION_MAX_AGE is refused); a socket is
// disconnected when its token expires (tokens end no later than their session) or its session is
// signed out. Rooms per user: see socket-scope.ts. Clients narrow
// what they get with `subscribe {grid?, district?, device?}`; each event goes to the rooms it belongs to.
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type {
  AlertSocketEvent, CameraSocketEvent, ClientToServerEvents, DeviceStatusEvent, Rejection, ServerToClientEvents, StatsEvent,
} from '@citygrid/contract';
import type { City } from '@citygrid/contract/node';
import type { Logger } from 'pino';
import { terminate, transportWritable, waitingPackets } from '../adapters/engine-io.js';
import { SessionError, sessionKey, type Auth, type Session } from '../auth/index.js';
import { tokenFrom } from '../auth/middleware.js';
import type { Metrics } from '../metrics.js';
import type { LiveFeed } from '../pipeline/index.js';
import { ReadingCoalescer } from './reading-coalescer.js';
import { MemorySocketPlaces, type SocketPlaces } from './socket-places.js';
import { ALL, checkSubscribe, defaultRooms } from './socket-scope.js';

export interface Realtime {
  feed: LiveFeed;
  /** Every alert transition, to everyone watching the cell, the district, and the people it is assigned to. */
  alert(event: AlertSocketEvent): void;
  rejection(rejection: Rejection): void;
  clients(): number;
  close(): Promise<void>;
}

export interface RealtimeDeps {
  city: City;
  metrics: Metrics;
  logger: Logger;
  auth: Auth;
  stats: () => Omit<StatsEvent, 'socketClients'>;
  /** CORS_ORIGINS: other origins whose pages may open a socket; the page's own origin always may. */
  corsOrigins?: readonly string[];
  /**
   * Cluster mode: Socket.IO's Redis adapter, so that an event emitted to a room on one replica
   * reaches the browsers in that room on every replica (each cell's events come from its owner).
   */
  adapter?: Parameters<IO['adapter']>[0];
  /**
   * Where the per-user socket cap is counted; default this process's own sockets (MemorySocketPlaces).
   * Cluster mode: RedisSocketPlaces, shared by every replica.
   */
  places?: SocketPlaces;
}

/**
 * Browsers send Origin on the WebSocket handshake and CORS does not guard it, so the check is here:
 * a page from another site is refused unless listed. Clients without Origin (devices, scripts) pass;
 * they still need a token.
 */
export function originAllowed(origin: string | undefined, hosts: (string | undefined)[], allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return hosts.some((h) => h !== undefined && h.split(',')[0]!.trim().toLowerCase() === host.toLowerCase());
}

export { MAX_SOCKETS_PER_USER } from './socket-places.js';

/** A client whose connection takes no writes for this long is dropped. */
export const SLOW_AFTER_MS = 15_000;
/** ...or that has this many packets waiting for it. */
export const SLOW_BUFFERED_PACKETS = 20_000;

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { session: Session }>;

function roomsFor(e: { device: string; grid: string; district: string }): string[] {
  return [ALL, `grid:${e.grid}`, `district:${e.district}`, `device:${e.device}`];
}

export function createRealtime(http: HttpServer, deps: RealtimeDeps): Realtime {
  const log = deps.logger.child({ stage: 'realtime' });
  const io: IO = new Server(http, {
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    allowRequest: (req, done) => {
      const h = req.headers;
      const forwarded = Array.isArray(h['x-forwarded-host']) ? h['x-forwarded-host'][0] : h['x-forwarded-host'];
      if (originAllowed(h.origin, [h.host, forwarded], deps.corsOrigins ?? [])) done(null, true);
      else done(`Origin ${String(h.origin).slice(0, 100)} may not open a socket here (CORS_ORIGINS)`, false);
    },
  });
  if (deps.adapter) io.adapter(deps.adapter);
  const count = (event: string) => deps.metrics.socketEvents.inc({ event });

  io.use((socket, next) => {
    const given = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const token = typeof given === 'string' && given ? given : tokenFrom(socket.handshake.headers);
    if (!token) {
      next(new Error('Sign in first: connect with auth: { token } or the cg_token cookie'));
      return;
    }
    deps.auth.session(token).then((session) => {
      socket.data.session = session;
      next();
    }, (err: unknown) => {
      if (!(err instanceof SessionError)) log.error({ err }, 'socket sign-in check failed');
      next(new Error(err instanceof SessionError ? err.message : 'Sign in again: the token could not be checked'));
    });
  });

  // At most places.cap per user (after the sign-in check above, apart from it). A place is taken
  // here, before the socket connects, so handshakes racing each other cannot all slip through; it is
  // given back when the socket disconnects or its connection closes (also if it never connected, or
  // closed while its place was being taken).
  const places = deps.places ?? new MemorySocketPlaces();
  io.use((socket, next) => {
    const { username } = socket.data.session.user;
    let closed = false;
    let taken = false;
    const release = () => {
      closed = true;
      if (!taken) return;
      taken = false;
      void places.release(username, socket.id);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    places.take(username, socket.id).then((decision) => {
      if (!decision.allowed) {
        log.warn({ user: username, sockets: decision.held }, 'socket refused: too many live connections for one user');
        next(new Error(`Too many live connections for ${username}: at most ${places.cap} at once; close another tab or device, then reconnect`));
        return;
      }
      taken = true;
      if (closed) release(); // gone while its place was taken: Socket.IO ignores next() for it
      next();
    }, (err: unknown) => {
      log.error({ err }, 'socket place check failed');
      next(new Error('Try again: the live connection could not be counted'));
    });
  });

  io.on('connection', (socket) => {
    const { user, claims } = socket.data.session;
    for (const room of defaultRooms(user)) void socket.join(room);
    // its sign-in session's room: a sign-out ends its sockets on every replica (Redis adapter)
    const sessionRoom = `session:${sessionKey(claims)}`;
    void socket.join(sessionRoom);
    deps.metrics.socketClients.set(io.engine.clientsCount);
    // the token's expiry ends the socket; the dashboard reconnects with a refreshed token
    const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, claims.expiresAt - Date.now()));
    expiry.unref();
    socket.on('subscribe', (req, ack) => {
      const result = checkSubscribe(req, deps.city, user);
      if ('error' in result) {
        if (typeof ack === 'function') ack({ ok: false, error: result.error });
        return;
      }
      for (const room of socket.rooms) if (room !== socket.id && room !== sessionRoom) void socket.leave(room);
      for (const room of result.rooms) void socket.join(room);
      if (typeof ack === 'function') ack({ ok: true });
    });
    socket.on('disconnect', () => {
      clearTimeout(expiry);
      deps.metrics.socketClients.set(io.engine.clientsCount);
    });
  });

  // a session that ends (signed out, or over its user's cap) ends all its sockets, whichever of its
  // tokens (before or after refreshes) they were opened with; their handshakes are refused from then on
  deps.auth.onRevoke((ended) => {
    io.in(`session:${ended.sid}`).disconnectSockets(true);
  });

  // A client that stops reading (a frozen tab, a phone in a tunnel) must not make the server buffer
  // for it without end, nor slow the others: one with packets waiting that has taken none for
  // SLOW_AFTER_MS, or with SLOW_BUFFERED_PACKETS waiting, is disconnected (checked every second);
  // it reloads everything when it reconnects. A busy but reading client drains all the time.
  // (Not volatile emits: engine.io marks a websocket unwritable while a send is in flight, so a
  // burst such as the coalescer's flush would be dropped for healthy clients too.)
  const lastProgress = new Map<string, number>();
  io.on('connection', (socket) => {
    lastProgress.set(socket.id, Date.now());
    // engine.io's 'drain': it handed waiting packets to the transport, i.e. the client is reading
    socket.conn.on('drain', () => lastProgress.set(socket.id, Date.now()));
    socket.on('disconnect', () => lastProgress.delete(socket.id));
  });
  const slowWatch = setInterval(() => {
    const now = Date.now();
    for (const socket of io.sockets.sockets.values()) {
      const waiting = waitingPackets(socket.conn);
      if (waiting === 0 && transportWritable(socket.conn)) {
        lastProgress.set(socket.id, now);
        continue;
      }
      const stuckMs = now - (lastProgress.get(socket.id) ?? now);
      if (stuckMs < SLOW_AFTER_MS && waiting < SLOW_BUFFERED_PACKETS) continue;
      log.warn({ user: socket.data.session?.user.username, waitingPackets: waiting, stuckMs }, 'socket client stopped reading: disconnected (it reloads everything when it reconnects)');
      deps.metrics.socketSlowDisconnects.inc();
      lastProgress.delete(socket.id);
      socket.disconnect(true);
      // the client is not reading, so no close handshake will come back: end the connection now
      terminate(socket.conn);
    }
  }, 1000);
  slowWatch.unref();

  const coalescer = new ReadingCoalescer((event) => {
    io.to(roomsFor(event)).emit('reading', event);
    count('reading');
  });

  const statsTimer = setInterval(() => {
    deps.metrics.socketClients.set(io.engine.clientsCount);
    // this process's own figures, to its own browsers (in cluster mode each replica's share)
    io.local.emit('stats', { ...deps.stats(), socketClients: io.engine.clientsCount });
    count('stats');
  }, 1000);
  statsTimer.unref();

  return {
    feed: {
      reading: (event) => coalescer.push(event),
      deviceStatus: (event: DeviceStatusEvent) => {
        io.to(roomsFor(event)).emit('device-status', event);
        count('device-status');
      },
      cameraEvent: (event: CameraSocketEvent) => {
        io.to(roomsFor(event)).emit('camera-event', event);
        count('camera-event');
      },
    },
    alert(event) {
      const a = event.alert;
      io.to([ALL, `grid:${a.grid}`, `district:${a.district}`, ...a.assignees.map((u) => `user:${u}`)]).emit('alert', event);
      count('alert');
    },
    rejection(rejection) {
      io.to(rejection.device ? [ALL, `device:${rejection.device}`] : [ALL]).emit('rejection', rejection);
      count('rejection');
    },
    clients: () => io.engine.clientsCount,
    async close() {
      clearInterval(statsTimer);
      clearInterval(slowWatch);
      coalescer.close();
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
      });
      await places.close();
      log.debug('socket.io closed');
    },
  };
}
