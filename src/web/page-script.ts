import { bundlePageScript } from './bundle-page-script.ts';

let cached: Promise<string> | undefined;

/**
 * The admin page's script, bundled once per process on first use and kept; a failed bundle is
 * tried again on the next request instead of being cached.
 */
export function adminPageScript(): Promise<string> {
  cached ??= bundlePageScript().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
