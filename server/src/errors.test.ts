// Proves the error registry is the one source of error codes: codes unique and CG_-prefixed, statuses
// 4xx/5xx, each Errors.NAME built from its entry; and no error code is written into server or dashboard
// code by hand (a literal 'CG_…' outside the registry and the tests fails here).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '@citygrid/contract';
import { Errors } from './errors.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return /\.(ts|vue)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

describe('the error registry', () => {
  it('gives every error a unique CG_ code and a 4xx or 5xx status', () => {
    const codes = Object.values(ERRORS).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of Object.values(ERRORS)) {
      expect(e.code).toMatch(/^CG_[A-Z_]+$/);
      expect(e.status >= 400 && e.status < 600, `${e.code} ${e.status}`).toBe(true);
    }
  });

  it('builds each server error from its entry', () => {
    expect(Object.keys(Errors).sort()).toEqual(Object.keys(ERRORS).sort());
    const e = Errors.ALERT_RESOLVED('al-1');
    expect({ code: e.code, status: e.status, message: e.message }).toEqual({ code: 'CG_ALERT_RESOLVED', status: 409, message: 'Alert al-1 is already resolved' });
    expect(Errors.BAD_REQUEST('bad range').code).toBe('CG_BAD_REQUEST');
  });

  it('is the only place an error code is written (server, broker and dashboard code)', () => {
    const root = join(import.meta.dirname, '..', '..');
    const registry = join(root, 'contract', 'src', 'errors.ts');
    const written = ['server/src', 'broker/src', 'web/src', 'contract/src'].flatMap((d) => sources(join(root, d)))
      .filter((f) => f !== registry)
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/['"`]CG_[A-Z_]+['"`]/g)].map((m) => `${f.slice(root.length + 1)}: ${m[0]}`));
    expect(written).toEqual([]);
  });
});
