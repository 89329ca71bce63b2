// Device secrets: stored as scrypt hashes in devices.yaml, verified off the event loop.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SECRET_HASH_PATTERN } from '@citygrid/contract';

const KEY_LEN = 32;
/**
 * Default cost: N = 2^14 (about 16 MiB and a few tens of ms per check). The
 * demo city uses N = 2^10 so that hundreds of simulated devices connect within
 * a second; a real deployment's secrets are long random tokens, where the cost
 * matters less than their entropy.
 */
export const DEFAULT_LOG_N = 14;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LEN, { ...options, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string, logN = DEFAULT_LOG_N): Promise<string> {
  const salt = randomBytes(16);
  const r = 8;
  const p = 1;
  const key = await derive(secret, salt, { N: 2 ** logN, r, p });
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (!SECRET_HASH_PATTERN.test(stored)) return false;
  const [, logN, r, p, salt, hash] = stored.split('$') as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64');
  try {
    const key = await derive(secret, Buffer.from(salt, 'base64'), { N: 2 ** Number(logN), r: Number(r), p: Number(p) });
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false; // impossible parameters (N = 2^0, 2^99, ...) never verify
  }
}
