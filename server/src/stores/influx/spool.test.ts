// Proves the on-disk spool writes numbered segments byte for byte, drops torn lines, recovers leftovers oldest first, tracks its size and keeps refused batches aside (bounded, never overwritten).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from './spool.js';

const name = (id: number) => `${String(id).padStart(12, '0')}.lp`;
const lpFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.lp')).sort();

describe('Spool', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citygrid-spool-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends to a numbered segment and seals it with the exact bytes written', () => {
    const spool = new Spool(dir);
    expect(spool.recover()).toEqual([]);
    expect(spool.seal()).toBeNull(); // nothing open yet

    spool.append('a v=1 1\n');
    spool.append('b v=2 2\n');
    const first = spool.seal();
    expect(first).toEqual({ id: 1, path: join(dir, name(1)), bytes: 16 });
    expect(readFileSync(first!.path, 'utf8')).toBe('a v=1 1\nb v=2 2\n');
    expect(spool.seal()).toBeNull(); // sealing twice does not make an empty segment

    spool.append('c zone="é" 3\n'); // 'é' is two bytes in UTF-8
    const second = spool.seal();
    expect(second).toEqual({ id: 2, path: join(dir, name(2)), bytes: Buffer.byteLength('c zone="é" 3\n') });
    expect(second!.bytes).toBe(14);
    expect(readFileSync(second!.path, 'utf8')).toBe('c zone="é" 3\n');
    expect(spool.read(second!)).toBe('c zone="é" 3\n');
    expect(lpFiles(dir)).toEqual([name(1), name(2)]);
  });

  it('reads a segment without a torn last line left by a crash mid-write', () => {
    writeFileSync(join(dir, name(3)), 'a v=1 1\nb v=2 2\nc v=3 3 torn-wri');
    writeFileSync(join(dir, name(4)), 'only a torn line, no newline');
    const spool = new Spool(dir);
    const [torn, onlyTorn] = spool.recover();
    expect(torn!.id).toBe(3);
    expect(spool.read(torn!)).toBe('a v=1 1\nb v=2 2\n');
    expect(onlyTorn!.id).toBe(4);
    expect(spool.read(onlyTorn!)).toBe('');
  });

  it('recovers leftover segments oldest first (numerically), deletes empty ones and continues numbering', () => {
    writeFileSync(join(dir, name(10)), 'ten v=10 10\n');
    writeFileSync(join(dir, name(2)), 'two v=2 2\n');
    writeFileSync(join(dir, name(100)), 'hundred v=100 100\n');
    writeFileSync(join(dir, name(9)), 'nine v=9 9\n');
    writeFileSync(join(dir, name(120)), ''); // an empty segment opened just before a crash
    writeFileSync(join(dir, 'notes.txt'), 'not a segment');
    writeFileSync(join(dir, '12.lp'), 'wrong name shape\n');
    mkdirSync(join(dir, 'refused'));
    writeFileSync(join(dir, 'refused', name(50)), 'refused v=1 1\n'); // set aside earlier: not replayed

    const spool = new Spool(dir);
    const found = spool.recover();
    expect(found.map((s) => s.id)).toEqual([2, 9, 10, 100]);
    expect(found[0]).toEqual({ id: 2, path: join(dir, name(2)), bytes: 10 });
    expect(found.map((s) => spool.read(s))).toEqual(['two v=2 2\n', 'nine v=9 9\n', 'ten v=10 10\n', 'hundred v=100 100\n']);
    expect(existsSync(join(dir, name(120)))).toBe(false); // the empty file is gone
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true); // foreign files are left alone
    expect(existsSync(join(dir, '12.lp'))).toBe(true);
    expect(existsSync(join(dir, 'refused', name(50)))).toBe(true);
    expect(spool.bytes()).toBe(10 + 11 + 12 + 18);

    // numbering continues after the highest id seen, the deleted empty one included
    spool.append('new v=1 1\n');
    expect(spool.seal()).toEqual({ id: 121, path: join(dir, name(121)), bytes: 10 });
  });

  it('tracks appended, removed and set-aside bytes', () => {
    writeFileSync(join(dir, name(1)), 'left v=1 1\n'); // 11 bytes from an earlier run
    const spool = new Spool(dir);
    const [left] = spool.recover();
    expect(spool.bytes()).toBe(11);

    spool.append('abcd\n'); // 5
    expect(spool.bytes()).toBe(16); // the open segment counts before it is sealed
    const a = spool.seal()!;
    spool.append('0123456789\n'); // 11
    const b = spool.seal()!;
    expect(spool.bytes()).toBe(27);

    spool.remove(a);
    expect(existsSync(a.path)).toBe(false);
    expect(spool.bytes()).toBe(22);
    spool.setAside(b);
    expect(spool.bytes()).toBe(11);
    spool.remove(left!);
    expect(spool.bytes()).toBe(0);
    expect(lpFiles(dir)).toEqual([]);
  });

  it('sets a refused segment aside in refused/, keeping its bytes', () => {
    const spool = new Spool(dir);
    spool.recover();
    spool.append('bad line\n');
    const seg = spool.seal()!;
    const target = spool.setAside(seg);
    expect(target).toBe(join(dir, 'refused', name(1)));
    expect(existsSync(seg.path)).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('bad line\n');
    expect(lpFiles(dir)).toEqual([]);
  });

  it('keeps at most 100 refused segments, dropping the oldest', () => {
    mkdirSync(join(dir, 'refused'));
    for (let id = 1; id <= 100; id++) writeFileSync(join(dir, 'refused', name(id)), `old${id}\n`);
    writeFileSync(join(dir, name(200)), 'x200 v=1 1\n');
    writeFileSync(join(dir, name(201)), 'x201 v=1 1\n');
    const spool = new Spool(dir);
    const [s200, s201] = spool.recover();

    spool.setAside(s200!);
    let kept = readdirSync(join(dir, 'refused')).sort();
    expect(kept).toHaveLength(100);
    expect(kept[0]).toBe(name(2)); // the oldest went
    expect(kept.at(-1)).toBe(name(200));

    spool.setAside(s201!);
    kept = readdirSync(join(dir, 'refused')).sort();
    expect(kept).toHaveLength(100);
    expect(kept[0]).toBe(name(3));
    expect(kept.slice(-2)).toEqual([name(200), name(201)]);
    expect(readFileSync(join(dir, 'refused', name(201)), 'utf8')).toBe('x201 v=1 1\n');
  });

  it('does not overwrite a batch refused in an earlier run when numbering restarts', () => {
    // An earlier run refused segment 1 and sent everything else, so the spool dir holds only refused/.
    mkdirSync(join(dir, 'refused'));
    writeFileSync(join(dir, 'refused', name(1)), 'from the earlier run\n');
    const spool = new Spool(dir);
    expect(spool.recover()).toEqual([]);
    spool.append('from this run\n');
    const seg = spool.seal()!;
    spool.setAside(seg);

    const kept = readdirSync(join(dir, 'refused')).map((f) => readFileSync(join(dir, 'refused', f), 'utf8')).sort();
    expect(kept).toEqual(['from the earlier run\n', 'from this run\n']);
  });

  it('leaves the open segment on disk at close so the next spool recovers it', () => {
    const spool = new Spool(dir);
    spool.recover();
    spool.append('sealed v=1 1\n');
    const sealed = spool.seal()!;
    spool.remove(sealed);
    spool.append('open v=1 1\n');
    spool.append('open v=2 2\n');
    spool.close();
    spool.close(); // idempotent
    expect(lpFiles(dir)).toEqual([name(2)]);

    const next = new Spool(dir);
    const found = next.recover();
    expect(found).toEqual([{ id: 2, path: join(dir, name(2)), bytes: 22 }]);
    expect(next.read(found[0]!)).toBe('open v=1 1\nopen v=2 2\n');
    expect(next.bytes()).toBe(22);
    next.append('after v=1 1\n');
    expect(next.seal()!.id).toBe(3);
  });

  it('writes what a turn appended in one write at the end of the turn, or at once when flushed (the store\'s durable())', async () => {
    const spool = new Spool(dir);
    spool.recover();
    spool.append('a v=1 1\n');
    spool.append('b v=2 2\n');
    const file = join(dir, name(1));
    expect(readFileSync(file, 'utf8'), 'not yet: the turn is not over').toBe('');
    expect(spool.bytes(), 'counted at once (the spool\'s cap sees it)').toBe(16);
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(file, 'utf8')).toBe('a v=1 1\nb v=2 2\n');
    spool.append('c v=3 3\n');
    spool.flush();
    expect(readFileSync(file, 'utf8'), 'flushed: in the file before anything is acknowledged').toBe('a v=1 1\nb v=2 2\nc v=3 3\n');
    spool.close();
  });
});
