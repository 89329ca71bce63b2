// Standalone broker: `npm run broker`. Devices come from CITY_DIR/devices.yaml. With BUS_URL it is a
// cluster-mode edge: what devices send goes to NATS JetStream (acknowledged once the stream has it),
// not to an MQTT subscriber; without it the CityGrid server logs in over MQTT (MQTT_URL).
import { ConfigError } from '@citygrid/contract';
import { CityConfigError, DemoExposureError, loadCity, refuseDemoExposure } from '@citygrid/contract/node';
import type { Rejection } from '@citygrid/contract';
import { pino } from 'pino';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICES_FILE, DevicesFileWatch, GraceTimers, replaceDevices } from './devices-file.js';
import { createBroker, type CityBroker } from './broker.js';
import { connectBus, ensureStream, JetStreamEdge, NOTIFY_SUBJECT } from './bus/jetstream.js';
import { brokerHttpFromEnv, busFromEnv, limitsFromEnv, loadBrokerConfig } from './config.js';
import type { BusSink } from './context.js';
import { startBrokerHttp, type AckTimer, type BrokerHttp } from './http.js';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'broker' } });
  const city = loadCity(config.CITY_DIR);
  const httpAt = brokerHttpFromEnv(config);
  // the HTTP port carries MQTT over WebSockets too: the same exposure as the TCP listener
  refuseDemoExposure({ city, demoAllowed: config.CITYGRID_DEMO, listens: { MQTT_HOST: config.MQTT_HOST, BROKER_HTTP_HOST: httpAt?.host ?? null }, secrets: { MQTT_SERVICE_PASSWORD: config.MQTT_SERVICE_PASSWORD } });
  const bus = busFromEnv(config);
  let broker: CityBroker | null = null;
  let edge: JetStreamEdge | null = null;
  let sink: BusSink | null = null;
  let ackTimer: AckTimer | null = null;
  let natsUp = false;
  const nc = bus ? await connectBus(bus.url, `citygrid-edge-${process.pid}`, logger) : null;
  if (nc && bus) {
    natsUp = true;
    // the connection's state for /health and /metrics (disconnect: NATS unreachable; reconnect: back)
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'close') natsUp = false;
        else if (s.type === 'reconnect') natsUp = true;
      }
    })().catch(() => undefined);
    await ensureStream(nc, bus.stream);
    edge = new JetStreamEdge({
      nc, logger,
      notifyDevice: (r) => broker?.notifyDevice(r),
      cellOf: (id) => city.devicesById.get(id)?.grid,
    });
    // the servers' refusals of a device's messages: told to the device if it is connected here
    nc.subscribe(NOTIFY_SUBJECT, {
      callback: (_err, msg) => {
        try {
          const r = msg.json<Rejection>();
          if (r && typeof r.device === 'string') broker?.notifyDevice(r);
        } catch { /* not a refusal: ignored */ }
      },
    });
    logger.info({ bus: bus.url.replace(/\/\/[^@/]*@/g, '//'), replicas: bus.stream.replicas }, 'cluster mode: device messages go to the JetStream stream');
    const through = edge;
    // the edge's sink, timed: a device message handed over to the stream's ack (citygrid_edge_bus_ack_seconds)
    sink = {
      offer(device, channel, topic, payload, dup) {
        const t0 = performance.now();
        const acked = through.offer(device, channel, topic, payload, dup);
        acked.then(() => ackTimer?.((performance.now() - t0) / 1000, true), () => ackTimer?.((performance.now() - t0) / 1000, false));
        return acked;
      },
      refusal: (r) => through.refusal(r),
    };
  }
  const readPem = (name: string, path: string | undefined) => {
    try {
      return readFileSync(path!);
    } catch (err) {
      throw new ConfigError([`${name}: cannot read "${path}": ${(err as Error).message}`]);
    }
  };
  const tls = config.MQTTS_PORT === undefined ? null : {
    port: config.MQTTS_PORT, host: config.MQTT_HOST, cert: readPem('TLS_CERT', config.TLS_CERT), key: readPem('TLS_KEY', config.TLS_KEY),
    ...(config.TLS_CLIENT_CA ? { ca: readPem('TLS_CLIENT_CA', config.TLS_CLIENT_CA) } : {}),
  };
  broker = await createBroker({
    ...(tls ? { tls } : {}), // MQTT over TLS (MQTTS_PORT)
    port: config.MQTT_PORT,
    host: config.MQTT_HOST,
    devices: city.devicesById,
    service: edge ? null : { username: config.MQTT_SERVICE_USERNAME, password: config.MQTT_SERVICE_PASSWORD!, clientId: config.MQTT_SERVICE_CLIENT_ID },
    ...(sink ? { sink } : {}),
    allowAnonymous: config.MQTT_ALLOW_ANONYMOUS,
    deviceRate: { perSecond: config.MQTT_DEVICE_RATE, burst: config.MQTT_DEVICE_BURST },
    limits: limitsFromEnv(config),
    logger,
  });
  logger.info({ devices: city.devices.length }, 'devices loaded from %s', config.CITY_DIR);
  // devices.yaml edited by hand (or replaced on every node): picked up without a restart; a bad file is
  // refused and the last good devices stay (devices-file.ts)
  const running = broker;
  const grace = new GraceTimers(() => running, logger);
  for (const d of city.devices) grace.schedule(d);
  const devicesWatch = new DevicesFileWatch({
    city, logger,
    onDevices: (devices) => { replaceDevices(city, devices, { broker: running, grace, why: 'devices.yaml changed' }); },
  }, readFileSync(join(config.CITY_DIR, DEVICES_FILE), 'utf8'));
  let closing = false;
  let http: BrokerHttp | null = null;
  if (httpAt) {
    const started = broker;
    const edgeNow = edge;
    try {
      const h = await startBrokerHttp({
        port: httpAt.port, host: httpAt.host, logger, broker: started, mqttWs: httpAt.mqttWs, metricsToken: httpAt.metricsToken,
        listening: () => !closing && !started.aedes.closed,
        bus: edgeNow && nc ? { stats: edgeNow.stats, pending: () => edgeNow.pending(), connected: () => natsUp && !nc.isClosed() } : null,
      });
      http = h;
      ackTimer = h.ackTimer;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!httpAt.explicit && code === 'EADDRINUSE') {
        // unset: an older setup (or a second broker on this machine) keeps working without it
        logger.warn({ port: httpAt.port, host: httpAt.host }, 'the broker HTTP port %d is taken: no /metrics, /health or /mqtt; set BROKER_HTTP_PORT (0: any free port, off: none)', httpAt.port);
      } else {
        await started.close().catch(() => undefined);
        throw new ConfigError([`BROKER_HTTP_PORT: could not listen on ${httpAt.host}:${httpAt.port} (${code ?? (err as Error).message}): set another port (0: any free port) or off`]);
      }
    }
  }
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    closing = true;
    devicesWatch.close();
    grace.close();
    await http?.close();
    await broker!.close();
    if (nc) await Promise.race([nc.drain(), new Promise((r) => setTimeout(r, 2_000).unref())]).catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CityConfigError || err instanceof DemoExposureError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`broker failed to start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
