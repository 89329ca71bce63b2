// One registry of HTTP errors (fastify's lib/errors.js shape). Tests assert `code`, never the text.
import { format } from 'node:util';

export class HttpError extends Error {
  /** Extra response headers (Retry-After for 429). */
  headers: Record<string, string> = {};

  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
    this.name = 'HttpError';
  }

  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
}

function code(name: string, template: string, status: number) {
  return (...args: unknown[]) => new HttpError(name, format(template, ...args), status);
}

export const Errors = {
  NOT_FOUND: code('CG_NOT_FOUND', 'No such endpoint: %s %s', 404),
  DEVICE_NOT_FOUND: code('CG_DEVICE_NOT_FOUND', 'No device with id "%s"', 404),
  QUERY_INVALID: code('CG_QUERY_INVALID', 'Invalid query parameter %s: %s', 400),
  /** A read bigger than the API serves in one request (range, rows, buckets, metrics): the message names the limit. */
  LIMIT_EXCEEDED: code('CG_LIMIT_EXCEEDED', 'Too much for one request: %s', 400),
  METRIC_UNKNOWN: code('CG_METRIC_UNKNOWN', 'Device %s (%s) has no metric "%s"; it has: %s', 400),
  BODY_INVALID: code('CG_BODY_INVALID', 'Request body is not valid JSON: %s', 400),
  BODY_TOO_LARGE: code('CG_BODY_TOO_LARGE', 'Request body is larger than the %s the API accepts', 413),
  STORE_UNAVAILABLE: code('CG_STORE_UNAVAILABLE', 'The time-series store is unavailable: %s', 503),
  ALERT_NOT_FOUND: code('CG_ALERT_NOT_FOUND', 'No alert with id "%s"', 404),
  ALERT_RESOLVED: code('CG_ALERT_RESOLVED', 'Alert %s is already resolved', 409),
  NOTE_REQUIRED: code('CG_NOTE_REQUIRED', 'A note is required: %s', 400),
  /** Cluster mode: the replica that owns the alert's cell did not confirm the action in time (it is applied when it does). */
  ALERT_ACTION_PENDING: code('CG_ALERT_ACTION_PENDING', '%s', 503),
  MAINTENANCE_INVALID: code('CG_MAINTENANCE_INVALID', 'Invalid maintenance window: %s', 400),
  MAINTENANCE_NOT_FOUND: code('CG_MAINTENANCE_NOT_FOUND', 'No active maintenance window with id "%s"', 404),
  RULES_INVALID: code('CG_RULES_INVALID', 'rules.yaml was refused; the last good rules stay active: %s', 422),
  LOGIN_INVALID: code('CG_LOGIN_INVALID', 'Sign-in needs {"username": "...", "password": "..."}: %s', 400),
  BAD_CREDENTIALS: code('CG_BAD_CREDENTIALS', 'Wrong username or password', 401),
  UNAUTHENTICATED: code('CG_UNAUTHENTICATED', '%s', 401),
  FORBIDDEN: code('CG_FORBIDDEN', '%s', 403),
  TOO_MANY_ATTEMPTS: code('CG_TOO_MANY_ATTEMPTS', 'Too many failed sign-in attempts; try again in %d s', 429),
  /** The password checks' queue is full (auth/bcrypt-pool.ts): a Retry-After says when to try again. */
  SIGNIN_BUSY: code('CG_SIGNIN_BUSY', 'Too many sign-ins are being checked right now; try again in %d s', 503),
  /** Cluster mode: the shared sign-in limits (in Redis) cannot be checked, so no password is. */
  SIGNIN_UNAVAILABLE: code('CG_SIGNIN_UNAVAILABLE', 'Sign-in is unavailable: %s; try again in %d s', 503),
  /** An unsafe method signed in by the session cookie, not from the dashboard's own pages (auth/csrf.ts). */
  CROSS_SITE_REQUEST: code('CG_CROSS_SITE_REQUEST', 'Refused %s: a write signed in by the session cookie must come from this server\'s own pages; it %s. Scripts: send Authorization: Bearer <token> instead of the cookie', 403),
  INTERNAL: code('CG_INTERNAL', 'Internal error; it has been logged', 500),
};
