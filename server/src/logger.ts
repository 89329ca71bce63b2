// One root logger per process: readable lines on a terminal, JSON lines everywhere else (and with LOG_FORMAT=json).
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export function createLogger(level: string, format: 'auto' | 'json' | 'pretty'): Logger {
  const options = { level, base: { service: 'citygrid' } };
  const human = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!human) return pino(options);
  return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: true, sync: true }));
}
