// Proves nobody can lock a user out of sign-in by guessing: failures back off per username and address, so the right password from another address still gets in; one address guessing many usernames hits a separate, higher cap; TRUST_PROXY picks the client's address from X-Forwarded-For (never a client-written entry); bcrypt runs off the event loop; a full password queue answers 503 CG_SIGNIN_BUSY.
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { compare } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '@citygrid/contract';
import { loadServerConfig } from '@citygrid/server';
import { startSigninStack } from '../helpers/signin-stack.js';
import { AUTH_SECRET } from '../helpers/signed-in-city.js';
import { login, startTestSystem } from '../helpers/system.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; code: string | undefined }

/** One HTTP request from a chosen local address (127.0.0.0/8 is all loopback on Linux): real, distinct client addresses. */
function send(baseUrl: string, path: string, o: { body?: unknown; from?: string; headers?: Record<string, string>; method?: string; token?: string } = {}): Promise<Answer> {
  const url = new URL(path, baseUrl);
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method: o.method ?? (body === undefined ? 'GET' : 'POST'),
      ...(o.from ? { localAddress: o.from } : {}),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        let code: string | undefined;
        try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, code });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const signIn = (baseUrl: string, username: string, password: string, o: { from?: string; headers?: Record<string, string> } = {}) =>
  send(baseUrl, '/api/auth/login', { body: { username, password }, ...o });

describe('the real system, directly facing its clients (TRUST_PROXY unset)', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let admin: string;
  beforeAll(async () => {
    system = await startTestSystem({ AUTH_SECRET });
    admin = await login(system.baseUrl, 'admin');
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('lets the right password in from another address while one address hammers the username', async () => {
    const attacker = '127.0.0.2';
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) codes.push((await signIn(system.baseUrl, 'operator', `guess-${i}`, { from: attacker })).code);
    // the first failures are answered (typos are free), then the attacker's address backs off
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('CG_BAD_CREDENTIALS'));
    expect(codes.slice(5)).toEqual(Array(7).fill('CG_TOO_MANY_ATTEMPTS'));
    // ... even for the right password: that is what stops the guessing
    const blocked = await signIn(system.baseUrl, 'operator', 'demo-operator', { from: attacker });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // the operator at their own address is not locked out
    const operator = await signIn(system.baseUrl, 'operator', 'demo-operator', { from: '127.0.0.3' });
    expect(operator.status, operator.text).toBe(200);
    // the audit log names the attacker's address for each failure
    const failed = (await send(system.baseUrl, '/api/audit?action=login_failed&user=operator', { token: admin })).text;
    expect((JSON.parse(failed) as { entries: AuditEntry[] }).entries.filter((e) => e.note?.includes(attacker))).toHaveLength(5);
  });

  it('caps failures from one address over many usernames higher than per username, and lets known sign-ins through the cap', async () => {
    const sprayer = '127.0.0.4';
    // a user who signed in from this address before the spray (e.g. behind the same NAT)
    expect((await signIn(system.baseUrl, 'viewer', 'demo-viewer', { from: sprayer })).status).toBe(200);
    const people = system.city.people.map((p) => p.username).filter((u) => !['viewer', 'operator', 'admin'].includes(u));
    const codes: (string | undefined)[] = [];
    for (const username of people.slice(0, 20)) codes.push((await signIn(system.baseUrl, username, 'Password1', { from: sprayer })).code);
    expect(codes).toEqual(Array(20).fill('CG_BAD_CREDENTIALS')); // more than the 5 one username gets
    const capped = await signIn(system.baseUrl, people[20]!, 'Password1', { from: sprayer });
    expect(capped.code).toBe('CG_TOO_MANY_ATTEMPTS');
    expect(Number(capped.headers['retry-after'])).toBeGreaterThan(0);
    // a new username from the capped address is refused even with its right password (or spraying would go on) ...
    expect((await signIn(system.baseUrl, 'admin', 'demo-admin', { from: sprayer })).status).toBe(429);
    // ... but the user who signed in from there before still gets in, and other addresses are untouched
    expect((await signIn(system.baseUrl, 'viewer', 'demo-viewer', { from: sprayer })).status).toBe(200);
    expect((await signIn(system.baseUrl, people[21]!, 'Password1', { from: '127.0.0.5' })).code).toBe('CG_BAD_CREDENTIALS');
    expect((await signIn(system.baseUrl, 'admin', 'demo-admin', { from: '127.0.0.5' })).status).toBe(200);
  });

  it('checks passwords off the event loop: the main thread stays mostly idle while sign-ins are hashed', async () => {
    const users = system.city.people.filter((p) => p.role === 'gridworker').slice(0, 12).map((p) => p.username);
    expect(users).toHaveLength(12);
    const before = performance.eventLoopUtilization();
    const answers = await Promise.all(users.map((u, i) => signIn(system.baseUrl, u, `demo-${u}`, { from: `127.0.1.${i + 1}` })));
    const busy = performance.eventLoopUtilization(before).utilization;
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // the control: the same bcrypt work on this thread keeps its event loop busy, so the measure can see it
    const hashes = users.map((u) => system.city.people.find((p) => p.username === u)!.password_hash);
    const control = performance.eventLoopUtilization();
    await Promise.all(hashes.map((h, i) => compare(`demo-${users[i]}`, h)));
    const busyControl = performance.eventLoopUtilization(control).utilization;
    expect(busyControl, 'bcrypt on the main thread').toBeGreaterThan(0.5);
    expect(busy, 'sign-ins with bcrypt in a worker').toBeLessThan(0.5);
  });
});


