import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunctions, defaultArtifactDir, defaultCacheDir, projectRoot } from './bundle.ts';

/** osls always writes the templates here (its `--package` flag does not move them). */
export const serverlessDir = join(projectRoot, '.serverless');

/**
 * `osls package` makes no AWS call, but the SDK still wants credentials to exist: throwaway ones
 * keep packaging offline and make sure a developer's real profile is never touched. (osls v4 has
 * no telemetry, dashboard or update check to switch off.)
 */
function offlineAwsEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...rest } = env;
  return { ...rest, AWS_ACCESS_KEY_ID: 'offline-packaging', AWS_SECRET_ACCESS_KEY: 'offline-packaging' };
}

/**
 * Bundles the handlers into dist/lambda, then writes `.serverless/cloudformation-template-*.json`
 * with `osls package`, offline. `params` are extra osls params (`name=value`).
 */
export async function packageService(stage: string, params: string[] = []): Promise<void> {
  await bundleFunctions(defaultArtifactDir, defaultCacheDir);
  const osls = join(projectRoot, 'node_modules/osls/bin/serverless.js');
  const args = [osls, 'package', '--stage', stage, ...params.map((param) => `--param=${param}`)];
  const result = spawnSync(process.execPath, args, {
    cwd: projectRoot,
    env: offlineAwsEnv(process.env),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`osls package exited with ${result.status ?? result.signal}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'dev' },
      param: { type: 'string', multiple: true, default: [] },
    },
  });
  await packageService(values.stage, values.param);
}
