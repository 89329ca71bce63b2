// Environment of the standalone broker (`npm run broker`), validated at once.
import { envFlag, envLogLevel, envPort, parseEnv } from '@citygrid/contract';
import { z } from 'zod';

export const SERVICE_USERNAME_DEFAULT = 'citygrid-server';

export function loadBrokerConfig(env: Record<string, string | undefined> = process.env) {
  const config = parseEnv({
    MQTT_PORT: envPort(1883),
    MQTT_HOST: z.string().default('0.0.0.0'),
    CITY_DIR: z.string().default('./config/demo-city'),
    MQTT_ALLOW_ANONYMOUS: envFlag(false),
    MQTT_SERVICE_USERNAME: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).default(SERVICE_USERNAME_DEFAULT),
    MQTT_SERVICE_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default('citygrid-server'),
    MQTT_SERVICE_PASSWORD: z.string({ message: 'is required: the CityGrid server logs in to the broker with it' }).min(12, 'must be at least 12 characters'),
    MQTT_DEVICE_RATE: z.string().regex(/^\d+(\.\d+)?$/, 'must be messages per second, like 20 (0: no limit)').transform(Number).default(20),
    MQTT_DEVICE_BURST: z.string().regex(/^\d+$/, 'must be a whole number of messages, like 200').transform(Number).refine((n) => n >= 1, 'must be at least 1').default(200),
    LOG_LEVEL: envLogLevel,
  }, env);
  return config;
}
export type BrokerConfig = ReturnType<typeof loadBrokerConfig>;
