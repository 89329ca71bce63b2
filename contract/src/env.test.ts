// Proves parseEnv validates every variable at once, lists every problem in one ConfigError, treats empty strings as unset and applies defaults.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envFlag, envLogLevel, envPort, parseEnv } from './env.js';

const shape = {
  PORT: envPort(8080),
  DEBUG: envFlag(false),
  CACHE: envFlag(true),
  LOG_LEVEL: envLogLevel,
  NAME: z.string().default('citygrid'),
  URL: z.string().regex(/^https?:\/\//, 'must be an http URL').optional(),
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('applies defaults when nothing is set', () => {
    expect(parseEnv(shape, {})).toEqual({ PORT: 8080, DEBUG: false, CACHE: true, LOG_LEVEL: 'info', NAME: 'citygrid' });
  });

  it('parses ports and flags', () => {
    const env = parseEnv(shape, { PORT: '9000', DEBUG: '1', CACHE: 'no', LOG_LEVEL: 'debug', NAME: 'x', URL: 'http://a' });
    expect(env).toEqual({ PORT: 9000, DEBUG: true, CACHE: false, LOG_LEVEL: 'debug', NAME: 'x', URL: 'http://a' });
    for (const [v, expected] of [['1', true], ['true', true], ['yes', true], ['0', false], ['false', false], ['no', false]] as const) {
      expect(parseEnv(shape, { DEBUG: v }).DEBUG, v).toBe(expected);
    }
  });

  it('treats empty strings (and undefined) as unset', () => {
    expect(parseEnv(shape, { PORT: '', DEBUG: '', CACHE: undefined, LOG_LEVEL: '', URL: '' })).toEqual({
      PORT: 8080, DEBUG: false, CACHE: true, LOG_LEVEL: 'info', NAME: 'citygrid',
    });
  });

  it('ignores variables that are not in the shape', () => {
    expect(parseEnv(shape, { PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(parseEnv(shape, {}))).toBe(true);
  });

  it('lists ALL problems at once, each naming its variable and the value it got', () => {
    const err = configError(() => parseEnv(shape, { PORT: 'abc', DEBUG: 'maybe', LOG_LEVEL: 'loud', URL: 'ftp://x' }));
    expect(err.problems).toHaveLength(4);
    for (const [name, value] of [['PORT', 'abc'], ['DEBUG', 'maybe'], ['LOG_LEVEL', 'loud'], ['URL', 'ftp://x']]) {
      const problem = err.problems.find((p) => p.startsWith(`${name}:`));
      expect(problem, name).toBeDefined();
      expect(problem).toContain(value);
    }
    for (const p of err.problems) expect(err.message).toContain(p);
  });

  it('refuses ports that are out of range or not whole numbers', () => {
    for (const port of ['65536', '-1', '80.5', 'http']) {
      expect(configError(() => parseEnv(shape, { PORT: port })).problems, port).toHaveLength(1);
    }
    expect(parseEnv(shape, { PORT: '0' }).PORT).toBe(0);
    expect(parseEnv(shape, { PORT: '65535' }).PORT).toBe(65535);
  });

  it('does not turn a blank PORT into port 0', () => {
    // Number(' ') is 0: a whitespace-only value must be refused or treated as unset, never become port 0
    let port: number | undefined;
    try {
      port = parseEnv(shape, { PORT: ' ' }).PORT;
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return;
    }
    expect(port).toBe(8080);
  });

  it('refuses flags other than 1/0/true/false/yes/no', () => {
    for (const flag of ['2', 'on', 'maybe']) {
      const err = configError(() => parseEnv(shape, { DEBUG: flag }));
      expect(err.problems[0]).toMatch(/^DEBUG:/);
    }
  });
});
