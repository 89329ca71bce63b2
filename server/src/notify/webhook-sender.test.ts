// Proves the webhook sender against a real local HTTP receiver: verifiable signatures for each scheme, bounded retries on 5xx/429/timeouts but not 4xx, per-alert order, synchronous non-blocking notify(), drop-oldest overflow, filters and close().
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { Alert, AlertSocketEvent, Severity } from '@citygrid/contract';
import { WebhookSender, verifyGenericSignature, webhookTargetProblems, type WebhookResult, type WebhookSenderOptions, type WebhookTarget } from './webhook-sender.js';

interface Received { path: string; headers: IncomingHttpHeaders; body: string }
type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

let server: Server;
let base: string;
let received: Received[];
let reply: (r: Received, n: number) => Reply;
let sender: WebhookSender | undefined;
let logLines: string[];

beforeEach(async () => {
  received = [];
  logLines = [];
  reply = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' });
  server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const answer = reply(r, received.length);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await sender?.close();
  sender = undefined;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id, rule: 'underpass-flooding', ruleKind: 'threshold', severity: 'red', key: 'wl-1', devices: ['wl-1'],
    grid: 'c-1', district: 'east', message: 'Underpass flooded', guidance: 'Close it', values: { level_cm: 35 },
    state: 'firing', startedAt: 1_790_000_000_000, updatedAt: 1_790_000_000_000, acknowledgedAt: null, acknowledgedBy: null,
    resolvedAt: null, resolvedBy: null, escalation: 0, assignees: [], ackDeadline: 1_790_000_600_000, suppressed: false, ...over,
  };
}
function ev(id: string, over: Partial<Alert> = {}, type: AlertSocketEvent['event'] = 'firing'): AlertSocketEvent {
  return { event: type, actor: 'system', note: null, alert: alert(id, over) };
}

function make(targets: Partial<WebhookTarget>[], opts: Partial<WebhookSenderOptions> = {}): { sender: WebhookSender; results: WebhookResult[] } {
  const results: WebhookResult[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c: Buffer, _e, cb) => (logLines.push(c.toString()), cb()) }));
  const full = targets.map((t, i) => ({ id: `t${i}`, url: `${base}/hook/${i}`, format: 'generic' as const, ...t }));
  sender = new WebhookSender({ targets: full, logger, backoffMs: 10, closeTimeoutMs: 200, onResult: (r) => results.push(r), ...opts });
  return { sender, results };
}

const settled = (s: WebhookSender, n: number) =>
  vi.waitFor(() => {
    const st = s.stats();
    expect(st.sent + st.failed + st.dropped).toBe(n);
    expect(st.pending).toBe(0);
  }, { timeout: 5000, interval: 5 });

describe('signing', () => {
  it('delivers generic JSON whose signature verifies against the raw body, and fails on tampering', async () => {
    const { sender: s } = make([{ secret: 's3cret' }]);
    s.notify(ev('a-1'));
    await settled(s, 1);
    expect(s.stats()).toEqual({ sent: 1, failed: 0, dropped: 0, pending: 0 });
    const [r] = received;
    const ts = r!.headers['x-citygrid-timestamp'] as string;
    const sig = r!.headers['x-citygrid-signature'] as string;
    expect(r!.headers['x-citygrid-event']).toBe('firing');
    expect(r!.headers['x-citygrid-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ts).toMatch(/^\d{13}$/);
    // the README's scheme, recomputed here with node:crypto over the bytes the receiver got (fixed vectors: webhook-signing.test.ts)
    expect(sig).toBe(`sha256=${createHmac('sha256', 's3cret').update(`${ts}.${r!.body}`, 'utf8').digest('hex')}`);
    // the exported receiver helper agrees, and refuses tampering, another secret and stale timestamps
    expect(verifyGenericSignature('s3cret', ts, r!.body, sig)).toBe(true);
    expect(verifyGenericSignature('s3cret', ts, Buffer.from(r!.body), sig, { maxAgeMs: 60_000 })).toBe(true);
    expect(verifyGenericSignature('s3cret', ts, r!.body.replace('Close', 'Open'), sig)).toBe(false);
    expect(verifyGenericSignature('s3cret', String(Number(ts) + 1), r!.body, sig)).toBe(false);
    expect(verifyGenericSignature('other', ts, r!.body, sig)).toBe(false);
    expect(verifyGenericSignature('s3cret', ts, r!.body, sig, { maxAgeMs: 60_000, now: Number(ts) + 120_000 })).toBe(false);
    expect(JSON.parse(r!.body)).toMatchObject({ version: 1, event: 'firing', actor: 'system', alert: { id: 'a-1' } });
  });

  it("appends DingTalk's timestamp and sign to the URL, and the sign verifies", async () => {
    const { sender: s } = make([{ format: 'dingtalk', url: `${base}/robot/send?access_token=tok`, secret: 'SECabc' }]);
    s.notify(ev('a-1'));
    await settled(s, 1);
    const url = new URL(received[0]!.path, base);
    expect(url.pathname).toBe('/robot/send');
    expect(url.searchParams.get('access_token')).toBe('tok');
    const ts = url.searchParams.get('timestamp')!;
    expect(ts).toMatch(/^\d{13}$/);
    // DingTalk's 加签, recomputed here with node:crypto: base64 HMAC-SHA256(key = secret, msg = `${ts}\n${secret}`), URL-encoded
    const expected = createHmac('sha256', 'SECabc').update(`${ts}\nSECabc`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(expected);
    expect(received[0]!.path).toContain(`&timestamp=${ts}&sign=${encodeURIComponent(expected)}`);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringContaining('红色预警') } });
  });

  it("adds Feishu's timestamp (seconds) and sign to the body; WeCom gets no signature", async () => {
    const { sender: s } = make([{ format: 'feishu', secret: 'fs' }, { format: 'wecom', url: `${base}/wecom?key=k` }], { now: () => 1_790_000_123_456 });
    s.notify(ev('a-1'));
    await settled(s, 2);
    const feishu = received.find((r) => r.path === '/hook/0')!;
    const body = JSON.parse(feishu.body) as { timestamp: string; sign: string; msg_type: string };
    expect(body).toMatchObject({ timestamp: '1790000123', msg_type: 'interactive' });
    // base64 HMAC-SHA256(key = "1790000123\nfs", msg = empty), computed once with openssl and node:crypto
    expect(body.sign).toBe('QfkeWLLOzzn/ZxjAOk88OZ1SZvCPRQ2ybD3/8Vpne2M=');
    const wecom = received.find((r) => r.path === '/wecom?key=k')!;
    expect(JSON.parse(wecom.body)).toMatchObject({ msgtype: 'markdown' });
    expect(wecom.headers['x-citygrid-signature']).toBeUndefined();
  });
});

