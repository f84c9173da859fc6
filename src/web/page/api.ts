const tokenKey = 'catalog-importer.admin-token';

/** The API refused the token: the page has already signed out. */
export class Unauthorized extends Error {}

let onUnauthorized: () => void = () => {};

export const token = {
  get: () => sessionStorage.getItem(tokenKey),
  set: (value: string) => sessionStorage.setItem(tokenKey, value),
  clear: () => sessionStorage.removeItem(tokenKey),
  /** What to do when the API answers 401 (sign out). */
  onRefused(handler: () => void) {
    onUnauthorized = handler;
  },
};

async function call(path: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token.get() ?? ''}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) {
    onUnauthorized();
    throw new Unauthorized('That token was refused.');
  }
  if (!response.ok) {
    const json = (response.headers.get('content-type') ?? '').includes('json');
    const reason = json ? ((await response.json()) as { error?: string }).error : undefined;
    throw new Error(reason ?? response.statusText);
  }
  return response;
}

/** A JSON endpoint with the admin token. Errors carry the API's own message. */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await call(path, init)).json() as Promise<T>;
}

/** A file endpoint (the row-error CSV). */
export async function download(path: string): Promise<Blob> {
  return (await call(path, {})).blob();
}

export const send = <T>(method: 'POST' | 'PATCH', path: string, body: unknown = {}) =>
  api<T>(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
