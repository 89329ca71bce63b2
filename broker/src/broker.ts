// createBroker(): a thin host around aedes. Policy lives in hooks/; this file wires them and the TCP
// listener; MQTT over WebSockets comes in through handleStream (websocket.ts), past the same edge guard;
// MQTT over TLS (options.tls) on a listener of its own (tls.ts), past the same guard too.
import { createServer, Socket, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { BROKER_REJECTIONS_TOPIC, deviceTopic, rejectionRecipients, SERVER_CLIENT_ID, SERVER_SUBSCRIPTIONS, type DeviceConnectionEvent, type Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import { newStats, type BrokerContext, type BrokerStats, type BusSink, type DeviceDirectory, type Identity, type VerifiedCertificate } from './context.js';
import { makeAuthenticate } from './hooks/authenticate.js';
import { makeAuthorizeForward } from './hooks/authorize-forward.js';
import { makeAuthorizePublish } from './hooks/authorize-publish.js';
import { makeAuthorizeSubscribe } from './hooks/authorize-subscribe.js';
import { listenOn } from './listen.js';
import { OutgoingQueues } from './outgoing-queues.js';
import { ClientIdOwners, type Owner } from './client-ids.js';
import { ConnectionGuard, type Arrival } from './connection-guard.js';
import { MAX_PACKET_BYTES, resolveLimits, type BrokerLimits, type BrokerLimitsInput } from './limits.js';
import { LoginThrottle } from './login-throttle.js';
import { DeviceRateLimit } from './rate-limit.js';
import { keepServerSession, liveClients, persistenceOf, replaceOutgoing, socketOf, tolerateResumeRaces } from './adapters/aedes.js';
import { Sessions } from './sessions.js';
import { listenTls, type TlsListener, type TlsListenerOptions } from './tls.js';
import { watchConnections } from './connection-history.js';
import { TestCredentials } from './test-credentials.js';

export interface BrokerOptions {
  port: number;
  host: string;
  devices: DeviceDirectory;
  /** The CityGrid server's account; `clientId` (default citygrid-server) gets a session from the start. */
  service: { username: string; password: string; clientId?: string } | null;
  allowAnonymous: boolean;
  logger: Logger;
  /** How often a one-line summary of connections is logged. */
  summaryIntervalMs?: number;
  /** Device messages go here instead of to MQTT subscribers (the server's LocalBus, or a NATS edge); refusals too. */
  sink?: BusSink;
  /** Each device's publish budget (messages/s, burst); perSecond 0 turns it off. Default 20/s, bursts of 200. */
  deviceRate?: { perSecond: number; burst: number };
  /** The edge's limits (limits.ts: DEFAULT_LIMITS for whatever is not given). */
  limits?: BrokerLimitsInput;
  /**
   * MQTT over TLS on a port of its own (tls.ts): the same guard, authentication and ACLs. With `ca`, a
   * client certificate signed by it whose subject CN is a device id logs in as that device, no password.
   */
  tls?: TlsListenerOptions;
  /** Each device's connects, disconnects (with why, and its last will) and refused logins (connection-history.ts). */
  onConnection?: (event: DeviceConnectionEvent) => void;
}

export interface CityBroker {
  aedes: Aedes;
  port: number;
  /** The MQTT over TLS port, or null without `options.tls`. */
  tlsPort: number | null;
  stats: Readonly<BrokerStats>;
  /** The limits in force. */
  limits: Readonly<BrokerLimits>;
  connectedClients(): number;
  /**
   * Takes an MQTT connection that did not come on the TCP listener (a WebSocket's stream: websocket.ts):
   * the same edge guard (packet sizes, auth timeout, pending cap, per-address rate), then aedes, whose
   * hooks apply the same authentication, ACLs and rate limits. False when the guard refused it (destroyed).
   */
  handleStream(stream: Duplex, arrival: Arrival): boolean;
  /** Tells a device why a message of its was refused, on its `rejections` topic (QoS 0: never queued). */
  notifyDevice(rejection: Rejection): void;
  /** A one-time credential to log in once as `device` within 30 s (the server's test reading: test-credentials.ts); null when too many are outstanding. */
  mintTestCredential(device: string): string | null;
  /** Withdraws a test credential that was not used. */
  revokeTestCredential(device: string, secret: string): void;
  /**
   * Closes the connections of one device (removed, disabled, or its old secret expired: provisioning),
   * or only those `which` picks. Returns how many were closed. Its next login is checked afresh.
   */
  disconnectDevice(id: string, why: string, which?: (who: Extract<Identity, { type: 'device' }>) => boolean): number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** How long close() waits for the server to take what devices were acknowledged for. */
const CLOSE_DRAIN_MS = 5_000;

/** 20 messages a second per device, bursts of 200: a sensor reports every few seconds; a gateway batches. */
export const DEFAULT_DEVICE_RATE = { perSecond: 20, burst: 200 };

/**
 * aedes' message emitter (mqemitter 7) runs at most `concurrency` deliveries at once and queues the
 * rest; each finished delivery starts the next queued one from inside its own callback. Deliveries
 * that finish synchronously (no subscriber, a closed client: typical while 2,000 devices a second
 * connect, or during shutdown) therefore recurse once per queued message, and a queue of a few
 * thousand blew the stack ("RangeError: Maximum call stack size exceeded" in released -> _do).
 * 0 means no global cap and no queue, hence no recursion. Backpressure stays per connection: aedes
 * reads a client's next chunk only once every message of the previous chunk has been delivered.
 */
export const MQ_CONCURRENCY = 0;

/**
 * The CityGrid server's connection carries every device message. aedes writes each delivery with
 * its own cork/uncork (one writev per message); holding the socket corked until the end of the
 * event-loop turn sends everything delivered in that turn in one writev: a profile of the embedded
 * system at 20,000 readings/s had ~10 % of the process in writev on this path. The server's ingest
 * client does the same for its PUBACKs (server/src/pipeline/ingest.ts).
 */
const batched = new WeakSet<Socket>();

export function batchWrites(socket: Socket): void {
  if (!(socket instanceof Socket) || batched.has(socket)) return; // websockets and test doubles keep their own write
  batched.add(socket);
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function batchedWrite(this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}

export async function createBroker(options: BrokerOptions): Promise<CityBroker> {
  if (options.allowAnonymous && !LOOPBACK.has(options.host)) {
    throw new Error(`MQTT_ALLOW_ANONYMOUS=1 is only allowed when the broker listens on loopback, not on ${options.host}`);
  }
  const logger = options.logger;
  const stats: BrokerStats = newStats();
  const limits = resolveLimits(options.limits);
  let aedes: Aedes | undefined;
  const publishRejection = (topic: string, rejection: Rejection, qos: 0 | 1) =>
    aedes?.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(rejection)), qos, retain: false, dup: false }, (err) => {
      if (err) logger.warn({ err, topic }, 'could not publish rejection');
    });
  /** QoS 0 to the device: told if it listens now, never queued for its absent sessions (one copy per session, for ever). */
  const notifyDevice = (rejection: Rejection) => {
    // the device, and the gateway that carried its message (a child may have no connection of its own)
    for (const id of rejectionRecipients(rejection)) if (options.devices.get(id)) publishRejection(deviceTopic(id, 'rejections'), rejection, 0);
  };
  const serviceClientId = options.service ? options.service.clientId ?? SERVER_CLIENT_ID : null;
  /** The identity a client id names by itself: the server's reserved id, a device's id or `<device id>/...`. */
  const named = (clientId: string): Owner | null => {
    if (clientId === serviceClientId) return 'service';
    const head = clientId.split('/', 1)[0]!;
    return head && options.devices.get(head) ? `device:${head}` : null;
  };
  const guard = new ConnectionGuard({
    limits, stats, logger,
    onDeviceRefused: (device, announced) => ctx.report({
      device, topic: null, reason: 'payload_too_large',
      message: `A packet of ${announced} bytes was announced; the limit is ${MAX_PACKET_BYTES} bytes (a 64 KiB payload), so the connection was closed. Send at most 64 KiB per message.`,
    }),
  });
  const logins = new LoginThrottle(limits.loginBackoff);

  const rate = options.deviceRate ?? DEFAULT_DEVICE_RATE;
  const rateLimit = new DeviceRateLimit({
    ...rate,
    report: (device, refused, first) => ctx.report({
      device, topic: null, reason: 'rate_limited', count: refused,
      // a gateway's child: its gateway hears of it too (its messages count against the child's budget)
      ...(options.devices.get(device)?.gateway ? { gateway: options.devices.get(device)!.gateway! } : {}),
      message: `${first ? 'Too many messages' : 'Still too many messages'}: ${refused} refused; the budget is ${rate.perSecond} a second (bursts of ${rate.burst}). Send less often, or batch readings (up to 500 in one message).`,
    }),
  });
  const ctx: BrokerContext = {
    rateLimit,
    clientIds: new ClientIdOwners(named),
    devices: options.devices,
    service: options.service ? { username: options.service.username, password: options.service.password, clientId: serviceClientId! } : null,
    logins,
    throttled: (address) => guard.throttled(address),
    allowAnonymous: options.allowAnonymous,
    identities: new WeakMap<Client, Identity>(),
    certificates: new WeakMap<object, VerifiedCertificate>(),
    testCredentials: new TestCredentials(),
    stats,
    logger,
    sink: options.sink ?? null,
    report(partial) {
      const rejection: Rejection = { ts: Date.now(), by: 'broker', ...partial };
      // to the bus, or QoS 1 to the server over MQTT (its session keeps them while it is away)
      if (options.sink) options.sink.refusal(rejection);
      else publishRejection(BROKER_REJECTIONS_TOPIC, rejection, 1);
      notifyDevice(rejection);
    },
  };

  const history = watchConnections({ ctx, transportOf: (client) => transportOf(client), emit: (e) => options.onConnection?.(e) });
  aedes = await Aedes.createBroker({
    authenticate: history.authenticate(makeAuthenticate(ctx)),
    authorizePublish: makeAuthorizePublish(ctx),
    authorizeSubscribe: makeAuthorizeSubscribe(ctx),
    authorizeForward: makeAuthorizeForward(ctx),
    drainTimeout: 30_000, // 30 s: a client that stops reading is dropped rather than stalling delivery
    concurrency: MQ_CONCURRENCY,
    maxClientsIdLength: 128,
    // aedes' own wait for the CONNECT; the edge guard's (authTimeoutMs, until authenticated) acts first
    connectTimeout: limits.authTimeoutMs + 1000,
  });
  const broker = aedes;
  const persistence = persistenceOf(broker);
  const clients = liveClients(broker);
  const dropLogged = new Map<string, number>();
  const outgoing = new OutgoingQueues({
    limit: (clientId) => (clientId === serviceClientId ? limits.serverQueueMax : limits.queueMax),
    onDrop: (clientId, n) => {
      stats.queueDropped += n;
      const now = Date.now();
      if (now - (dropLogged.get(clientId) ?? 0) < 60_000) return; // at most a line a minute per session
      dropLogged.set(clientId, now);
      logger.warn({ clientId: clientId.slice(0, 64), cap: clientId === serviceClientId ? limits.serverQueueMax : limits.queueMax, droppedInAll: stats.queueDropped }, 'session queue full: dropping its oldest messages');
    },
  });
  replaceOutgoing(broker, outgoing);
  tolerateResumeRaces(broker); // persistent sessions resume after a restart under load (adapters/aedes.ts)
  if (serviceClientId) await keepServerSession(broker, serviceClientId, SERVER_SUBSCRIPTIONS);

  // persistent sessions: a cap per device, and an expiry for idle ones (sessions.ts)
  const sessions = new Sessions({ perDevice: limits.sessionsPerDevice, expiryMs: limits.sessionExpiryMs, exempt: (clientId) => clientId === serviceClientId });
  function endSession(clientId: string, why: 'evicted' | 'expired'): void {
    const owner = sessions.get(clientId)?.device ?? null;
    sessions.ended(clientId);
    ctx.clientIds.forget(clientId);
    dropLogged.delete(clientId);
    if (clients[clientId]) history.kicked(clients[clientId], `its persistent session was ${why}`);
    clients[clientId]?.close(); // connected (evicted beyond the cap while all were in use): closed, as a takeover would
    void persistence.cleanSubscriptions({ id: clientId }).catch(() => undefined);
    void persistence.cleanIncoming?.({ id: clientId }).catch(() => undefined);
    const dropped = outgoing.drop(clientId);
    stats.sessionsEnded[why]++;
    logger.info({ clientId: clientId.slice(0, 64), device: owner, why, dropped }, 'persistent session ended');
  }
  const sweep = setInterval(() => {
    for (const clientId of sessions.expired()) endSession(clientId, 'expired');
  }, Math.min(60_000, Math.max(250, limits.sessionExpiryMs / 4)));
  sweep.unref();

  history.attach(broker);
  broker.on('client', (client) => {
    // registered: authenticated, its session restored; the edge's pre-auth limits no longer apply
    const conn = socketOf(client);
    const who = ctx.identities.get(client);
    guard.authenticated(conn, who?.type === 'device' ? who.id : null);
    for (const clientId of sessions.opened(client, who?.type === 'device' ? who.id : null)) endSession(clientId, 'evicted');
    conn.once('close', () => sessions.closed(client.id, client));
  });

  broker.on('clientReady', (client) => {
    stats.connects++;
    const who = ctx.identities.get(client);
    if (who?.type === 'service') batchWrites(socketOf(client));
    logger[who?.type === 'device' ? 'debug' : 'info']({ clientId: client.id, who: who?.type, transport: transportOf(client) }, 'client connected');
  });
  broker.on('clientDisconnect', (client) => {
    stats.disconnects++;
    const who = ctx.identities.get(client);
    logger[who?.type === 'device' ? 'debug' : 'info']({ clientId: client.id, who: who?.type, transport: transportOf(client) }, 'client disconnected');
  });
  broker.on('clientError', (client, err) => {
    // a refused CONNECT (errorCode: its CONNACK return code) was logged by authenticate already, or is
    // a backed-off login, whose number an attacker chooses
    const refusedConnect = (err as { errorCode?: number }).errorCode !== undefined;
    logger[refusedConnect ? 'debug' : 'warn']({ clientId: client.id, err: err.message }, 'client error');
  });
  broker.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'connection error'));

  /** Connections that came over WebSockets (the rest came on the TCP listener), and how many are open. */
  const webSockets = new WeakSet<Duplex>();
  let openWebSockets = 0;
  /** Connections that came over TLS (tls.ts). */
  const tlsStreams = new WeakSet<Duplex>();
  const transportOf = (client: Client) => (webSockets.has(socketOf(client)) ? 'ws' : tlsStreams.has(socketOf(client)) ? 'tls' : 'tcp');
  const server: Server = createServer((socket) => {
    socket.on('error', (err) => logger.debug({ err: err.message }, 'socket error'));
    if (!guard.admit(socket, { remote: socket.remoteAddress ?? '', transport: 'tcp', bytesRead: () => socket.bytesRead })) return; // refused at the edge (connection-guard.ts)
    broker.handle(socket);
  });
  function handleStream(stream: Duplex, arrival: Arrival): boolean {
    stream.on('error', (err) => logger.debug({ err: err.message, transport: arrival.transport }, 'socket error'));
    if (!guard.admit(stream, arrival)) return false;
    // the hooks read a client's address from its stream (adapters/aedes.ts addressOf: the login back-off)
    if (!(stream instanceof Socket)) Object.defineProperty(stream, 'remoteAddress', { value: arrival.remote, configurable: true });
    if (arrival.transport === 'ws') {
      webSockets.add(stream);
      openWebSockets++;
      stream.once('close', () => { openWebSockets--; });
    }
    broker.handle(stream);
    return true;
  }
  const port = await listenOn(server, options.port, options.host);
  logger.info({ host: options.host, port }, 'MQTT broker listening');
  let tls: TlsListener | null = null;
  if (options.tls) {
    try {
      tls = await listenTls(options.tls, {
        guard, logger, certificates: ctx.certificates!,
        handshakeTimeoutMs: limits.authTimeoutMs, // the handshake, then the CONNECT: each within the auth timeout
        handle: (stream, arrival) => {
          if (!guard.admit(stream, arrival)) return false;
          tlsStreams.add(stream);
          broker.handle(stream);
          return true;
        },
      });
    } catch (err) {
      // e.g. EADDRINUSE: nothing of this broker is left running
      clearInterval(sweep);
      rateLimit.close();
      guard.close();
      logins.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      broker.close(() => undefined);
      throw err;
    }
  }

  const edgeClosed = () => Object.values(stats.connectionsClosed).reduce((a, b) => a + b, 0);
  let last = { ...stats, edgeClosed: 0 };
  const summary = setInterval(() => {
    const closedNow = edgeClosed();
    if (stats.connects === last.connects && stats.disconnects === last.disconnects && stats.authFailures === last.authFailures && closedNow === last.edgeClosed) return;
    logger.info({
      clients: broker.connectedClients,
      connects: stats.connects - last.connects,
      disconnects: stats.disconnects - last.disconnects,
      authFailures: stats.authFailures - last.authFailures,
      loginsThrottled: stats.loginsThrottled - last.loginsThrottled,
      rejectedPublishes: stats.rejectedPublishes - last.rejectedPublishes,
      closedAtEdge: closedNow - last.edgeClosed,
      edgeClosedInAll: { ...stats.connectionsClosed },
      pending: guard.pendingCount(),
      overWebSocket: openWebSockets,
      sessions: sessions.size(),
      sessionsEnded: { ...stats.sessionsEnded },
      queueDropped: stats.queueDropped,
    }, 'broker summary');
    last = { ...stats, edgeClosed: closedNow };
  }, options.summaryIntervalMs ?? 60_000);
  summary.unref();

  return {
    notifyDevice,
    handleStream,
    mintTestCredential: (device) => ctx.testCredentials.mint(device),
    revokeTestCredential: (device, secret) => ctx.testCredentials.revoke(device, secret),
    aedes: broker,
    port,
    tlsPort: tls?.port ?? null,
    stats,
    limits,
    connectedClients: () => broker.connectedClients,
    disconnectDevice(id, why, which) {
      let closed = 0;
      for (const client of Object.values(clients)) {
        const who = ctx.identities.get(client);
        if (who?.type !== 'device' || who.id !== id || (which && !which(who))) continue;
        logger.info({ device: id, clientId: client.id.slice(0, 64) }, 'device disconnected: %s', why);
        history.kicked(client, why);
        client.close();
        closed++;
      }
      return closed;
    },
    async close() {
      clearInterval(summary);
      clearInterval(sweep);
      rateLimit.close();
      guard.close();
      logins.close();
      // Devices first, so nothing more is acknowledged to them; then, while the server is connected,
      // let what they were acknowledged for reach it (sessions live in memory: what is still queued
      // when the broker exits is gone). Bounded by CLOSE_DRAIN_MS.
      const closed = Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), tls?.close()]);
      const serverId = serviceClientId;
      for (const client of Object.values(clients)) if (client.id !== serverId) client.close();
      const until = Date.now() + CLOSE_DRAIN_MS;
      while (serverId && clients[serverId] && outgoing.size(serverId) > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
      if (serverId && outgoing.size(serverId) > 0) logger.warn({ queued: outgoing.size(serverId) }, 'closing with messages still queued for the server');
      broker.close(() => undefined);
      await closed;
      logger.info('MQTT broker closed');
    },
  };
}