describe('retries', () => {
  it('retries a 500 and then succeeds', async () => {
    reply = (_r, n) => (n <= 2 ? { status: 500, body: 'boom' } : { status: 200 });
    const { sender: s, results } = make([{ secret: 'k' }]);
    s.notify(ev('a-1'));
    await settled(s, 1);
    expect(received).toHaveLength(3);
    expect(results).toEqual([expect.objectContaining({ outcome: 'sent', attempts: 3, status: 200 })]);
    expect(new Set(received.map((r) => r.headers['x-citygrid-delivery'])).size).toBe(1); // one delivery id across retries
  });

  it('retries a 429 and a robot rate-limit code, and gives up after `retries`', async () => {
    reply = () => ({ status: 429, headers: { 'retry-after': '0' } });
    const { sender: s, results } = make([{}], { retries: 2 });
    s.notify(ev('a-1'));
    await settled(s, 1);
    expect(received).toHaveLength(3);
    expect(results[0]).toMatchObject({ outcome: 'failed', attempts: 3, status: 429 });
    expect(logLines.some((l) => l.includes('giving up') && l.includes('"level":40'))).toBe(true);
  });

  it('does not retry a 400, nor a robot error code such as a bad sign', async () => {
    reply = (r) => (r.path === '/hook/0' ? { status: 400, body: 'bad' } : { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' });
    const { sender: s, results } = make([{}, { format: 'dingtalk' }]);
    s.notify(ev('a-1'));
    await settled(s, 2);
    expect(received).toHaveLength(2);
    expect(s.stats()).toMatchObject({ sent: 0, failed: 2 });
    expect(results.map((r) => r.error)).toEqual(expect.arrayContaining([expect.stringContaining('HTTP 400'), expect.stringContaining('310000')]));
  });

  it('times out a receiver that never answers and counts it failed after the retries', async () => {
    reply = () => 'hang';
    const { sender: s, results } = make([{}], { timeoutMs: 200, retries: 1 });
    s.notify(ev('a-1'));
    await settled(s, 1);
    expect(received).toHaveLength(2);
    expect(results[0]).toMatchObject({ outcome: 'failed', attempts: 2, status: null, error: 'timed out after 200 ms' });
  });

  it('counts a refused connection as failed without throwing', async () => {
    const { sender: s, results } = make([{ url: 'http://127.0.0.1:1/nothing' }], { retries: 1 });
    s.notify(ev('a-1'));
    await settled(s, 1);
    expect(results[0]).toMatchObject({ outcome: 'failed', attempts: 2 });
  });

  it("keeps one alert's transitions in order while the first is retried", async () => {
    reply = (_r, n) => (n === 1 ? { status: 503 } : { status: 200 });
    const { sender: s } = make([{}]);
    s.notify(ev('a-1', {}, 'firing'));
    s.notify(ev('a-1', { state: 'acknowledged' }, 'acknowledged'));
    s.notify(ev('a-1', { state: 'resolved' }, 'resolved'));
    await settled(s, 3);
    expect(received.map((r) => r.headers['x-citygrid-event'])).toEqual(['firing', 'firing', 'acknowledged', 'resolved']);
  });
});

describe('never blocks ingest', () => {
  it('notify() only enqueues: 1000 calls against a slow receiver return with nothing sent yet', () => {
    reply = () => 'hang';
    const { sender: s } = make([{}], { maxQueue: 5000 });
    for (let i = 0; i < 1000; i++) s.notify(ev(`a-${i}`));
    expect(s.stats()).toEqual({ sent: 0, failed: 0, dropped: 0, pending: 1000 });
    expect(received).toHaveLength(0);
  });

  it('sends at most `concurrency` requests at once', async () => {
    reply = () => 'hang';
    const { sender: s } = make([{}], { concurrency: 3, timeoutMs: 60_000 });
    for (let i = 0; i < 10; i++) s.notify(ev(`a-${i}`));
    await vi.waitFor(() => expect(received).toHaveLength(3), { timeout: 2000, interval: 5 });
    expect(s.stats().pending).toBe(10);
  });

  it('drops the oldest deliveries when the queue is full, and counts them', async () => {
    const { sender: s, results } = make([{}], { maxQueue: 5 });
    for (let i = 0; i < 8; i++) s.notify(ev(`a-${i}`));
    expect(s.stats()).toEqual({ sent: 0, failed: 0, dropped: 3, pending: 5 });
    expect(results.filter((r) => r.outcome === 'dropped').map((r) => r.alertId)).toEqual(['a-0', 'a-1', 'a-2']);
    await settled(s, 8);
    expect(received.map((r) => (JSON.parse(r.body) as { alert: Alert }).alert.id).sort()).toEqual(['a-3', 'a-4', 'a-5', 'a-6', 'a-7']);
  });

  it('never throws, even for a malformed event', () => {
    const { sender: s } = make([{}]);
    expect(() => s.notify({} as AlertSocketEvent)).not.toThrow();
    expect(s.stats().pending).toBe(0);
  });
});

describe('filters', () => {
  it('sends each target only the severities, events, cells and districts it asked for', async () => {
    const { sender: s } = make([
      { severities: ['red', 'orange'] as Severity[] },
      { grids: ['c-2'] },
      { grids: ['c-9'], districts: ['west'] },
      { events: ['resolved'] },
    ]);
    s.notify(ev('red-c1', { severity: 'red', grid: 'c-1' }));
    s.notify(ev('blue-c2', { severity: 'blue', grid: 'c-2' }));
    s.notify(ev('yellow-west', { severity: 'yellow', grid: 'c-7', district: 'west' }));
    s.notify(ev('done', { severity: 'blue', state: 'resolved' }, 'resolved'));
    s.notify(ev('quiet', { severity: 'red', suppressed: true }));
    await settled(s, 4);
    const got = (i: number) => received.filter((r) => r.path === `/hook/${i}`).map((r) => (JSON.parse(r.body) as { alert: Alert }).alert.id).sort();
    expect(got(0)).toEqual(['red-c1']);
    expect(got(1)).toEqual(['blue-c2']);
    expect(got(2)).toEqual(['yellow-west']);
    expect(got(3)).toEqual(['done']);
  });

  it('rejects a bad target list at construction, listing every problem', () => {
    const bad = () =>
      make([{ id: 'x', url: 'ftp://h' }, { id: 'x', format: 'slack' as never }, { id: 'y', severities: [] }, { id: 'z', events: ['nope' as never] }]);
    expect(bad).toThrow(/url must be http\(s\)[\s\S]*duplicate id[\s\S]*format must be[\s\S]*severities is empty[\s\S]*unknown events nope/);
    const untyped = [{ id: 7, url: 'http://h', format: 'generic', grids: 'c-1' }, null, { id: 'w', url: 'http://h', format: 'dingtalk', locale: 'zh' }] as unknown as WebhookTarget[];
    expect(webhookTargetProblems(untyped)).toEqual([
      'webhook target #1: id is required (a string)',
      'webhook target #1: grids must be a list of strings',
      'webhook target #2: must be an object',
      'webhook target "w": locale must be one of zh-CN, en',
    ]);
  });
});

describe('close', () => {
  it('waits for in-flight deliveries, aborts those still hanging after the grace, and never logs target URLs', async () => {
    reply = () => 'hang';
    const { sender: s, results } = make([{ url: `${base}/hook?token=SECRET-TOKEN` }], { closeTimeoutMs: 100, timeoutMs: 60_000, concurrency: 1 });
    s.notify(ev('a-1'));
    s.notify(ev('a-2'));
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 2000, interval: 5 });
    await s.close();
    expect(s.stats()).toEqual({ sent: 0, failed: 1, dropped: 1, pending: 0 });
    expect(results.map((r) => r.outcome).sort()).toEqual(['dropped', 'failed']);
    s.notify(ev('a-3'));
    expect(s.stats().pending).toBe(0);
    expect(logLines.join('')).not.toContain('SECRET-TOKEN');
  });
});
