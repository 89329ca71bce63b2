// fetch wrapper: JSON in, typed errors out ({"error": {code, message}} from the server).
// Requests are signed by the httpOnly session cookie alone (same-origin credentials): the browser keeps
// the newest one for every tab, while a token held by one tab would go stale when another tab's refresh
// replaced it. Every write goes as Content-Type: application/json with a JSON body (`{}` when it has
// nothing to say), which with the Origin the browser adds is what the server asks of cookie-signed writes.
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

let onUnauthorized: ((path: string) => void) | null = null;
let onForbidden: ((err: ApiRequestError) => void) | null = null;

/** Called on any 401 outside /api/auth/* (the session expired) and on any 403. */
export function setAuthHandlers(h: { unauthorized: (path: string) => void; forbidden: (err: ApiRequestError) => void }): void {
  onUnauthorized = h.unauthorized;
  onForbidden = h.forbidden;
}

export interface RequestOptions { signal?: AbortSignal; body?: unknown; method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' }

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
  const write = method !== 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (write) headers['content-type'] = 'application/json';
  // the phone view's reads: its service worker keeps the last answer of these (and of no others) for offline
  else if (globalThis.location?.hash.startsWith('#/my')) headers['x-citygrid-view'] = 'phone';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      signal: opts.signal,
      headers,
      credentials: 'same-origin',
      body: write ? JSON.stringify(opts.body ?? {}) : undefined,
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

export function patchJson<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { method: 'PATCH', body, signal });
}

export function deleteJson<T>(path: string, body: unknown = {}, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { method: 'DELETE', body, signal });
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export function toApiError(err: unknown): ApiRequestError {
  return err instanceof ApiRequestError ? err : new ApiRequestError(0, 'CLIENT', String(err));
}
