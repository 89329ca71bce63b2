// Proves the logger redacts secrets whatever a log call passes: passwords, tokens, cookies, hashes,
// people's contact handles.
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

  it('replaces people\'s contact handles and mobiles, however deep the person sits', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'json', { write: (l: string) => { lines.push(l); } });
    const contacts = { dingtalk: 'dt-handle-1', wecom: 'wc-handle-1', feishu: 'ou_handle1', mobile: '+447700900001' };
    log.info({ contacts, person: { username: 'gw-1', contacts }, target: { person: { contacts } } }, 'people');
    log.info({ mobile: '13900000001', sms: { mobiles: ['13900000002'] }, deep: { to: { mobile: '13900000003' } } }, 'mobiles');
    const text = lines.join('');
    for (const handle of ['dt-handle-1', 'wc-handle-1', 'ou_handle1', '+447700900001', '13900000001', '13900000002', '13900000003']) expect(text).not.toContain(handle);
    expect(JSON.parse(lines[0]!)).toMatchObject({ person: { username: 'gw-1', contacts: '[redacted]' } });
  });
});
