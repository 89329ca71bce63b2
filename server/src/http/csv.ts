// CSV for the exports, as RFC 4180 writes it: fields with a comma, a quote or a line break are quoted,
// quotes doubled, lines ended by CRLF; a UTF-8 byte order mark first, so Excel reads Chinese as Chinese
// rather than as the system's code page. Text that starts with = + - @ (or a tab or CR) is prefixed with
// ' so a spreadsheet shows it rather than evaluating it (OWASP: CSV injection); numbers stay numbers.
// CsvResponse writes a file as the client takes it: rows go straight into 64 kB buffers (no string
// per file or per batch kept), each written when full, waiting for 'drain' when the socket's buffer
// is, and the file stops when the client goes away.
import type { Request, Response } from 'express';

export const BOM = '\uFEFF';

export type CsvValue = string | number | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA = /^[=+\-@\t\r]/;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = FORMULA.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly CsvValue[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) line += (i ? ',' : '') + csvField(fields[i]);
  return `${line}\r\n`;
}

// ---- times in the reader's time zone ----

/** A time zone the runtime knows (IANA name), or null. */
export function knownTimeZone(tz: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const SLOT_MS = 15 * 60_000; // zones change offset on quarter hours at the finest
const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Epoch ms as "YYYY-MM-DD HH:mm:ss" in a time zone (what Excel reads as a date and time), as text or
 * written into a buffer. The zone's offset is looked up once per quarter hour and the date once per
 * day (Intl, and a string per row, are too slow for a million rows); the rest is arithmetic.
 */
export class ZonedClock {
  private readonly parts: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private day = Number.NaN;
  private date = '';

  constructor(timeZone: string) {
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
  }

  private offsetAt(ms: number): number {
    const slot = Math.floor(ms / SLOT_MS);
    let offset = this.offsets.get(slot);
    if (offset === undefined) {
      const p = Object.fromEntries(this.parts.formatToParts(slot * SLOT_MS).map((x) => [x.type, x.value]));
      offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - slot * SLOT_MS;
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(slot, offset);
    }
    return offset;
  }

  /** The local second of the day, after pointing `date` at the local date ("YYYY-MM-DD "). */
  private local(ms: number): number {
    const local = ms + this.offsetAt(ms);
    const day = Math.floor(local / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      const d = new Date(day * DAY_MS);
      this.date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `;
    }
    return Math.floor((local - day * DAY_MS) / 1000);
  }

  text(ms: number): string {
    const s = this.local(ms);
    return `${this.date}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  }

  /** Writes the time at `pos` (19 bytes); returns the position after it. */
  write(buf: Buffer, pos: number, ms: number): number {
    const s = this.local(ms);
    pos += buf.write(this.date, pos, 'latin1');
    pos = two(buf, pos, Math.floor(s / 3600));
    buf[pos++] = 0x3a; // :
    pos = two(buf, pos, Math.floor(s / 60) % 60);
    buf[pos++] = 0x3a;
    return two(buf, pos, s % 60);
  }
}

function two(buf: Buffer, pos: number, n: number): number {
  buf[pos] = 0x30 + Math.floor(n / 10);
  buf[pos + 1] = 0x30 + (n % 10);
  return pos + 2;
}

/** Writes a number as csvField would (whole numbers digit by digit, no string made); returns the position after it. */
export function writeNumber(buf: Buffer, pos: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return pos + buf.write(csvField(n), pos, 'latin1');
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = pos + digits - 1; i >= pos; i--) {
    buf[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return pos + digits;
}

// ---- writing a file to a client ----

/** Bytes gathered before a write to the socket (one write per 64 kB, not per row). */
const BATCH_BYTES = 64 * 1024;

export class CsvResponse {
  private buf = Buffer.allocUnsafe(BATCH_BYTES);
  private pos = 0;
  /** Full buffers not yet handed to the socket. */
  private readonly full: Buffer[] = [];
  private gone = false;
  private waiting: (() => void) | null = null;
  rows = 0;

  constructor(req: Request, private readonly res: Response, filename: string) {
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
    res.setHeader('Cache-Control', 'no-store');
    const left = () => {
      if (!res.writableFinished) this.gone = true;
      this.waiting?.();
    };
    res.on('close', left);
    req.on('close', () => {
      if (req.destroyed && !res.writableFinished) left();
    });
    this.pos = this.buf.write(BOM);
  }

  /** False once the client has gone: stop producing. */
  get open(): boolean {
    return !this.gone;
  }

  /** Room for `bytes` more in the current buffer (a full one is set aside for the next flush). */
  private room(bytes: number): Buffer {
    if (this.pos + bytes > this.buf.length) {
      if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(Math.max(BATCH_BYTES, bytes));
      this.pos = 0;
    }
    return this.buf;
  }

  /** True when enough is queued that the caller should `await flush()` before adding more. */
  private get due(): boolean {
    return this.full.length > 0;
  }

  /** Queues a row; resolves when more may be written (at once, unless the socket's buffer is full). */
  async row(fields: readonly CsvValue[]): Promise<void> {
    const line = csvLine(fields);
    this.pos += this.room(line.length * 3).write(line, this.pos); // UTF-8: at most 3 bytes a UTF-16 unit
    this.rows++;
    if (this.due) await this.flush();
  }

  /**
   * Queues a row written straight into the buffer by `write` (at most `maxBytes`; it returns the
   * position after the row): a million rows without a string or a promise each. True when the caller
   * should `await flush()` before adding more.
   */
  add(maxBytes: number, write: (buf: Buffer, pos: number) => number): boolean {
    this.pos = write(this.room(maxBytes), this.pos);
    this.rows++;
    return this.due;
  }

  /** Writes what is queued; waits for 'drain' when the socket says its buffer is full (or the client leaves). */
  async flush(): Promise<void> {
    if (this.pos > 0) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.buf = Buffer.allocUnsafe(BATCH_BYTES);
      this.pos = 0;
    }
    while (this.full.length && !this.gone) {
      if (this.res.write(this.full.shift()!)) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.waiting = null;
          resolve();
        };
        this.waiting = done;
        this.res.on('drain', done);
      });
    }
  }

  async end(): Promise<void> {
    await this.flush();
    if (!this.gone) this.res.end();
  }

  /** Something failed after the file began: end the connection without the last chunk, so no client takes a cut file for a whole one. */
  abort(): void {
    this.gone = true;
    this.res.destroy();
  }
}
