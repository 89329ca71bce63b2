// fetch wrapper: JSON in, typed errors out ({"error": {code, message}} from the server).
// Same-origin requests carry the httpOnly session cookie; the token is also sent as a bearer.
import type { ApiError } from '@citygrid/contract';

/** `status` 0 means the request never got an answer from the CityGrid server. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds from a Retry-After header (429). */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }

  /** True when the server is down or something else (a proxy, a static host) answered. */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504
      || this.code === 'BAD_RESPONSE';
  }
}

function isApiError(body: unknown): body is ApiError {
  const error = (body as ApiError | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

let bearer: string | null = null;
let onUnauthorized: ((path: string) => void) | null = null;
let onForbidden: ((err: ApiRequestError) => void) | null = null;

/** The token from the last sign-in or refresh (null after sign-out). */
export function setBearer(token: string | null): void {
  bearer = token;
}

/** Called on any 401 outside /api/auth/* (the session expired) and on any 403. */
export function setAuthHandlers(h: { unauthorized: (path: string) => void; forbidden: (err: ApiRequestError) => void }): void {
  onUnauthorized = h.unauthorized;
  onForbidden = h.forbidden;
}

export interface RequestOptions { signal?: AbortSignal; body?: unknown; method?: 'GET' | 'POST' }

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      signal: opts.signal,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiRequestError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
  }
  const json = (res.headers.get('content-type') ?? '').includes('json');
  const body: unknown = json ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    const error = isApiError(body)
      ? new ApiRequestError(res.status, body.error.code, body.error.message, Number.isFinite(retry) && retry > 0 ? retry : null)
      // The CityGrid server always answers errors in JSON: anything else is a proxy or a static host.
      : new ApiRequestError(res.status, 'BAD_RESPONSE', `${path}: ${res.status} ${res.statusText}`);
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.(path);
    if (res.status === 403) onForbidden?.(error);
    throw error;
  }
  if (res.status === 204) return null as T;
  if (!json || body === null) {
    throw new ApiRequestError(res.status, 'BAD_RESPONSE', `${path} did not answer with JSON`);
  }
  return body as T;
}

export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { signal });
}

export function postJson<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { method: 'POST', body, signal });
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export function toApiError(err: unknown): ApiRequestError {
  return err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
}
