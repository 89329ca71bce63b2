// Sign-in: POST /api/auth/login (open, backed off per username and address, password checked in a
// worker thread), and for a signed-in user POST /api/auth/refresh (a new token of the same session; the
// old one retires), POST /api/auth/logout (ends the session: all its tokens), GET /api/auth/me. The
// token goes in the body and in the cg_token cookie (HttpOnly, SameSite=Strict, Path=/, Max-Age;
// Secure when the request came over https).
import { Router, type Request, type Response } from 'express';
import { TOKEN_COOKIE, type LoginResponse, type UserView } from '@citygrid/contract';
import type { Logger } from 'pino';
import { PoolBusyError } from '../auth/bcrypt-pool.js';
import type { Attempt, LimitDecision } from '../auth/login-limiter.js';
import { SessionError, sessionKey, type Auth, type IssuedToken } from '../auth/index.js';
import { sessionOf } from '../auth/middleware.js';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords.js';
import { Users } from '../auth/users.js';
import { Errors } from '../errors.js';
import type { AppDeps } from './app.js';
import { peopleAdminOf } from './people.router.js';

function parseLogin(body: unknown): { username: string; password: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof b.username !== 'string' || !b.username.length || b.username.length > 64) problems.push('username: 1 to 64 characters');
  if (typeof b.password !== 'string' || !b.password.length || b.password.length > MAX_PASSWORD_LENGTH) problems.push(`password: 1 to ${MAX_PASSWORD_LENGTH} characters`);
  if (problems.length) throw Errors.LOGIN_INVALID(problems.join('; '));
  return { username: b.username as string, password: b.password as string };
}

/** An attempt whose outcome, if it cannot be recorded (Redis gone mid-attempt), is logged, not thrown at the user. */
function outcomeLogged(attempt: Attempt, logger: Logger): { succeed(): Promise<void>; fail(): Promise<void>; abandon(): Promise<void> } {
  const settle = (step: () => void | Promise<void>) => async () => {
    try {
      await step();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'a sign-in attempt\'s outcome could not be recorded');
    }
  };
  return { succeed: settle(() => attempt.succeed()), fail: settle(() => attempt.fail()), abandon: settle(() => attempt.abandon()) };
}

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Secure cookies only over https (directly, or as a TLS-terminating proxy says). */
const isHttps = (req: Request): boolean => req.secure || req.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';

/** The token as the answer and the cookie. */
/** A password checked in the pool; a full pool abandons the attempt (it counts for nothing) and answers 503. */
async function verified(attempt: { abandon(): Promise<void> }, check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch (err) {
    await attempt.abandon();
    if (err instanceof PoolBusyError) throw Errors.SIGNIN_BUSY(1).withHeader('Retry-After', '1');
    throw err;
  }
}

function answer(req: Request, res: Response, { token, expiresAt }: IssuedToken, user: UserView): LoginResponse {
  res.cookie(TOKEN_COOKIE, token, {
    httpOnly: true, sameSite: 'strict', path: '/', secure: isHttps(req), maxAge: Math.max(0, expiresAt - Date.now()),
  });
  res.setHeader('Cache-Control', 'no-store');
  return { token, expiresAt, user };
}

/** Open: the one route that takes a password. */
export function loginRouter({ auth, logger }: AppDeps): Router {
  const router = Router();
  router.post('/auth/login', async (req, res) => {
    const { username, password } = parseLogin(req.body);
    const ip = clientIp(req);
    let decision: LimitDecision;
    try {
      decision = await auth.limiter.begin(ip, username);
    } catch (err) {
      // cluster mode: the back-off lives in Redis; no password is checked without it
      logger.warn({ err: (err as Error).message }, 'sign-in refused: the sign-in limits could not be checked');
      throw Errors.SIGNIN_UNAVAILABLE('its attempt limits are kept in Redis, which does not answer', 5).withHeader('Retry-After', '5');
    }
    if (!decision.allowed) throw Errors.TOO_MANY_ATTEMPTS(decision.retryAfterS).withHeader('Retry-After', String(decision.retryAfterS));
    const attempt = outcomeLogged(decision.attempt, logger);
    const person = auth.users.get(username);
    const ok = await verified(attempt, () => auth.passwords.verify(person, password));
    if (!ok) {
      await attempt.fail();
      // a disabled person is answered as an unknown one; the audit log says which it was
      const why = person ? 'wrong password' : auth.users.find(username)?.disabled ? 'disabled user' : 'no such user';
      auth.audit.record({ user: username, action: 'login_failed', target: null, note: `${why}, from ${ip}` });
      throw Errors.BAD_CREDENTIALS(); // the same answer whether the user exists or not
    }
    await attempt.succeed();
    const user = Users.view(person!);
    const body = answer(req, res, await auth.signIn(user), user);
    auth.audit.record({ user: username, action: 'login', target: null, note: `from ${ip}` });
    res.json(body);
  });
  return router;
}

