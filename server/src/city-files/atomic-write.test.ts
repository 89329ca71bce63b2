// Proves writeFileAtomic replaces a file whole (readers see the old text or the new, never a mix),
// keeps its permissions (0600 stays 0600) or sets the mode given, and leaves no temporary file behind,
// also when the rename fails (the old file is then untouched).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempNameFor, writeFileAtomic } from './atomic-write.js';

const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'citygrid-atomic-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file with the new text and leaves nothing else in the folder', () => {
    const d = folder();
    const path = join(d, 'people.yaml');
    writeFileSync(path, 'users: []\n');
    writeFileAtomic(path, 'users:\n  - username: ä\n');
    expect(readFileSync(path, 'utf8')).toBe('users:\n  - username: ä\n');
    expect(readdirSync(d)).toEqual(['people.yaml']);
  });

  it('keeps the old file\'s mode, or sets the one given for a new file', () => {
    const d = folder();
    const path = join(d, 'people.yaml');
    writeFileSync(path, 'a', { mode: 0o600 });
    writeFileAtomic(path, 'b');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const fresh = join(d, 'new.yaml');
    writeFileAtomic(fresh, 'c', 0o640);
    expect(statSync(fresh).mode & 0o777).toBe(0o640);
  });

  it('writes a large text whole', () => {
    const d = folder();
    const path = join(d, 'devices.yaml');
    const text = 'x'.repeat(3 * 1024 * 1024) + '\nend\n';
    writeFileAtomic(path, text);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('leaves the target and the folder as they were when the rename fails', () => {
    const d = folder();
    const target = join(d, 'people.yaml');
    mkdirSync(target); // a folder where the file should go: the rename cannot replace it
    writeFileSync(join(target, 'inside'), 'kept');
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(readdirSync(d)).toEqual(['people.yaml']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });

  it('names its temporary file beside the target, hidden and unique', () => {
    const a = tempNameFor('/city/people.yaml');
    expect(a).toMatch(/^\/city\/\.people\.yaml\.\d+\.[0-9a-f]{8}\.tmp$/);
    expect(tempNameFor('/city/people.yaml')).not.toBe(a);
  });
});
