// Proves Socket.IO checks sign-in: no token or a bad one is refused ("sign in"), the cookie works too, a
// grid worker's socket gets its own cell's alerts and never another cell's (even asking with
// `subscribe {}`), and a socket ends when its token expires or its session signs out (with any of the
// session's tokens: sockets opened with a token that a refresh has since replaced end too).
import { io as socketClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_TTL_MS, type AlertSocketEvent } from '@citygrid/contract';
import { signToken, startSignedInCity, type SignedInCity } from '../helpers/signed-in-city.js';
import { connectSocket, login, sendJson, waitFor, type CitySocket } from '../helpers/system.js';

let city: SignedInCity;
const sockets: CitySocket[] = [];

beforeAll(async () => {
  city = await startSignedInCity();
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await city?.close();
});

async function open(token: string | null): Promise<CitySocket> {
  const socket = await connectSocket(city.system.baseUrl, token);
  sockets.push(socket);
  return socket;
}

const refusal = (token: string | null) => open(token).then(() => 'connected', (err: Error) => err.message);

describe('the handshake', () => {
  it('refuses a socket without a token, or with a garbage, foreign or expired one, saying to sign in', async () => {
    expect(await refusal(null)).toMatch(/sign in/i);
    expect(await refusal('garbage')).toMatch(/sign in/i);
    expect(await refusal(await signToken({ username: 'admin', role: 'admin' }, { secret: 'another-secret-another-secret-0123456789' }))).toMatch(/sign in/i);
    const expired = await refusal(await signToken({ username: 'admin', role: 'admin' }, { issuedAgoMs: TOKEN_TTL_MS + 1000 }));
    expect(expired).toMatch(/sign in/i);
    expect(expired).toMatch(/expired/);
  });

  it('accepts the cg_token cookie as well as auth: { token }', async () => {
    const socket = socketClient(city.system.baseUrl, { transports: ['websocket'], reconnection: false, extraHeaders: { cookie: `cg_token=${city.tokens.viewer!}` } });
    sockets.push(socket);
    await new Promise<void>((res, rej) => { socket.once('connect', () => res()); socket.once('connect_error', rej); });
    expect(socket.connected).toBe(true);
  });

  it("refuses a page from another site (Origin) even with a good token, and lets the dashboard's own origin in", async () => {
    const withOrigin = (origin: string) => new Promise<string>((res) => {
      const socket = socketClient(city.system.baseUrl, { transports: ['websocket'], reconnection: false, auth: { token: city.tokens.viewer! }, extraHeaders: { origin } });
      sockets.push(socket);
      socket.once('connect', () => res('connected'));
      socket.once('connect_error', (err) => res(err.message));
    });
    expect(await withOrigin('https://evil.example')).not.toBe('connected');
    expect(await withOrigin(city.system.baseUrl)).toBe('connected');
  });
});

describe("a grid worker's socket", () => {
  it("gets the alerts of the worker's own cell and never another cell's, even after subscribe {}", async () => {
    const worker = await open(city.tokens.gridworker);
    const control = await open(city.tokens.operator);
    const seen: AlertSocketEvent[] = [];
    const seenByControl: AlertSocketEvent[] = [];
    worker.on('alert', (e) => seen.push(e));
    control.on('alert', (e) => seenByControl.push(e));
    expect(await worker.emitWithAck('subscribe', {})).toEqual({ ok: true });
    expect(await worker.emitWithAck('subscribe', { grid: city.B.grid })).toEqual({ ok: false, error: expect.stringContaining('only their own cells') });
    expect(await worker.emitWithAck('subscribe', { district: city.B.district })).toMatchObject({ ok: false });
    expect(await worker.emitWithAck('subscribe', { device: city.B.id })).toMatchObject({ ok: false });
    expect(await worker.emitWithAck('subscribe', {})).toEqual({ ok: true });

    for (const alert of [city.alertsB.m7!, city.alertsA.m7!]) {
      const res = await sendJson(`${city.system.baseUrl}/api/alerts/${alert.id}/ack`, { note: 'seen' }, city.tokens.operator);
      expect(res.status).toBe(200);
    }
    await waitFor(() => seenByControl.filter((e) => e.event === 'acknowledged').length === 2, 'both acknowledgements on the control-room socket');
    // the control: the own cell's acknowledgement, which the server emitted after B's (one socket
    // delivers in order, so B's would have come first had it been sent here)
    await waitFor(() => seen.some((e) => e.alert.id === city.alertsA.m7!.id && e.event === 'acknowledged'), "the own cell's acknowledgement");
    expect(seen.filter((e) => e.alert.grid !== city.A.grid)).toEqual([]);
  });
});

describe('the end of a session', () => {
  it('disconnects a socket when its token expires', async () => {
    // a token with 3 s left (issued before this server kept sessions, so accepted until it expires)
    const shortLived = await signToken({ username: 'viewer', role: 'viewer' }, { issuedAgoMs: TOKEN_TTL_MS - 3000 });
    const socket = await open(shortLived);
    const reason = await new Promise<string>((res) => socket.once('disconnect', res));
    expect(reason).toBe('io server disconnect');
  });

  it('disconnects the sockets of a session that signs out', async () => {
    const token = await login(city.system.baseUrl, 'operator');
    const socket = await open(token);
    const gone = new Promise<string>((res) => socket.once('disconnect', res));
    expect((await sendJson(`${city.system.baseUrl}/api/auth/logout`, undefined, token)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect(await refusal(token)).toMatch(/signed out/);
  });

  it("disconnects every socket of the session, also those opened with a token a refresh has replaced, and refuses all its tokens", async () => {
    const first = await login(city.system.baseUrl, 'operator');
    const older = await open(first);
    const refreshed = await sendJson<{ token: string }>(`${city.system.baseUrl}/api/auth/refresh`, {}, first);
    expect(refreshed.status).toBe(200);
    const newer = await open(refreshed.body.token);
    const other = await open(await login(city.system.baseUrl, 'operator')); // another session of the same user
    const reasons: string[] = [];
    older.once('disconnect', (r) => reasons.push(`older: ${r}`));
    newer.once('disconnect', (r) => reasons.push(`newer: ${r}`));
    expect((await sendJson(`${city.system.baseUrl}/api/auth/logout`, {}, refreshed.body.token)).status).toBe(204);
    await waitFor(() => reasons.length === 2, 'both sockets of the session disconnected', 10_000);
    expect(reasons.sort()).toEqual(['newer: io server disconnect', 'older: io server disconnect']);
    expect(await refusal(first)).toMatch(/signed out/);
    expect(await refusal(refreshed.body.token)).toMatch(/signed out/);
    // the control: the other session's socket is still connected
    expect(other.connected).toBe(true);
  });
});