/** POST /api/auth/password's body: the current password and the new one. */
function parsePasswordChange(body: unknown): { current: string; password: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof b.current !== 'string' || !b.current.length || b.current.length > MAX_PASSWORD_LENGTH) problems.push(`current: your current password, 1 to ${MAX_PASSWORD_LENGTH} characters`);
  if (typeof b.password !== 'string' || !b.password.length || b.password.length > MAX_PASSWORD_LENGTH) problems.push(`password: the new password, 1 to ${MAX_PASSWORD_LENGTH} characters`);
  const extra = Object.keys(b).filter((k) => k !== 'current' && k !== 'password');
  if (extra.length) problems.push(`unknown field(s): ${extra.slice(0, 5).join(', ')}`);
  if (problems.length) throw Errors.PASSWORD_CHANGE_INVALID(problems.join('; '));
  return { current: b.current as string, password: b.password as string };
}

/** Behind authenticate: the signed-in user's own session. */
export function sessionRouter(deps: AppDeps): Router {
  const { auth, logger } = deps;
  const router = Router();
  // one's own password: the current one is checked as at sign-in (worker pool, the same back-off per
  // username and address, so a stolen session cannot guess it quickly); the other sessions end
  router.post('/auth/password', async (req, res) => {
    const { user, claims } = sessionOf(req);
    const { current, password } = parsePasswordChange(req.body);
    const people = peopleAdminOf(deps);
    const ip = clientIp(req);
    let decision: LimitDecision;
    try {
      decision = await auth.limiter.begin(ip, user.username);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'password change refused: the sign-in limits could not be checked');
      throw Errors.SIGNIN_UNAVAILABLE('its attempt limits are kept in Redis, which does not answer', 5).withHeader('Retry-After', '5');
    }
    if (!decision.allowed) throw Errors.TOO_MANY_ATTEMPTS(decision.retryAfterS).withHeader('Retry-After', String(decision.retryAfterS));
    const attempt = outcomeLogged(decision.attempt, logger);
    const ok = await verified(attempt, () => auth.passwords.verify(auth.users.get(user.username), current));
    if (!ok) {
      await attempt.fail();
      auth.audit.record({ user: user.username, action: 'login_failed', target: null, note: `wrong current password for a password change, from ${ip}` });
      throw Errors.PASSWORD_CHANGE_INVALID('the current password is wrong');
    }
    await attempt.succeed();
    if (password === current) throw Errors.PASSWORD_WEAK('it is the same as the current one');
    try {
      await people.setPassword(user.username, password, sessionKey(claims));
    } catch (err) {
      if (err instanceof PoolBusyError) throw Errors.SIGNIN_BUSY(1).withHeader('Retry-After', '1');
      throw err;
    }
    res.status(204).end();
  });
  router.post('/auth/refresh', async (req, res) => {
    const session = sessionOf(req);
    let issued: IssuedToken;
    try {
      issued = await auth.refresh(session);
    } catch (err) {
      if (err instanceof SessionError) throw Errors.UNAUTHENTICATED(err.message);
      throw err;
    }
    res.json(answer(req, res, issued, session.user));
  });
  router.post('/auth/logout', async (req, res) => {
    const { user, claims } = sessionOf(req);
    await auth.revoke(claims);
    res.clearCookie(TOKEN_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: isHttps(req) });
    auth.audit.record({ user: user.username, action: 'logout', target: null, note: null });
    res.status(204).end();
  });
  router.get('/auth/me', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(sessionOf(req).user satisfies UserView);
  });
  return router;
}
