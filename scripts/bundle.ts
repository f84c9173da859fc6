import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { bundlePageScript } from '../src/web/bundle-page-script.ts';
import { LambdaArchitecture, stageSharpForLambda } from './sharp-for-lambda.ts';
import { zipDirectory } from './zip-directory.ts';

/** The Lambda functions: `handlers/<name>.ts` becomes `<name>.mjs` at the zip root (handler `<name>.handler`). */
export const lambdaFunctions = [
  { name: 'scheduled', nativeModules: false },
  { name: 'worker', nativeModules: true },
  { name: 'admin', nativeModules: false },
] as const;

export type LambdaFunctionName = (typeof lambdaFunctions)[number]['name'];

export interface BuiltFunction {
  name: LambdaFunctionName;
  zipPath: string;
  unzippedBytes: number;
}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Native or optional modules that must not be inlined: sharp ships as files in the worker zip,
// pg-native is an optional peer of pg that we never install.
const external = ['sharp', 'pg-native'];

// esbuild's ESM output has no `require`; CommonJS dependencies (pg, the AWS SDK) still call it for builtins.
const requireShim = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * The admin page's browser script, bundled now and put in place of `bundle-page-script.ts`, so the
 * admin function serves it without esbuild (a devDependency) at run time.
 */
function prebuiltPageScript(script: string): Plugin {
  return {
    name: 'prebuilt-page-script',
    setup(plugin) {
      plugin.onResolve({ filter: /\/bundle-page-script\.ts$/ }, (args) => ({ path: args.path, namespace: 'prebuilt-page-script' }));
      plugin.onLoad({ filter: /.*/, namespace: 'prebuilt-page-script' }, () => ({
        contents: `export const bundlePageScript = async () => ${JSON.stringify(script)};`,
        loader: 'js',
      }));
    },
  };
}

function importsSharp(metafile: Metafile): boolean {
  return Object.values(metafile.outputs).some((output) => output.imports.some((item) => item.path === 'sharp'));
}

async function bundleFunction(
  fn: (typeof lambdaFunctions)[number],
  outDir: string,
  sharpModules: () => string,
  pageScript: string,
): Promise<BuiltFunction> {
  const dir = join(outDir, fn.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: [join(projectRoot, 'handlers', `${fn.name}.ts`)],
    outfile: join(dir, `${fn.name}.mjs`),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    // Node prints original TypeScript positions only with --enable-source-maps (set in serverless.yml).
    sourcesContent: false,
    legalComments: 'linked',
    external,
    plugins: [prebuiltPageScript(pageScript)],
    banner: { js: requireShim },
    metafile: true,
    logLevel: 'warning',
  });

  if (fn.nativeModules) cpSync(sharpModules(), join(dir, 'node_modules'), { recursive: true });
  else if (importsSharp(result.metafile)) {
    throw new Error(`handlers/${fn.name}.ts imports sharp; only the worker ships its native binaries`);
  }

  const zipPath = join(outDir, `${fn.name}.zip`);
  const unzippedBytes = await zipDirectory(dir, zipPath);
  return { name: fn.name, zipPath, unzippedBytes };
}

/**
 * Bundles every handler with esbuild (ESM, minified, tree-shaken, source maps) into `<outDir>/<name>.zip`.
 * The worker zip gets sharp's linux binaries for `architecture`, installed once into `cacheDir`.
 */
export async function bundleFunctions(outDir: string, cacheDir: string, architecture: LambdaArchitecture): Promise<BuiltFunction[]> {
  mkdirSync(outDir, { recursive: true });
  let staged: string | undefined;
  const sharpModules = () => (staged ??= stageSharpForLambda(projectRoot, cacheDir, architecture));
  const pageScript = await bundlePageScript();
  const built: BuiltFunction[] = [];
  for (const fn of lambdaFunctions) built.push(await bundleFunction(fn, outDir, sharpModules, pageScript));
  return built;
}

/**
 * Where `npm run bundle` writes the zips serverless.yml's `package.artifact` entries name: one
 * directory per architecture, so a deploy for one can never pick up a worker built for the other.
 */
export const artifactDir = (architecture: LambdaArchitecture) => join(projectRoot, 'dist/lambda', architecture);
export const defaultCacheDir = join(projectRoot, 'dist/cache');

if (import.meta.main) {
  const { values } = parseArgs({ options: { architecture: { type: 'string', default: LambdaArchitecture.arm64 } } });
  const architecture = values.architecture;
  if (!Object.values<string>(LambdaArchitecture).includes(architecture)) {
    throw new Error(`--architecture must be ${Object.values(LambdaArchitecture).join(' or ')}, not ${JSON.stringify(architecture)}`);
  }
  for (const fn of await bundleFunctions(artifactDir(architecture as LambdaArchitecture), defaultCacheDir, architecture as LambdaArchitecture)) {
    process.stderr.write(`${fn.zipPath}  ${(fn.unzippedBytes / 1024 / 1024).toFixed(1)} MB unzipped\n`);
  }
}
