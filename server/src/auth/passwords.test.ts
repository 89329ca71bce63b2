// Proves password checks: the right password passes, a wrong one or an unknown user fails, and an
// unknown user costs the same bcrypt work as a known one.
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import type { Person } from '@citygrid/contract';
import { MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.js';

const person: Person = { username: 'operator', name: 'Op', role: 'operator', password_hash: hashSync('demo-operator', 10) };

describe('verifyPassword', () => {
  it('accepts the right password and refuses a wrong one', async () => {
    expect(await verifyPassword(person, 'demo-operator')).toBe(true);
    expect(await verifyPassword(person, 'demo-operatorx')).toBe(false);
    expect(await verifyPassword(person, '')).toBe(false);
  });

  it('refuses an unknown user after the same bcrypt work', async () => {
    const time = async (p: Person | undefined) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        expect(await verifyPassword(p, 'demo-operator')).toBe(p === person);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    const known = await time(person);
    const unknown = await time(undefined);
    expect(unknown).toBeGreaterThan(known * 0.3); // a compare against the dummy cost-10 hash, not an early return
  });

  it('refuses over-long input without hashing it', async () => {
    expect(await verifyPassword(person, 'x'.repeat(MAX_PASSWORD_LENGTH + 1))).toBe(false);
  });
});
