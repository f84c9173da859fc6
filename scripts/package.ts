import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { artifactDir, bundleFunctions, defaultCacheDir, projectRoot } from './bundle.ts';
import { checkDeployParams, DeployParamsError, resolveDeployParams } from './deploy-params.ts';
import type { LambdaArchitecture } from './sharp-for-lambda.ts';

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
 * Checks the stage's parameters (refusing with every problem named), bundles the handlers for the
 * chosen architecture into dist/lambda/<architecture>, then writes
 * `.serverless/cloudformation-template-*.json` with `osls package`, offline. `params` are extra osls
 * params (`name=value`), as `--param` gives them. Returns the architecture packaged.
 */
export async function packageService(stage: string, params: string[] = []): Promise<LambdaArchitecture> {
  const env = offlineAwsEnv(process.env);
  const resolved = resolveDeployParams(projectRoot, stage, params, env);
  const problems = checkDeployParams(resolved);
  if (problems.length > 0) throw new DeployParamsError(problems);
  const architecture = resolved.architecture as LambdaArchitecture;

  await bundleFunctions(artifactDir(architecture), defaultCacheDir, architecture);
  const osls = join(projectRoot, 'node_modules/osls/bin/serverless.js');
  const args = [osls, 'package', '--stage', stage, ...params.map((param) => `--param=${param}`)];
  const result = spawnSync(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`osls package exited with ${result.status ?? result.signal}`);
  return architecture;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'dev' },
      param: { type: 'string', multiple: true, default: [] },
    },
  });
  try {
    await packageService(values.stage, values.param);
  } catch (error) {
    if (!(error instanceof DeployParamsError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
