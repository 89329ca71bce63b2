// createBroker(): a thin host around aedes. Policy lives in hooks/; this file wires them and the TCP listener.
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { BROKER_REJECTIONS_TOPIC, deviceTopic, SERVER_CLIENT_ID, SERVER_SUBSCRIPTIONS, type Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { BrokerContext, BrokerStats, DeviceDirectory, Identity } from './context.js';
import { makeAuthenticate } from './hooks/authenticate.js';
import { makeAuthorizeForward } from './hooks/authorize-forward.js';
import { makeAuthorizePublish } from './hooks/authorize-publish.js';
import { makeAuthorizeSubscribe } from './hooks/authorize-subscribe.js';
import { OutgoingQueues } from './outgoing-queues.js';
import { ClientIdOwners, ownerKey } from './client-ids.js';
import { DeviceRateLimit } from './rate-limit.js';
import { keepServerSession, tolerateResumeRaces } from './session-resume.js';

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
  /** Each device's publish budget (messages/s, burst); perSecond 0 turns it off. Default 20/s, bursts of 200. */
  deviceRate?: { perSecond: number; burst: number };
}

export interface CityBroker {
  aedes: Aedes;
  port: number;
  stats: Readonly<BrokerStats>;
  connectedClients(): number;
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
  const stats: BrokerStats = { connects: 0, disconnects: 0, authFailures: 0, rejectedPublishes: 0 };
  let aedes: Aedes | undefined;

  const rate = options.deviceRate ?? DEFAULT_DEVICE_RATE;
  const rateLimit = new DeviceRateLimit({
    ...rate,
    report: (device, refused, first) => ctx.report({
      device, topic: null, reason: 'rate_limited', count: refused,
      message: `${first ? 'Too many messages' : 'Still too many messages'}: ${refused} refused; the budget is ${rate.perSecond} a second (bursts of ${rate.burst}). Send less often, or batch readings (up to 500 in one message).`,
    }),
  });
  const ctx: BrokerContext = {
    rateLimit,
    clientIds: new ClientIdOwners(options.service ? [[options.service.clientId ?? SERVER_CLIENT_ID, ownerKey({ type: 'service' })]] : []),
    devices: options.devices,
    service: options.service,
    allowAnonymous: options.allowAnonymous,
    identities: new WeakMap<Client, Identity>(),
    stats,
    logger,
    report(partial) {
      const rejection: Rejection = { ts: Date.now(), by: 'broker', ...partial };
      const payload = Buffer.from(JSON.stringify(rejection));
      const publish = (topic: string) =>
        aedes?.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) => {
          if (err) logger.warn({ err, topic }, 'could not publish rejection');
        });
      publish(BROKER_REJECTIONS_TOPIC);
      if (rejection.device && options.devices.get(rejection.device)) publish(deviceTopic(rejection.device, 'rejections'));
    },
  };

  aedes = await Aedes.createBroker({
    authenticate: makeAuthenticate(ctx),
    authorizePublish: makeAuthorizePublish(ctx),
    authorizeSubscribe: makeAuthorizeSubscribe(ctx),
    authorizeForward: makeAuthorizeForward(ctx),
    drainTimeout: 30_000, // 30 s: a client that stops reading is dropped rather than stalling delivery
    concurrency: MQ_CONCURRENCY,
    maxClientsIdLength: 128,
  });
  const broker = aedes;
  const outgoing = new OutgoingQueues();
  outgoing.install((broker as unknown as { persistence: object }).persistence);
  tolerateResumeRaces(broker); // persistent sessions resume after a restart under load (session-resume.ts)
  if (options.service) await keepServerSession(broker, options.service.clientId ?? SERVER_CLIENT_ID, SERVER_SUBSCRIPTIONS);

  broker.on('clientReady', (client) => {
    stats.connects++;
    const who = ctx.identities.get(client);
    if (who?.type === 'service') batchWrites((client as unknown as { conn: Socket }).conn);
    logger[who?.type === 'device' ? 'debug' : 'info']({ clientId: client.id, who: who?.type }, 'client connected');
  });
  broker.on('clientDisconnect', (client) => {
    stats.disconnects++;
    const who = ctx.identities.get(client);
    if (client.clean && (who?.type === 'device' || who?.type === 'service')) ctx.clientIds.release(client.id, ownerKey(who));
    logger[who?.type === 'device' ? 'debug' : 'info']({ clientId: client.id, who: who?.type }, 'client disconnected');
  });
  broker.on('clientError', (client, err) => logger.warn({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'connection error'));

  const server: Server = createServer((socket) => {
    socket.on('error', (err) => logger.debug({ err: err.message }, 'socket error'));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: options.host, port }, 'MQTT broker listening');

  let last = { ...stats };
  const summary = setInterval(() => {
    if (stats.connects === last.connects && stats.disconnects === last.disconnects && stats.authFailures === last.authFailures) return;
    logger.info({
      clients: broker.connectedClients,
      connects: stats.connects - last.connects,
      disconnects: stats.disconnects - last.disconnects,
      authFailures: stats.authFailures - last.authFailures,
      rejectedPublishes: stats.rejectedPublishes - last.rejectedPublishes,
    }, 'broker summary');
    last = { ...stats };
  }, options.summaryIntervalMs ?? 60_000);
  summary.unref();

  return {
    aedes: broker,
    port,
    stats,
    connectedClients: () => broker.connectedClients,
    async close() {
      clearInterval(summary);
      rateLimit.close();
      // Devices first, so nothing more is acknowledged to them; then, while the server is connected,
      // let what they were acknowledged for reach it (sessions live in memory: what is still queued
      // when the broker exits is gone). Bounded by CLOSE_DRAIN_MS.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const serverId = options.service ? options.service.clientId ?? SERVER_CLIENT_ID : null;
      const clients = (broker as unknown as { clients: Record<string, Client> }).clients; // aedes' live clients by id (untyped)
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
