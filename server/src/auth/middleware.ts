// Express guards: `authenticate` finds the session from `Authorization: Bearer <token>` or the
// cg_token cookie (401 CG_UNAUTHENTICATED otherwise); a write signed in by the cookie must come from the
// dashboard's own pages (csrf.ts; 403 CG_CROSS_SITE_REQUEST otherwise); `requireRole(permission)`
// answers 403 CG_FORBIDDEN naming the role and what it may not do.
import type { Request, RequestHandler } from 'express';
import { TOKEN_COOKIE } from '@citygrid/contract';
import { Errors } from '../errors.js';
import { crossSiteRefusal } from './csrf.js';
import { SessionError, type Auth, type Session } from './index.js';
import { can, forbiddenMessage, type Permission } from './roles.js';

declare global {
  namespace Express {
    interface Request {
      /** Set by authenticate. */
      auth?: Session;
    }
  }
}

/** One cookie's value from a Cookie header (no cookie package: the format is name=value pairs split by ';'). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return null;
}

/** The bearer token if there is one, else the cg_token cookie; and which it was. */
export function credentialFrom(headers: { authorization?: string | undefined; cookie?: string | undefined }): { token: string; via: 'bearer' | 'cookie' } | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (m) return { token: m[1]!, via: 'bearer' };
  const cookie = readCookie(headers.cookie, TOKEN_COOKIE);
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/** The bearer token if there is one, else the cg_token cookie. */
export function tokenFrom(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | null {
  return credentialFrom(headers)?.token ?? null;
}

/** `allowedOrigins`: CORS_ORIGINS, whose pages may also write with the cookie. */
export function authenticate(auth: Auth, o: { allowedOrigins?: readonly string[] } = {}): RequestHandler {
  return async (req, _res, next) => {
    const credential = credentialFrom(req.headers);
    if (!credential) throw Errors.UNAUTHENTICATED(`Sign in first: ${req.method} ${req.baseUrl}${req.path} needs a token (POST /api/auth/login, then send the ${TOKEN_COOKIE} cookie or Authorization: Bearer <token>)`);
    if (credential.via === 'cookie') {
      const why = crossSiteRefusal(req, o.allowedOrigins ?? []);
      if (why) throw Errors.CROSS_SITE_REQUEST(`${req.method} ${req.baseUrl}${req.path}`.slice(0, 200), why);
    }
    const { token } = credential;
    try {
      req.auth = await auth.session(token);
    } catch (err) {
      if (err instanceof SessionError) throw Errors.UNAUTHENTICATED(err.message);
      throw err;
    }
    next();
  };
}

export function requireRole(permission: Permission): RequestHandler {
  return (req, _res, next) => {
    const { user } = sessionOf(req);
    if (!can(user.role, permission)) throw Errors.FORBIDDEN(forbiddenMessage(user, permission));
    next();
  };
}

/** The session authenticate found; a route mounted without it is a programming error. */
export function sessionOf(req: Request): Session {
  if (!req.auth) throw new Error(`${req.method} ${req.originalUrl} ran without authenticate()`);
  return req.auth;
}
