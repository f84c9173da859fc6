import type { RotatingValue } from './secret-cache.ts';

interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Serves each request with an app built for the current token, so a rotated ADMIN_TOKEN secret takes
 * effect without a redeploy: after the cache's TTL, or at once when a request is refused (401) and the
 * secret, read again, holds a different token; that request is then answered by the new app. The
 * refusal comes before the body is read, so the request can be handed on whole.
 */
export function appForCurrentToken(token: RotatingValue, build: (token: string) => FetchApp): (request: Request) => Promise<Response> {
  let built: { token: string; app: FetchApp } | undefined;
  const appFor = (current: string) => {
    if (built?.token !== current) built = { token: current, app: build(current) };
    return built.app;
  };
  return async (request) => {
    const response = await appFor(await token.current()).fetch(request);
    if (response.status !== 401 || request.bodyUsed) return response;
    const before = built!.token;
    const fresh = await token.reread();
    return fresh === before ? response : appFor(fresh).fetch(request);
  };
}
