// One root logger per process: readable lines on a terminal, JSON lines everywhere else (and with LOG_FORMAT=json).
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Never logged, whatever a log call passes: passwords, tokens, cookies, hashes and contact handles are replaced by
 * "[redacted]" (a second line of defence; log calls do not pass them in the first place).
 */
export const REDACT_PATHS = [
  'password', '*.password', 'password_hash', '*.password_hash', 'secret_hash', '*.secret_hash',
  'token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization', 'cookie', '*.cookie',
  'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie',
  // people's contact handles (people.yaml `contacts`) and mobiles, at any of the depths a person is logged at
  'contacts', '*.contacts', '*.*.contacts', 'mobile', '*.mobile', '*.*.mobile', 'mobiles', '*.mobiles',
];

export function createLogger(level: string, format: 'auto' | 'json' | 'pretty', destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'citygrid' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const human = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!human) return destination ? pino(options, destination) : pino(options);
  return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service', singleLine: true, sync: true, ...(destination ? { destination } : {}) }));
}
