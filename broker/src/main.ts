// Standalone broker: `npm run broker`. Devices come from CITY_DIR/devices.yaml.
import { ConfigError } from '@citygrid/contract';
import { CityConfigError, DemoExposureError, loadCity, refuseDemoExposure } from '@citygrid/contract/node';
import { pino } from 'pino';
import { createBroker } from './broker.js';
import { limitsFromEnv, loadBrokerConfig } from './config.js';

async function main(): Promise<void> {
  const config = loadBrokerConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'broker' } });
  const city = loadCity(config.CITY_DIR);
  refuseDemoExposure({ city, demoAllowed: config.CITYGRID_DEMO, listens: { MQTT_HOST: config.MQTT_HOST }, secrets: { MQTT_SERVICE_PASSWORD: config.MQTT_SERVICE_PASSWORD } });
  const broker = await createBroker({
    port: config.MQTT_PORT,
    host: config.MQTT_HOST,
    devices: city.devicesById,
    service: { username: config.MQTT_SERVICE_USERNAME, password: config.MQTT_SERVICE_PASSWORD, clientId: config.MQTT_SERVICE_CLIENT_ID },
    allowAnonymous: config.MQTT_ALLOW_ANONYMOUS,
    deviceRate: { perSecond: config.MQTT_DEVICE_RATE, burst: config.MQTT_DEVICE_BURST },
    limits: limitsFromEnv(config),
    logger,
  });
  logger.info({ devices: city.devices.length }, 'devices loaded from %s', config.CITY_DIR);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await broker.close();
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
