// Proves the logger redacts secrets whatever a log call passes: passwords, tokens, cookies, hashes.
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('replaces passwords, tokens, cookies, authorization headers and hashes with [redacted]', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'json', { write: (l: string) => { lines.push(l); } });
    log.info({ password: 'p1', user: { password_hash: '$2b$10$abc', token: 't1' }, device: { secret_hash: 'scrypt$x' }, req: { headers: { authorization: 'Bearer t2', cookie: 'cg_token=t3' } } }, 'hello');
    log.info({ token: 't4', secret: 's1', authorization: 'Bearer t5' }, 'again');
    const text = lines.join('');
    for (const secret of ['p1', '$2b$10$abc', 't1', 'scrypt$x', 'Bearer t2', 'cg_token=t3', 't4', 's1', 'Bearer t5']) expect(text).not.toContain(secret);
    expect(text.match(/\[redacted\]/g)).toHaveLength(9);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'hello', user: { password_hash: '[redacted]' } });
  });
});