describe('behind a reverse proxy (TRUST_PROXY)', () => {
  it('TRUST_PROXY=1: X-Forwarded-For tells the clients apart, so the hammered username still signs in from elsewhere', async () => {
    const stack = await startSigninStack({ trustProxy: loadServerConfig({ TRUST_PROXY: '1' }).trustProxy });
    try {
      const attacker = { 'x-forwarded-for': '203.0.113.7' };
      for (let i = 0; i < 5; i++) expect((await signIn(stack.baseUrl, 'operator', `guess-${i}`, { headers: attacker })).status).toBe(401);
      expect((await signIn(stack.baseUrl, 'operator', 'demo-operator', { headers: attacker })).status).toBe(429);
      const operator = await signIn(stack.baseUrl, 'operator', 'demo-operator', { headers: { 'x-forwarded-for': '198.51.100.9' } });
      expect(operator.status, operator.text).toBe(200);
      const notes = stack.auth.audit.list({ limit: 20, action: 'login' }).map((e) => e.note);
      expect(notes).toContain('from 198.51.100.9');
    } finally {
      await stack.close();
    }
  });

  it('TRUST_PROXY=true trusts one proxy only: entries a client writes into X-Forwarded-For do not give it new addresses', async () => {
    const stack = await startSigninStack({ trustProxy: loadServerConfig({ TRUST_PROXY: 'true' }).trustProxy });
    try {
      // the client forges the left part; the proxy appends the address it saw (203.0.113.7)
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 7; i++) codes.push((await signIn(stack.baseUrl, 'operator', `guess-${i}`, { headers: { 'x-forwarded-for': `10.9.9.${i}, 203.0.113.7` } })).code);
      expect(codes).toEqual([...Array(5).fill('CG_BAD_CREDENTIALS'), 'CG_TOO_MANY_ATTEMPTS', 'CG_TOO_MANY_ATTEMPTS']);
      // the control: the address the proxy saw does count
      expect((await signIn(stack.baseUrl, 'operator', 'demo-operator', { headers: { 'x-forwarded-for': '10.9.9.0, 198.51.100.9' } })).status).toBe(200);
    } finally {
      await stack.close();
    }
  });

  it('unset, X-Forwarded-For is ignored: a client cannot escape the back-off by writing it', async () => {
    const stack = await startSigninStack();
    try {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 7; i++) codes.push((await signIn(stack.baseUrl, 'operator', `guess-${i}`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).code);
      expect(codes).toEqual([...Array(5).fill('CG_BAD_CREDENTIALS'), 'CG_TOO_MANY_ATTEMPTS', 'CG_TOO_MANY_ATTEMPTS']);
      // the control: another real address is not affected
      expect((await signIn(stack.baseUrl, 'operator', 'demo-operator', { from: '127.0.0.9' })).status).toBe(200);
      expect(stack.auth.audit.list({ limit: 5, action: 'login' })[0]!.note).toBe('from 127.0.0.9');
    } finally {
      await stack.close();
    }
  });
});

describe('the password queue', () => {
  it('answers 503 CG_SIGNIN_BUSY with Retry-After when full, instead of queueing without end', async () => {
    const stack = await startSigninStack({ auth: { passwordWorkers: 1, passwordQueue: 1 } });
    try {
      // keep the one worker busy: a well-formed bcrypt hash of cost 14 (compare does all the work; nobody knows a password for it)
      const slow = `$2b$14$${'x'.repeat(53)}`;
      const blocker = stack.auth.passwords.compare('anything', slow);
      // four sign-ins while the worker is busy: the queue takes one, the other three are refused at once
      const answers = await Promise.all(['viewer', 'operator', 'admin', 'sup-wuchang'].map((u, i) => signIn(stack.baseUrl, u, `demo-${u}`, { from: `127.0.2.${i + 1}` })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 503, 503, 503]);
      const busy = answers.find((a) => a.status === 503)!;
      expect(busy.code).toBe('CG_SIGNIN_BUSY');
      expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
      expect(await blocker).toBe(false);
      // the control: once the worker is free, sign-in works again
      expect((await signIn(stack.baseUrl, 'operator', 'demo-operator', { from: '127.0.3.1' })).status).toBe(200);
    } finally {
      await stack.close();
    }
  });
});
