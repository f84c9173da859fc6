import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LambdaArchitecture } from './sharp-for-lambda.ts';

/** The parameters of serverless.yml as osls resolves them for one stage: defaults, the stage's, then `--param`. */
export type DeployParams = Record<string, string>;

/** Raised before anything is bundled when the parameters describe a stack that cannot work. */
export class DeployParamsError extends Error {
  override name = 'DeployParamsError';

  readonly problems: string[];

  constructor(problems: string[]) {
    super(`refusing to package:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

const DatabaseSsl = ['verify-full', 'require', 'disable'] as const;
const secretName = /^[\w/+=.@-]{1,512}$/;
// A key id (UUID) or a multi-Region key id (mrk-…); IAM needs the key, not an alias.
const kmsKeyId = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const subnetId = /^subnet-[0-9a-f]{8,17}$/;
const securityGroupId = /^sg-[0-9a-f]{8,17}$/;
// An RDS DB instance or cluster identifier: a letter, then letters, digits and single hyphens.
const rdsIdentifier = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/;
// A secret's full ARN: its name, then the 6 characters Secrets Manager appends.
const secretArn = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(?<name>[\w/+=.@-]+)-[A-Za-z0-9]{6}$/;

function splitList(value: string): string[] {
  return value === '' ? [] : value.split(',').map((item) => item.trim());
}

function integer(params: DeployParams, name: string, min: number, max: number, problems: string[]): number | undefined {
  const raw = params[name] ?? '';
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

function checkVpc(params: DeployParams, problems: string[]): void {
  const subnets = splitList(params.vpcSubnetIds ?? '');
  const groups = splitList(params.vpcSecurityGroupIds ?? '');
  if (subnets.length > 0 && groups.length === 0) {
    problems.push('vpcSubnetIds is set but vpcSecurityGroupIds is empty: Lambda needs at least one security group in a VPC (it would get SecurityGroupIds [""]); set both or neither');
  }
  if (groups.length > 0 && subnets.length === 0) {
    problems.push('vpcSecurityGroupIds is set but vpcSubnetIds is empty: the functions would run outside any VPC and ignore the groups; set both or neither');
  }
  for (const subnet of subnets.filter((id) => !subnetId.test(id))) problems.push(`vpcSubnetIds: ${JSON.stringify(subnet)} is not a subnet id (subnet-0123abcd…)`);
  for (const group of groups.filter((id) => !securityGroupId.test(id))) problems.push(`vpcSecurityGroupIds: ${JSON.stringify(group)} is not a security group id (sg-0123abcd…)`);
}

/**
 * RDS Proxy (infra/database-proxy.yml): only inside the functions' VPC, in front of exactly one
 * database, reading the very secret the functions read (the proxy checks their login against it).
 */
function checkDatabaseProxy(params: DeployParams, problems: string[]): void {
  const enabled = params.databaseProxy ?? '';
  const instance = params.databaseProxyInstanceId ?? '';
  const cluster = params.databaseProxyClusterId ?? '';
  const arn = params.databaseSecretArn ?? '';
  const groups = splitList(params.databaseProxySecurityGroupIds ?? '');
  if (enabled !== 'true' && enabled !== 'false') {
    problems.push(`databaseProxy=${JSON.stringify(enabled)}: expected true or false`);
    return;
  }
  if (enabled === 'false') {
    const unused = Object.entries({ databaseProxyInstanceId: instance, databaseProxyClusterId: cluster, databaseSecretArn: arn })
      .filter(([, value]) => value !== '')
      .map(([name]) => name);
    if (groups.length > 0) unused.push('databaseProxySecurityGroupIds');
    if (unused.length > 0) problems.push(`${unused.join(', ')} set but databaseProxy is false: nothing would use it; set databaseProxy=true or remove it`);
    return;
  }
  const subnets = splitList(params.vpcSubnetIds ?? '');
  if (subnets.length === 0) {
    problems.push('databaseProxy=true needs vpcSubnetIds and vpcSecurityGroupIds: RDS Proxy is reachable only inside its VPC, so the functions must run there too');
  } else if (subnets.length < 2) {
    problems.push(`databaseProxy=true needs vpcSubnetIds in at least two Availability Zones (RDS Proxy refuses one subnet); got ${subnets.length}`);
  }
  if (instance === '' && cluster === '') {
    problems.push('databaseProxy=true needs its target: databaseProxyInstanceId (an RDS DB instance identifier) or databaseProxyClusterId (an Aurora DB cluster identifier)');
  }
  if (instance !== '' && cluster !== '') {
    problems.push(`databaseProxyInstanceId=${JSON.stringify(instance)} and databaseProxyClusterId=${JSON.stringify(cluster)} are both set: the proxy targets one database; keep one`);
  }
  for (const [name, value] of [['databaseProxyInstanceId', instance], ['databaseProxyClusterId', cluster]] as const) {
    if (value !== '' && !rdsIdentifier.test(value)) problems.push(`${name}=${JSON.stringify(value)}: expected an RDS identifier (a letter, then letters, digits and single hyphens, at most 63)`);
  }
  const arnName = secretArn.exec(arn)?.groups?.name;
  if (arnName === undefined) {
    problems.push(`databaseSecretArn=${JSON.stringify(arn)}: databaseProxy=true needs the full ARN of databaseSecretName (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf): RDS Proxy takes no name`);
  } else if (arnName !== params.databaseSecretName) {
    problems.push(`databaseSecretArn names the secret ${JSON.stringify(arnName)}, not databaseSecretName=${JSON.stringify(params.databaseSecretName ?? '')}: the proxy must check logins against the secret the functions log in with`);
  }
  for (const group of groups.filter((id) => !securityGroupId.test(id))) problems.push(`databaseProxySecurityGroupIds: ${JSON.stringify(group)} is not a security group id (sg-0123abcd…)`);
  if (params.databaseSsl === 'disable') problems.push('databaseSsl=disable with databaseProxy=true: the proxy requires TLS (RequireTLS), so every connection would be refused');
  integer(params, 'databaseProxyMaxConnectionsPercent', 1, 100, problems);
}

function checkSecretName(params: DeployParams, name: string, problems: string[]): void {
  const value = params[name] ?? '';
  if (!secretName.test(value) || value.startsWith('arn:')) {
    // What is not a name may be the secret itself pasted in its place: it is never echoed into a log.
    const shown = value.startsWith('arn:')
      ? JSON.stringify(value)
      : `<not shown: ${value.length} characters, ${JSON.stringify([...value].find((c) => !secretName.test(c)) ?? '')} is not allowed in a name>`;
    problems.push(`${name}=${shown}: expected the name of a Secrets Manager secret in the stack's account and region (letters, digits and /_+=.@-), not an ARN or a value`);
  }
}

/**
 * Every problem with the parameters, each naming the parameter, its value and what is expected;
 * empty when the stack can be packaged.
 */
export function checkDeployParams(params: DeployParams): string[] {
  const problems: string[] = [];
  const architectures = Object.values<string>(LambdaArchitecture);
  if (!architectures.includes(params.architecture ?? '')) {
    problems.push(`architecture=${JSON.stringify(params.architecture ?? '')}: expected ${architectures.join(' or ')}`);
  }
  checkVpc(params, problems);
  checkSecretName(params, 'databaseSecretName', problems);
  checkSecretName(params, 'adminTokenSecretName', problems);
  if ((params.feedSecretsName ?? '') !== '') checkSecretName(params, 'feedSecretsName', problems);
  checkDatabaseProxy(params, problems);
  const kmsKey = params.secretsKmsKeyId ?? '';
  if (kmsKey !== '' && !kmsKeyId.test(kmsKey)) problems.push(`secretsKmsKeyId=${JSON.stringify(kmsKey)}: expected a KMS key id (1234abcd-12ab-34cd-56ef-1234567890ab, or mrk-…) or empty`);
  if (!(DatabaseSsl as readonly string[]).includes(params.databaseSsl ?? '')) {
    problems.push(`databaseSsl=${JSON.stringify(params.databaseSsl ?? '')}: expected ${DatabaseSsl.join(', ')}`);
  }
  if (params.tickReservedConcurrency !== 'none') integer(params, 'tickReservedConcurrency', 1, 1000, problems);
  integer(params, 'workerMaxConcurrency', 2, 1000, problems);
  const timeout = integer(params, 'workerTimeout', 1, 900, problems);
  const visibility = integer(params, 'imagesVisibilityTimeout', 0, 43_200, problems);
  if (timeout !== undefined && visibility !== undefined && visibility < 6 * timeout) {
    problems.push(`imagesVisibilityTimeout=${visibility} is under 6 × workerTimeout (${6 * timeout}): AWS requires at least that for an SQS event source`);
  }
  const fetchTimeout = integer(params, 'fetchResponseTimeoutMs', 1, 900_000, problems);
  if (timeout !== undefined && fetchTimeout !== undefined && fetchTimeout + 10_000 > timeout * 1000) {
    problems.push(`fetchResponseTimeoutMs=${fetchTimeout} + 10 s does not fit in workerTimeout=${timeout} s: the worker would start no image`);
  }
  const batchSize = integer(params, 'workerBatchSize', 1, 10_000, problems);
  const batchWindow = integer(params, 'workerBatchWindow', 0, 300, problems);
  if (batchSize !== undefined && batchSize > 10 && batchWindow === 0) {
    problems.push(`workerBatchSize=${batchSize} needs workerBatchWindow ≥ 1: SQS allows batches over 10 only with a batching window`);
  }
  return problems;
}

/** `name=value` pairs from `--param`, in order (a later one wins, as in osls). */
export function parseParamFlags(flags: string[]): { params: DeployParams; problems: string[] } {
  const params: DeployParams = {};
  const problems: string[] = [];
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) problems.push(`--param=${JSON.stringify(flag)}: expected name=value`);
    else params[flag.slice(0, at)] = flag.slice(at + 1);
  }
  return { params, problems };
}

/**
 * The parameters osls will package `stage` with: serverless.yml's `params.default`, then
 * `params.<stage>` (both resolved by `osls print`, offline), then the `--param` flags.
 */
export function resolveDeployParams(root: string, stage: string, flags: string[], env: NodeJS.ProcessEnv): DeployParams {
  const { params: fromFlags, problems } = parseParamFlags(flags);
  if (problems.length > 0) throw new DeployParamsError(problems);
  const osls = join(root, 'node_modules/osls/bin/serverless.js');
  const printed = spawnSync(process.execPath, [osls, 'print', '--format', 'json', '--stage', stage], { cwd: root, env, encoding: 'utf8' });
  if (printed.status !== 0) throw new Error(`osls print exited with ${printed.status ?? printed.signal}: ${printed.stderr}`);
  const blocks = (JSON.parse(printed.stdout) as { params?: Record<string, Record<string, unknown>> }).params ?? {};
  const merged = { ...blocks.default, ...blocks[stage] };
  return { ...Object.fromEntries(Object.entries(merged).map(([name, value]) => [name, String(value ?? '')])), ...fromFlags };
}
