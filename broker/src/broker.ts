// createBroker(): a thin host around aedes. Policy lives in hooks/; this file wires them and the TCP listener.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { BROKER_REJECTIONS_TOPIC, deviceTopic, type Rejection } from '@citygrid/contract';
import type { Logger } from 'pino';
import type { BrokerContext, BrokerStats, DeviceDirectory, Identity } from './context.js';
import { makeAuthenticate } from './hooks/authenticate.js';
import { makeAuthorizeForward } from './hooks/authorize-forward.js';
import { makeAuthorizePublish } from './hooks/authorize-publish.js';
import { makeAuthorizeSubscribe } from './hooks/authorize-subscribe.js';

export interface BrokerOptions {
  port: number;
  host: string;
  devices: DeviceDirectory;
  service: { username: string; password: string } | null;
  allowAnonymous: boolean;
  logger: Logger;
  /** How often a one-line summary of connections is logged. */
  summaryIntervalMs?: number;
}

export interface CityBroker {
  aedes: Aedes;
  port: number;
  stats: Readonly<BrokerStats>;
  connectedClients(): number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function createBroker(options: BrokerOptions): Promise<CityBroker> {
  if (options.allowAnonymous && !LOOPBACK.has(options.host)) {
    throw new Error(`MQTT_ALLOW_ANONYMOUS=1 is only allowed when the broker listens on loopback, not on ${options.host}`);
  }
  const logger = options.logger;
  const stats: BrokerStats = { connects: 0, disconnects: 0, authFailures: 0, rejectedPublishes: 0 };
  let aedes: Aedes | undefined;

  const ctx: BrokerContext = {
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
    concurrency: 1000,
    maxClientsIdLength: 128,
  });
  const broker = aedes;

  broker.on('clientReady', (client) => {
    stats.connects++;
    const who = ctx.identities.get(client);
    logger[who?.type === 'device' ? 'debug' : 'info']({ clientId: client.id, who: who?.type }, 'client connected');
  });
  broker.on('clientDisconnect', (client) => {
    stats.disconnects++;
    const who = ctx.identities.get(client);
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close(() => undefined);
      });
      logger.info('MQTT broker closed');
    },
  };
}
