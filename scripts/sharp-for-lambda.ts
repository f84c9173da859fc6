import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Lambda platform the worker runs on; sharp's prebuilt binary must match it, not the build machine. */
export const lambdaPlatform = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

/** The native binary (relative to node_modules) that proves a sharp install targets the Lambda platform. */
export function sharpBinaryPath(version: string): string {
  const platform = `${lambdaPlatform.os}-${lambdaPlatform.cpu}`;
  return `@img/sharp-${platform}/lib/sharp-${platform}-${version}.node`;
}

/** The sharp version the project builds against, so the zip ships the same API the tests ran. */
export function installedSharpVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules/sharp/package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Installs sharp for linux-arm64 (glibc) into a cache directory once per version and returns its
 * node_modules. npm picks the optional @img/* packages by the --os/--cpu/--libc flags; install scripts
 * are skipped because they would probe (or compile for) the build machine.
 */
export function stageSharpForLambda(root: string, cacheDir: string): string {
  const version = installedSharpVersion(root);
  const prefix = join(cacheDir, `sharp-${version}-${lambdaPlatform.os}-${lambdaPlatform.cpu}-${lambdaPlatform.libc}`);
  const modules = join(prefix, 'node_modules');
  const binary = sharpBinaryPath(version);
  if (existsSync(join(modules, binary))) return modules;

  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), '{ "private": true }\n');
  execFileSync(
    'npm',
    [
      'install',
      `sharp@${version}`,
      '--prefix', prefix,
      `--os=${lambdaPlatform.os}`,
      `--cpu=${lambdaPlatform.cpu}`,
      `--libc=${lambdaPlatform.libc}`,
      '--omit=dev',
      '--ignore-scripts',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (!existsSync(join(modules, binary))) {
    throw new Error(`npm installed sharp@${version} into ${prefix} without ${binary}`);
  }
  return modules;
}
