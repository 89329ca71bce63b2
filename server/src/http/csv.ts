// CSV for the exports, as RFC 4180 writes it: fields with a comma, a quote or a line break are quoted,
// quotes doubled, lines ended by CRLF; a UTF-8 byte order mark first, so Excel reads Chinese as Chinese
// rather than as the system's code page. Text that starts with = + - @ (or a tab or CR) is prefixed with
// ' so a spreadsheet shows it rather than evaluating it (OWASP: CSV injection); numbers stay numbers.
// CsvResponse writes a file as the client takes it: it waits for 'drain' when the socket's buffer is
// full, and stops when the client goes away.
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
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Epoch ms -> "YYYY-MM-DD HH:mm:ss" in a time zone (what Excel reads as a date and time). The zone's
 * offset is looked up once per quarter hour (Intl is too slow for a million rows) and cached.
 */
export function zonedTime(timeZone: string): (ms: number) => string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const offsets = new Map<number, number>();
  const offsetAt = (ms: number): number => {
    const slot = Math.floor(ms / SLOT_MS);
    let offset = offsets.get(slot);
    if (offset === undefined) {
      const p = Object.fromEntries(parts.formatToParts(slot * SLOT_MS).map((x) => [x.type, x.value]));
      offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - slot * SLOT_MS;
      if (offsets.size > 10_000) offsets.clear();
      offsets.set(slot, offset);
    }
    return offset;
  };
  return (ms) => {
    const d = new Date(ms + offsetAt(ms));
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
}

// ---- writing a file to a client ----

/** Bytes gathered before a write to the socket (one write per ~64 kB, not per row). */
const BATCH_CHARS = 64 * 1024;

export class CsvResponse {
  private buffer = '';
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
    this.buffer = BOM;
  }

  /** False once the client has gone: stop producing. */
  get open(): boolean {
    return !this.gone;
  }

  /** Queues a row; resolves when more may be written (at once, unless the socket's buffer is full). */
  async row(fields: readonly CsvValue[]): Promise<void> {
    this.buffer += csvLine(fields);
    this.rows++;
    if (this.buffer.length >= BATCH_CHARS) await this.flush();
  }

  /** Writes what is queued; waits for 'drain' when the socket says its buffer is full (or the client leaves). */
  async flush(): Promise<void> {
    if (this.gone || !this.buffer) return;
    const ok = this.res.write(this.buffer);
    this.buffer = '';
    if (ok) return;
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
