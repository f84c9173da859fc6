import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The instruction sets Lambda runs (serverless.yml's `architecture` param). */
export const LambdaArchitecture = { arm64: 'arm64', x86_64: 'x86_64' } as const;
export type LambdaArchitecture = (typeof LambdaArchitecture)[keyof typeof LambdaArchitecture];

/** npm's name for each Lambda architecture (`--cpu`, and the `@img/sharp-linux-<cpu>` packages). */
const npmCpu = { arm64: 'arm64', x86_64: 'x64' } as const satisfies Record<LambdaArchitecture, string>;

/** The platform the worker runs on; sharp's prebuilt binary must match it, not the build machine. */
export function lambdaPlatform(architecture: LambdaArchitecture) {
  return { os: 'linux', cpu: npmCpu[architecture], libc: 'glibc' } as const;
}

/** The native binary (relative to node_modules) that proves a sharp install targets that platform. */
export function sharpBinaryPath(version: string, architecture: LambdaArchitecture): string {
  const { os, cpu } = lambdaPlatform(architecture);
  return `@img/sharp-${os}-${cpu}/lib/sharp-${os}-${cpu}-${version}.node`;
}

/** The sharp version the project builds against, so the zip ships the same API the tests ran. */
export function installedSharpVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules/sharp/package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Installs sharp for linux on `architecture` (glibc) into a cache directory once per version and
 * architecture, and returns its node_modules. npm picks the optional @img/* packages by the --os/--cpu/--libc flags; install scripts
 * are skipped because they would probe (or compile for) the build machine.
 */
export function stageSharpForLambda(root: string, cacheDir: string, architecture: LambdaArchitecture): string {
  const version = installedSharpVersion(root);
  const platform = lambdaPlatform(architecture);
  const prefix = join(cacheDir, `sharp-${version}-${platform.os}-${platform.cpu}-${platform.libc}`);
  const modules = join(prefix, 'node_modules');
  const binary = sharpBinaryPath(version, architecture);
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
      `--os=${platform.os}`,
      `--cpu=${platform.cpu}`,
      `--libc=${platform.libc}`,
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
