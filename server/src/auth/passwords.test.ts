// Proves password checks: the right password passes, a wrong one or an unknown user fails, and an
// unknown user costs the same bcrypt work as a known one: a compare against a well-formed hash of the
// demo hashes' cost (checked as such, not timed: a timing ratio flakes on a busy machine).
import { fileURLToPath } from 'node:url';
import { compare, getRounds, hashSync } from 'bcryptjs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Person } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.js';

// the real bcrypt, watched: which hash each check compares against
vi.mock('bcryptjs', async (importOriginal) => {
  const real = await importOriginal<typeof import('bcryptjs')>();
  return { ...real, compare: vi.fn(real.compare) };
});

const person: Person = { username: 'operator', name: 'Op', role: 'operator', password_hash: hashSync('demo-operator', 10) };
const comparedHashes = () => vi.mocked(compare).mock.calls.map((c) => c[1]);

beforeEach(() => {
  vi.mocked(compare).mockClear();
});

describe('verifyPassword', () => {
  it('accepts the right password and refuses a wrong one', async () => {
    expect(await verifyPassword(person, 'demo-operator')).toBe(true);
    expect(await verifyPassword(person, 'demo-operatorx')).toBe(false);
    expect(await verifyPassword(person, '')).toBe(false);
    expect(comparedHashes()).toEqual([person.password_hash, person.password_hash, person.password_hash]);
  });

  it('refuses an unknown user after a bcrypt compare of the same cost as a known user\'s', async () => {
    expect(await verifyPassword(person, 'demo-operator')).toBe(true);
    expect(await verifyPassword(undefined, 'demo-operator')).toBe(false);
    const [known, dummy] = comparedHashes();
    expect(comparedHashes()).toHaveLength(2); // no early return for the unknown user
    expect(dummy).not.toBe(known);
    // a well-formed bcrypt hash (a malformed one could make compare fail fast), of the same cost
    expect(dummy).toMatch(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/);
    expect(getRounds(dummy!)).toBe(getRounds(known!));
    await expect(compare('demo-operator', dummy!)).resolves.toBe(false);
  });

  it('compares unknown users at the cost of the demo city\'s password hashes', async () => {
    const demo = loadCity(fileURLToPath(new URL('../../../config/demo-city', import.meta.url)));
    const costs = new Set(demo.people.map((p) => getRounds(p.password_hash)));
    expect(demo.people.length).toBeGreaterThan(0);
    await verifyPassword(undefined, 'whatever');
    expect([...costs]).toEqual([getRounds(comparedHashes()[0]!)]);
  });

  it('refuses over-long input without hashing it', async () => {
    expect(await verifyPassword(person, 'x'.repeat(MAX_PASSWORD_LENGTH + 1))).toBe(false);
    expect(await verifyPassword(undefined, 'x'.repeat(MAX_PASSWORD_LENGTH + 1))).toBe(false);
    expect(compare).not.toHaveBeenCalled();
    // the control: input at the limit is hashed
    expect(await verifyPassword(person, 'x'.repeat(MAX_PASSWORD_LENGTH))).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
  });
});
