// InfluxQL over the v1-compatible /query endpoint (InfluxDB 1.x, 2.x with DBRP, 3.x).
import type { Transport } from '@influxdata/influxdb-client';

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
interface Result { statement_id?: number; series?: Series[]; error?: string }

export class InfluxQueryError extends Error {
  constructor(message: string, readonly statement: string) {
    super(message);
    this.name = 'InfluxQueryError';
  }
}

export const ident = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
export const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const timeRange = (from: number, to: number) => `time >= ${Math.floor(from)}ms AND time < ${Math.floor(to)}ms`;

/** Runs one or more statements (joined with ';') in one request; one result per statement. */
export async function influxQuery(transport: Transport, database: string, statements: string[]): Promise<Series[][]> {
  if (statements.length === 0) return [];
  const q = statements.join(';\n');
  const path = `/query?db=${encodeURIComponent(database)}&epoch=ms&q=${encodeURIComponent(q)}`;
  const body = (await transport.request(path, '', { method: 'POST' })) as { results?: Result[]; error?: string };
  if (body.error) throw new InfluxQueryError(body.error, q);
  const results = body.results ?? [];
  return statements.map((statement, i) => {
    const r = results[i];
    if (r?.error) throw new InfluxQueryError(r.error, statement);
    return r?.series ?? [];
  });
}

/** Rows of a series as objects keyed by column. */
export function rows(series: Series): Record<string, unknown>[] {
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
}

/**
 * One statement's rows through InfluxQL's chunked answer (chunked=true: one JSON object per chunk of
 * at most `chunkSize` rows, each on its own line), as the response streams in and only as fast as the
 * consumer takes them: the HTTP body is read chunk by chunk, so a paused consumer pauses the socket.
 * Each yield is one chunk's rows. Leaving early aborts the request.
 */
export async function* influxChunks(transport: Transport, database: string, statement: string, chunkSize: number): AsyncGenerator<unknown[][]> {
  const path = `/query?db=${encodeURIComponent(database)}&epoch=ms&chunked=true&chunk_size=${chunkSize}&q=${encodeURIComponent(statement)}`;
  const abort = new AbortController();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const bytes of transport.iterate(path, '', { method: 'POST', signal: abort.signal })) {
      buffered += decoder.decode(bytes, { stream: true });
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const values = chunkValues(line, statement);
        if (values.length) yield values;
      }
    }
    const values = chunkValues(buffered + decoder.decode(), statement);
    if (values.length) yield values;
  } finally {
    abort.abort();
  }
}

function chunkValues(line: string, statement: string): unknown[][] {
  if (!line.trim()) return [];
  const body = JSON.parse(line) as { results?: Result[]; error?: string };
  if (body.error) throw new InfluxQueryError(body.error, statement);
  const out: unknown[][] = [];
  for (const r of body.results ?? []) {
    if (r.error) throw new InfluxQueryError(r.error, statement);
    for (const s of r.series ?? []) for (const v of s.values) out.push(v);
  }
  return out;
}
