// Standalone broker: `npm run broker`. Devices come from CITY_DIR/devices.yaml. With BUS_URL it is a
// cluster-mode edge: what devices send goes to NATS JetStream (acknowledged once the stream has it),
// not to an MQTT subscriber; without it the CityGrid server logs in over MQTT (MQTT_URL).
import { ConfigError } from '@citygrid/contract';
import { CityConfigError, DemoExposureError, loadCity, refuseDemoExposure } from '@citygrid/contract/node';
import type { Rejection } from '@citygrid/contract';
import { pino } from 'pino';
import { createBroker, type CityBroker } from './broker.js';
import { connectBus, ensureStream, JetStreamEdge, NOTIFY_SUBJECT } from './bus/jetstream.js';
import { busFromEnv, limitsFromEnv, loadBrokerConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'broker' } });
  const city = loadCity(config.CITY_DIR);
  refuseDemoExposure({ city, demoAllowed: config.CITYGRID_DEMO, listens: { MQTT_HOST: config.MQTT_HOST }, secrets: { MQTT_SERVICE_PASSWORD: config.MQTT_SERVICE_PASSWORD } });
  const bus = busFromEnv(config);
  let broker: CityBroker | null = null;
  let edge: JetStreamEdge | null = null;
  const nc = bus ? await connectBus(bus.url, `citygrid-edge-${process.pid}`, logger) : null;
  if (nc && bus) {
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
  }
  broker = await createBroker({
    port: config.MQTT_PORT,
    host: config.MQTT_HOST,
    devices: city.devicesById,
    service: edge ? null : { username: config.MQTT_SERVICE_USERNAME, password: config.MQTT_SERVICE_PASSWORD!, clientId: config.MQTT_SERVICE_CLIENT_ID },
    ...(edge ? { sink: edge } : {}),
    allowAnonymous: config.MQTT_ALLOW_ANONYMOUS,
    deviceRate: { perSecond: config.MQTT_DEVICE_RATE, burst: config.MQTT_DEVICE_BURST },
    limits: limitsFromEnv(config),
    logger,
  });
  logger.info({ devices: city.devices.length }, 'devices loaded from %s', config.CITY_DIR);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
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
