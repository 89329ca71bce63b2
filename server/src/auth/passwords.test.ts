// Proves password checks: the right password passes, a wrong one or an unknown user fails, an unknown user costs the same bcrypt work as the most expensive known user (a compare against a well-formed dummy hash of the highest cost in people.yaml: 12 for a city hashed at 12, not a fixed 10; checked as such, not timed), over-long input is refused unhashed, and by default compares run in the worker pool, never with this thread's bcryptjs.
import { fileURLToPath } from 'node:url';
import { compare, getRounds, hashSync } from 'bcryptjs';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Person } from '@citygrid/contract';
import { loadCity } from '@citygrid/contract/node';
import { BcryptPool } from './bcrypt-pool.js';
import { dummyHashFor, MAX_PASSWORD_LENGTH, Passwords } from './passwords.js';

// the real bcrypt, watched: which hash each check compares against (on this thread)
vi.mock('bcryptjs', async (importOriginal) => {
  const real = await importOriginal<typeof import('bcryptjs')>();
  return { ...real, compare: vi.fn(real.compare) };
});

const person = (username: string, cost: number): Person => ({ username, name: username, role: 'operator', password_hash: hashSync(`demo-${username}`, cost) });
const operator = person('operator', 4);
const comparedHashes = () => vi.mocked(compare).mock.calls.map((c) => c[1]);
/** Compares on this thread with the watched bcryptjs. */
const watched = (password: string, hash: string) => compare(password, hash);

beforeEach(() => {
  vi.mocked(compare).mockClear();
});

describe('Passwords', () => {
  it('accepts the right password and refuses a wrong one', async () => {
    const passwords = new Passwords([operator], watched);
    expect(await passwords.verify(operator, 'demo-operator')).toBe(true);
    expect(await passwords.verify(operator, 'demo-operatorx')).toBe(false);
    expect(await passwords.verify(operator, '')).toBe(false);
    expect(comparedHashes()).toEqual([operator.password_hash, operator.password_hash, operator.password_hash]);
  });

  it("refuses an unknown user after a compare against a well-formed hash of the highest cost in people.yaml", async () => {
    const people = [person('a', 4), person('b', 6), person('c', 5)];
    const passwords = new Passwords(people, watched);
    expect(await passwords.verify(people[1], 'demo-b')).toBe(true);
    expect(await passwords.verify(undefined, 'demo-b')).toBe(false);
    const [known, dummy] = comparedHashes();
    expect(comparedHashes()).toHaveLength(2); // no early return for the unknown user
    expect(dummy).not.toBe(known);
    // a well-formed bcrypt hash (a malformed one could make compare fail fast), of the highest cost
    expect(dummy).toMatch(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/);
    expect(getRounds(dummy!)).toBe(6);
    await expect(compare('demo-b', dummy!)).resolves.toBe(false);
    // computed once: the same dummy every time
    await passwords.verify(undefined, 'other');
    expect(comparedHashes()[2]).toBe(dummy);
  });

  it('makes the dummy as costly as a city hashed at cost 12 (not a fixed 10)', () => {
    const city12 = [{ ...operator, password_hash: `$2b$12$${'a'.repeat(53)}` }, { ...operator, username: 'viewer', password_hash: `$2a$12$${'b'.repeat(53)}` }];
    expect(getRounds(dummyHashFor(city12))).toBe(12);
    expect(getRounds(dummyHashFor([{ ...operator, password_hash: `$2y$11$${'c'.repeat(53)}` }, ...city12]))).toBe(12);
    expect(getRounds(dummyHashFor([]))).toBe(10); // no users: bcrypt's usual cost
  });

  it("compares unknown users at the cost of the demo city's password hashes", async () => {
    const demo = loadCity(fileURLToPath(new URL('../../../config/demo-city', import.meta.url)));
    const costs = new Set(demo.people.map((p) => getRounds(p.password_hash)));
    expect(demo.people.length).toBeGreaterThan(0);
    expect([...costs]).toEqual([getRounds(dummyHashFor(demo.people))]);
  });

  it('refuses over-long input without hashing it', async () => {
    const passwords = new Passwords([operator], watched);
    expect(await passwords.verify(operator, 'x'.repeat(MAX_PASSWORD_LENGTH + 1))).toBe(false);
    expect(await passwords.verify(undefined, 'x'.repeat(MAX_PASSWORD_LENGTH + 1))).toBe(false);
    expect(compare).not.toHaveBeenCalled();
    // the control: input at the limit is hashed
    expect(await passwords.verify(operator, 'x'.repeat(MAX_PASSWORD_LENGTH))).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
  });
});

describe('Passwords with the worker pool', () => {
  const pool = new BcryptPool({ workers: 1 });
  afterAll(() => pool.close());

  it("checks known and unknown users in the pool's worker, never with this thread's bcryptjs", async () => {
    const passwords = new Passwords([operator], (p, h) => pool.compare(p, h));
    expect(await passwords.verify(operator, 'demo-operator')).toBe(true);
    expect(await passwords.verify(operator, 'wrong')).toBe(false);
    expect(await passwords.verify(undefined, 'demo-operator')).toBe(false);
    expect(compare).not.toHaveBeenCalled();
    // the control: the watch does see compares made on this thread
    await watched('x', operator.password_hash);
    expect(compare).toHaveBeenCalledTimes(1);
  });
});
