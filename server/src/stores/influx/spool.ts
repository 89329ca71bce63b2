// The on-disk spool: every line bound for InfluxDB is appended here (synchronously, so a killed
// process loses nothing it acknowledged) in numbered segment files. A segment is deleted only once
// InfluxDB has accepted it; whatever is left at start-up is replayed, oldest first.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Segment {
  id: number;
  path: string;
  bytes: number;
}

const NAME = /^(\d{12})\.lp$/;
const MAX_REFUSED_KEPT = 100;

export class Spool {
  private current: { id: number; fd: number; bytes: number } | null = null;
  private nextId = 1;
  private totalBytes = 0;
  /** Appended this turn, not yet written (see append). */
  private pending: string[] = [];
  private flushScheduled = false;
  private readonly refusedDir: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.refusedDir = join(dir, 'refused');
  }

  /** Segments left by an earlier run (a crash or an outage), oldest first. */
  recover(): Segment[] {
    const found: Segment[] = [];
    // ids continue after those set aside too, so a refused batch is never overwritten
    if (existsSync(this.refusedDir)) {
      for (const name of readdirSync(this.refusedDir)) {
        const m = NAME.exec(name);
        if (m) this.nextId = Math.max(this.nextId, Number(m[1]) + 1);
      }
    }
    for (const name of readdirSync(this.dir)) {
      const m = NAME.exec(name);
      if (!m) continue;
      const path = join(this.dir, name);
      const bytes = statSync(path).size;
      const id = Number(m[1]);
      this.nextId = Math.max(this.nextId, id + 1);
      if (bytes === 0) {
        unlinkSync(path);
        continue;
      }
      found.push({ id, path, bytes });
      this.totalBytes += bytes;
    }
    return found.sort((a, b) => a.id - b.id);
  }

  private pathOf(id: number): string {
    return join(this.dir, `${String(id).padStart(12, '0')}.lp`);
  }

  /**
   * Appends newline-terminated lines to the open segment. They reach the file at the end of the
   * event-loop turn, or sooner when flush() or seal() is called (the store's durable() and written()
   * do): one write a turn, not one per device message (a write per message was most of the replica's
   * time in writeReadings, issue 16's profile).
   */
  append(text: string): void {
    if (!this.current) {
      const id = this.nextId++;
      this.current = { id, fd: openSync(this.pathOf(id), 'a'), bytes: 0 };
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    this.pending.push(text);
    this.current.bytes += bytes;
    this.totalBytes += bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what was appended this turn to the open segment's file (the OS has it: a killed process loses none of it). */
  flush(): void {
    this.flushScheduled = false;
    if (!this.pending.length || !this.current) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    writeSync(this.current.fd, text, null, 'utf8');
  }

  /** The id of the segment being appended to, or null when none is open. */
  openId(): number | null {
    return this.current?.id ?? null;
  }

  /** Closes the open segment and hands it over for sending; null when nothing is open. */
  seal(): Segment | null {
    this.flush();
    const c = this.current;
    if (!c) return null;
    this.current = null;
    closeSync(c.fd);
    return { id: c.id, path: this.pathOf(c.id), bytes: c.bytes };
  }

  /** The segment's lines, without a torn last line from a crash mid-write. */
  read(segment: Segment): string {
    const text = readFileSync(segment.path, 'utf8');
    const end = text.lastIndexOf('\n');
    return end < 0 ? '' : text.slice(0, end + 1);
  }

  /** InfluxDB has the segment: forget it. */
  remove(segment: Segment): void {
    if (existsSync(segment.path)) unlinkSync(segment.path);
    this.totalBytes -= segment.bytes;
  }

  /** InfluxDB refused the segment for good: keep it aside for a person to look at (bounded). */
  setAside(segment: Segment): string {
    mkdirSync(this.refusedDir, { recursive: true });
    const kept = readdirSync(this.refusedDir).sort();
    for (const old of kept.slice(0, Math.max(0, kept.length - MAX_REFUSED_KEPT + 1))) unlinkSync(join(this.refusedDir, old));
    const target = join(this.refusedDir, `${String(segment.id).padStart(12, '0')}.lp`);
    renameSync(segment.path, target);
    this.totalBytes -= segment.bytes;
    return target;
  }

  bytes(): number {
    return this.totalBytes;
  }

  /** Flushes the open segment to disk (for a clean shutdown). */
  close(): void {
    this.flush();
    if (this.current) {
      fsyncSync(this.current.fd);
      closeSync(this.current.fd);
      this.current = null;
    }
  }
}
