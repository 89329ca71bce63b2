// The HTTP errors (fastify's lib/errors.js shape), built from the contract's registry (ERRORS):
// `Errors.NAME(...args)` fills the template. Tests assert `code`, never the text.
import { format } from 'node:util';
import { ERRORS, type ErrorCode, type ErrorName } from '@citygrid/contract';

export class HttpError extends Error {
  /** Extra response headers (Retry-After for 429). */
  headers: Record<string, string> = {};

  constructor(readonly code: ErrorCode, message: string, readonly status: number) {
    super(message);
    this.name = 'HttpError';
  }

  withHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
}

export const Errors = Object.fromEntries(Object.entries(ERRORS).map(([name, spec]) => [
  name, (...args: unknown[]) => new HttpError(spec.code, format(spec.template, ...args), spec.status),
])) as Record<ErrorName, (...args: unknown[]) => HttpError>;
