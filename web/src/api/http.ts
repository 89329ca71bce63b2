// fetch wrapper: JSON in, typed errors out ({"error": {code, message}} from the server).
import type { ApiError } from '@citygrid/contract';

/** `status` 0 means the request never got an answer from the CityGrid server. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiRequestError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
  }
  const json = (res.headers.get('content-type') ?? '').includes('json');
  const body: unknown = json ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    if (isApiError(body)) throw new ApiRequestError(res.status, body.error.code, body.error.message);
    // The CityGrid server always answers errors in JSON: anything else is a proxy or a static host.
    throw new ApiRequestError(res.status, 'BAD_RESPONSE', `${path}: ${res.status} ${res.statusText}`);
  }
  if (!json || body === null) {
    throw new ApiRequestError(res.status, 'BAD_RESPONSE', `${path} did not answer with JSON`);
  }
  return body as T;
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
