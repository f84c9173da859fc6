import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { cacheDir } from './corpus.ts';

// As scripts/bundle.ts builds the Lambda handlers: esbuild's ESM has no `require`, which CommonJS
// dependencies (pg, the AWS SDK) still call for builtins; sharp stays a native module on disk.
const requireShim = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Bundles a bench child entry the way the Lambda zip is built, so a child's memory is what a Lambda
 * container holds: loading the sources one by one through type stripping costs ~200 MB of heap that
 * V8 collects only lazily, and no Lambda runs that way.
 */
export async function bundleChild(entry: string): Promise<string> {
  const outfile = join(cacheDir, 'bundles', basename(entry).replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    external: ['sharp', 'pg-native'],
    banner: { js: requireShim },
    logLevel: 'error',
  });
  return outfile;
}
