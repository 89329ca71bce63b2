// `npm run server` / `npm start`: the CityGrid server. Configuration comes from the environment (SPEC).
import { ConfigError } from '@citygrid/contract';
import { CityConfigError, DemoExposureError } from '@citygrid/contract/node';
import { loadServerConfig } from './config.js';
import { createLogger } from './logger.js';
import { startSystem } from './system.js';

async function main(): Promise<void> {
  const config = loadServerConfig();
  const logger = createLogger(config.logLevel, config.logFormat);
  const system = await startSystem(config, logger);
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(`CityGrid is live: http://${shown}:${system.httpPort}  (MQTT ${system.mqttPort ? `on port ${system.mqttPort}` : `via ${system.mqttUrl}`}, store ${config.store} in ${config.dataDir})`);
  let stoppingSince = 0;
  const stop = (signal: string) => {
    if (stoppingSince) {
      // npm forwards the terminal's Ctrl-C, so one keypress can arrive twice; a later one means "now"
      if (Date.now() - stoppingSince < 3000) return;
      logger.warn('signal while stopping: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'stopping: simulator, HTTP, broker or ingest, alerting, store');
    const force = setTimeout(() => {
      logger.error('shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    system.stop().then(() => {
      logger.info('stopped cleanly');
      process.exit(0);
    }, (err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CityConfigError || err instanceof DemoExposureError) {
    process.stderr.write(`CityGrid cannot start.\n${err.message}\n`);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`CityGrid cannot start: ${(err as Error).message}. Another program uses that port; set PORT or MQTT_PORT.\n`);
  } else {
    process.stderr.write(`CityGrid failed to start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
