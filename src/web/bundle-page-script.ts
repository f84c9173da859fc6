import { fileURLToPath } from 'node:url';

const entryPoint = fileURLToPath(new URL('./page/main.ts', import.meta.url));

/**
 * Bundles the page's TypeScript (src/web/page/) into one browser script with esbuild, in memory.
 * Runs where the source is: `npm start`, `dev`, tests. The admin Lambda never runs it: scripts/bundle.ts
 * swaps this module for the script it bundled at package time, so esbuild (a devDependency) is not in the zip.
 */
export async function bundlePageScript(): Promise<string> {
  const { build } = await import('esbuild').catch((error: unknown) => {
    throw new Error('the admin page script is bundled with esbuild, a devDependency: install the dev dependencies (npm install)', { cause: error });
  });
  const result = await build({
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
