// Proves device secrets round-trip through scrypt hashes, and wrong secrets or malformed stored hashes never verify.
import { describe, expect, it } from 'vitest';
import { SECRET_HASH_PATTERN } from '@citygrid/contract';
import { hashSecret, verifySecret } from './secrets.js';

describe('hashSecret / verifySecret', () => {
  it('produces a scrypt$logN$r$p$salt$hash string that devices.yaml accepts', async () => {
    const hash = await hashSecret('demo-aq-0001', 4);
    expect(hash).toMatch(SECRET_HASH_PATTERN);
    const [scheme, logN, r, p, salt, key] = hash.split('$');
    expect([scheme, logN, r, p]).toEqual(['scrypt', '4', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
  });

  it('verifies the right secret', async () => {
    const hash = await hashSecret('demo-aq-0001', 4);
    await expect(verifySecret('demo-aq-0001', hash)).resolves.toBe(true);
  });

  it('salts every hash, and both verify', async () => {
    const a = await hashSecret('same', 4);
    const b = await hashSecret('same', 4);
    expect(a).not.toBe(b);
    await expect(verifySecret('same', a)).resolves.toBe(true);
    await expect(verifySecret('same', b)).resolves.toBe(true);
  });

  it('refuses a wrong secret', async () => {
    const hash = await hashSecret('demo-aq-0001', 4);
    for (const wrong of ['demo-aq-0002', 'demo-aq-000', '', 'DEMO-AQ-0001', 'demo-aq-0001 ']) {
      await expect(verifySecret(wrong, hash), JSON.stringify(wrong)).resolves.toBe(false);
    }
  });

  it('refuses when the stored hash was made with other parameters', async () => {
    const hash = await hashSecret('s3cret', 4);
    const relabelled = hash.replace(/^scrypt\$4\$/, 'scrypt$5$');
    await expect(verifySecret('s3cret', relabelled)).resolves.toBe(false);
  });

  it('returns false for malformed stored hashes', async () => {
    const good = await hashSecret('s3cret', 4);
    const malformed = [
      '', 's3cret', 'bcrypt$4$8$1$c2FsdA==$aGFzaA==', 'scrypt$4$8$1$c2FsdA==', 'scrypt$x$8$1$c2FsdA==$aGFzaA==',
      'scrypt$4$8$1$c2FsdA==$', `${good}$extra`, good.replace(/\$[^$]+$/, '$not base64!'),
      'scrypt$4$8$1$c2FsdA==$aGFzaA==', // well-formed but the hash is 4 bytes, not 32
    ];
    for (const stored of malformed) {
      await expect(verifySecret('s3cret', stored), stored).resolves.toBe(false);
    }
  });
});

describe('verifySecret with impossible scrypt parameters', () => {
  it('returns false instead of throwing', async () => {
    await expect(verifySecret('x', 'scrypt$0$8$1$c2FsdA==$aGFzaA==')).resolves.toBe(false);
    await expect(verifySecret('x', 'scrypt$99$8$1$c2FsdA==$aGFzaA==')).resolves.toBe(false);
  });
});
