import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactDir, lambdaFunctions, projectRoot } from '../../scripts/bundle.ts';
import { feedSecretPrefix, loadConfig } from '../../src/config.ts';
import { DeployParamsError } from '../../scripts/deploy-params.ts';
import { packageService, serverlessDir } from '../../scripts/package.ts';
import { installedSharpVersion, type LambdaArchitecture, sharpBinaryPath } from '../../scripts/sharp-for-lambda.ts';

// Runs exactly what `npm run package` runs, twice: once for x86_64 with every optional parameter set
// (secret names, a KMS key, a VPC, RDS Proxy, no reserved concurrency), kept aside, then the defaults (arm64), left
// in dist/lambda/arm64 and .serverless. The first run on a machine fetches sharp for each architecture
// from the npm registry (then cached in dist/cache).

interface Resource {
  Type: string;
  Properties: Record<string, any>;
  Condition?: string;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

interface Template {
  Conditions: Record<string, unknown>;
  Resources: Record<string, Resource>;
}

const lambdaZipLimitBytes = 250 * 1024 * 1024;
const templatePath = join(serverlessDir, 'cloudformation-template-update-stack.json');
// cfn-lint (pip install cfn-lint) checks every property against AWS's resource specs; optional here.
const hasCfnLint = spawnSync('cfn-lint', ['--version']).status === 0;
const elfMachine = { arm64: 0xb7, x86_64: 0x3e } as const satisfies Record<LambdaArchitecture, number>;
const hardened = {
  databaseSecretName: 'prod/catalog/database',
  adminTokenSecretName: 'prod/catalog/admin-token',
  feedSecretsName: 'prod/catalog/feeds',
  secretsKmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  tickReservedConcurrency: 'none',
  vpcSubnetIds: 'subnet-0123abcd,subnet-4567ef01',
  vpcSecurityGroupIds: 'sg-0123abcd',
  databaseProxy: 'true',
  databaseProxyClusterId: 'catalog-prod',
  databaseSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/catalog/database-AbC123',
  databaseProxySecurityGroupIds: 'sg-89abcdef',
};
const aside = mkdtempSync(join(tmpdir(), 'catalog-importer-x86-'));
let resources: Record<string, Resource>;
let x86Resources: Record<string, Resource>;

/** The template as CloudFormation would deploy it: resources whose condition is false gone, every Fn::If decided, NoValue removed. */
function decideConditions(template: Template): Record<string, Resource> {
  const noValue = Symbol('NoValue');
  const evaluate = (value: any): any => {
    if (Array.isArray(value)) return value.map(evaluate);
    if (value === null || typeof value !== 'object') return value;
    if ('Fn::Equals' in value) return String(evaluate(value['Fn::Equals'][0])) === String(evaluate(value['Fn::Equals'][1]));
    if ('Fn::Not' in value) return !evaluate(value['Fn::Not'][0]);
    if ('Fn::Select' in value) return evaluate(value['Fn::Select'][1])[value['Fn::Select'][0]];
    if ('Fn::Split' in value) return String(evaluate(value['Fn::Split'][1])).split(value['Fn::Split'][0]);
    if ('Condition' in value && Object.keys(value).length === 1) return evaluate(template.Conditions[value.Condition]);
    return value;
  };
  const decide = (value: any): any => {
    if (Array.isArray(value)) return value.map(decide).filter((item) => item !== noValue);
    if (value === null || typeof value !== 'object') return value;
    if (value.Ref === 'AWS::NoValue') return noValue;
    if ('Fn::If' in value) {
      const [condition, whenTrue, whenFalse] = value['Fn::If'];
      return decide(evaluate(template.Conditions[condition]) ? whenTrue : whenFalse);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decide(item)]).filter(([, item]) => item !== noValue));
  };
  const kept = Object.entries(template.Resources).filter(([, resource]) => !resource.Condition || evaluate(template.Conditions[resource.Condition]));
  return decide(Object.fromEntries(kept));
}

const readTemplate = () => JSON.parse(readFileSync(templatePath, 'utf8')) as Template;

beforeAll(async () => {
  await packageService('test', ['architecture=x86_64', ...Object.entries(hardened).map(([name, value]) => `${name}=${value}`)]);
  x86Resources = decideConditions(readTemplate());
  cpSync(join(artifactDir('x86_64'), 'worker.zip'), join(aside, 'worker.zip'));
  cpSync(templatePath, join(aside, 'template.json'));
  await packageService('test');
  resources = decideConditions(readTemplate());
}, 600_000);

afterAll(() => rmSync(aside, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const lambda = (name: string) => resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties;
const asList = <T,>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

function statementsOf(role: Resource): Statement[] {
  return (role.Properties.Policies ?? []).flatMap((policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement);
}

function actionsOf(roleName: string, from = resources): string[] {
  return statementsOf(from[roleName]!).flatMap((statement) => asList(statement.Action)).sort();
}

function resourcesAllowed(roleName: string, action: string, from = resources): unknown[] {
  return statementsOf(from[roleName]!)
    .filter((statement) => asList(statement.Action).includes(action))
    .flatMap((statement) => asList(statement.Resource));
}

async function zipEntries(zipPath: string): Promise<Map<string, yauzl.Entry>> {
  const zip = await yauzl.openPromise(zipPath);
  const entries = new Map<string, yauzl.Entry>();
  for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  zip.close();
  return entries;
}

async function readZipEntry(zipPath: string, fileName: string): Promise<Buffer> {
  const zip = await yauzl.openPromise(zipPath);
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName === fileName) return await buffer(await zip.openReadStreamPromise(entry));
    }
    throw new Error(`${fileName} not in ${zipPath}`);
  } finally {
    zip.close();
  }
}

describe('CloudFormation template', () => {
  test('every function runs Node 24 on the architecture asked for, with its own role and a log group with retention', () => {
    for (const { name } of lambdaFunctions) {
      const fn = lambda(name);
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(x86Resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties.Architectures).toEqual(['x86_64']);
      expect(fn.Handler).toBe(`${name}.handler`);
      expect(fn.Role).toEqual({ 'Fn::GetAtt': [`${name[0]!.toUpperCase()}${name.slice(1)}Role`, 'Arn'] });
    }
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(lambdaFunctions.length);
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  test('EventBridge Scheduler ticks every 2 hours under the name the admin controls', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const [, schedule] = schedules[0]!;
    expect(schedule.Properties.ScheduleExpression).toBe('rate(2 hours)');
    expect(schedule.Properties.Name).toBe(lambda('admin').Environment.Variables.SCHEDULE_NAME);
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': ['ScheduledLambdaFunction', 'Arn'] });
    expect(schedule.Properties.Target.RoleArn).toEqual({ 'Fn::GetAtt': ['SchedulerRole', 'Arn'] });
  });

  test('the worker drains the images queue with partial batch failures and a concurrency cap', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties.EventSourceArn).toEqual({ 'Fn::GetAtt': ['ImagesQueue', 'Arn'] });
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const maximumConcurrency = mapping.Properties.ScalingConfig.MaximumConcurrency;
    expect(maximumConcurrency).toBeGreaterThanOrEqual(2);
    const reserved = lambda('worker').ReservedConcurrentExecutions;
    if (reserved !== undefined) expect(maximumConcurrency).toBeLessThanOrEqual(reserved);
    expect(mapping.Properties.BatchSize).toBeGreaterThan(0);
    expect(mapping.Properties.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(0);
  });

  test('the images queue dead-letters after MAX_RECEIVES and outlives 6 worker timeouts', () => {
    const queue = resources.ImagesQueue!.Properties;
    const worker = lambda('worker');
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['ImagesDeadLetterQueue', 'Arn'] });
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(Number(worker.Environment.Variables.MAX_RECEIVES));
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Timeout);
    expect(worker.Environment.Variables.MALLOC_ARENA_MAX).toBe('2');
  });

  test('no function carries a secret: only the ids of the secrets it reads at run time', () => {
    for (const template of [resources, x86Resources]) {
      for (const [name, resource] of ofType('AWS::Lambda::Function').map(([id]) => [id, template[id]!] as const)) {
        const variables = resource.Properties.Environment.Variables;
        expect(JSON.stringify(resource.Properties.Environment), name).not.toContain('{{resolve:');
        expect(variables.DATABASE_URL, name).toBeUndefined();
        expect(variables.ADMIN_TOKEN, name).toBeUndefined();
        expect(variables.DATABASE_SECRET_ID, name).toEqual(expect.any(String));
      }
    }
    expect(lambda('admin').Environment.Variables.ADMIN_TOKEN_SECRET_ID).toBe('catalog-importer/test/admin-token');
    for (const template of [resources, x86Resources]) {
      for (const [name] of ofType('AWS::Lambda::Function')) {
        const variables = Object.keys(template[name]!.Properties.Environment.Variables);
        expect(variables.filter((variable) => variable.startsWith(feedSecretPrefix)), name).toEqual([]);
      }
    }
    expect(lambda('worker').Environment.Variables.ADMIN_TOKEN_SECRET_ID).toBeUndefined();
    expect(x86Resources.AdminLambdaFunction!.Properties.Environment.Variables.ADMIN_TOKEN_SECRET_ID).toBe(hardened.adminTokenSecretName);
  });

  test('feedSecretsName puts only the feed secret\'s name in the environment of the tick and the admin API, and is absent without it', () => {
    for (const { name } of lambdaFunctions) expect(lambda(name).Environment.Variables.FEED_SECRETS_SECRET_ID, name).toBeUndefined();
    const variables = (name: string) => x86Resources[`${name}LambdaFunction`]!.Properties.Environment.Variables;
    expect(variables('Scheduled').FEED_SECRETS_SECRET_ID).toBe(hardened.feedSecretsName);
    expect(variables('Admin').FEED_SECRETS_SECRET_ID).toBe(hardened.feedSecretsName);
    expect(variables('Worker').FEED_SECRETS_SECRET_ID).toBeUndefined();
  });

  test('every function verifies the database against Amazon CA bundle', () => {
    for (const { name } of lambdaFunctions) {
      expect(lambda(name).Environment.Variables).toMatchObject({ NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem', DATABASE_SSL: 'verify-full' });
    }
  });

  test('each role reads exactly its secrets, by ARN, and decrypts only with the key given, through Secrets Manager', () => {
    const arn = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}-??????` });
    for (const role of ['ScheduledRole', 'WorkerRole']) {
      expect(resourcesAllowed(role, 'secretsmanager:GetSecretValue')).toEqual([arn('catalog-importer/test/database')]);
    }
    expect(resourcesAllowed('AdminRole', 'secretsmanager:GetSecretValue')).toEqual([arn('catalog-importer/test/database'), arn('catalog-importer/test/admin-token')]);
    // With feedSecretsName: the feed secret, for the two functions that fetch feeds (the tick, fetch now) and no other.
    expect(resourcesAllowed('ScheduledRole', 'secretsmanager:GetSecretValue', x86Resources)).toEqual([arn(hardened.databaseSecretName), arn(hardened.feedSecretsName)]);
    expect(resourcesAllowed('WorkerRole', 'secretsmanager:GetSecretValue', x86Resources)).toEqual([arn(hardened.databaseSecretName)]);
    expect(resourcesAllowed('AdminRole', 'secretsmanager:GetSecretValue', x86Resources)).toEqual([
      arn(hardened.databaseSecretName),
      arn(hardened.adminTokenSecretName),
      arn(hardened.feedSecretsName),
    ]);
    for (const role of ['ScheduledRole', 'WorkerRole', 'AdminRole']) {
      expect(actionsOf(role)).not.toContain('kms:Decrypt');
      expect(statementsOf(x86Resources[role]!).find((statement) => statement.Action === 'kms:Decrypt')).toMatchObject({
        Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/${hardened.secretsKmsKeyId}` },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
      });
    }
  });

  test('the tick reserves one concurrent execution unless told not to; VPC placement takes subnets and groups together', () => {
    expect(lambda('scheduled').ReservedConcurrentExecutions).toBe(1);
    expect(x86Resources.ScheduledLambdaFunction!.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(lambda('worker').VpcConfig).toBeUndefined();
    for (const { name } of lambdaFunctions) {
      expect(x86Resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties.VpcConfig).toEqual({
        SubnetIds: { 'Fn::Split': [',', hardened.vpcSubnetIds] },
        SecurityGroupIds: { 'Fn::Split': [',', hardened.vpcSecurityGroupIds] },
      });
    }
  });

  test('every IAM statement names specific actions on specific resources', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles.map(([name]) => name).sort()).toEqual(['AdminRole', 'ScheduledRole', 'SchedulerRole', 'WorkerRole']);
    const x86Roles = Object.entries(x86Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .map(([name, role]) => [`${name} (x86_64, every option)`, role] as const);
    expect(x86Roles.map(([name]) => name)).toContain('DatabaseProxyRole (x86_64, every option)');
    for (const [name, role] of [...roles, ...x86Roles, ...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
      for (const statement of statementsOf(role)) {
        const where = `${name}: ${JSON.stringify(statement)}`;
        expect(statement.Effect, where).toBe('Allow');
        expect(statement.NotAction, where).toBeUndefined();
        expect(statement.NotResource, where).toBeUndefined();
        for (const action of asList(statement.Action)) expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        for (const resource of asList(statement.Resource)) {
          expect(resource, where).not.toBe('*');
          if (typeof resource === 'string') expect(resource, where).not.toMatch(/:\*$/);
        }
      }
    }
  });

  test('each role allows exactly the calls its function makes', () => {
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue'];
    expect(actionsOf('WorkerRole')).toEqual(
      [...logs, 's3:PutObject', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].sort(),
    );
    expect(actionsOf('ScheduledRole')).toEqual(
      [...logs, 's3:GetObject', 's3:ListBucket', 'sqs:GetQueueAttributes', 'sqs:SendMessage'].sort(),
    );
    expect(new Set(actionsOf('AdminRole'))).toEqual(
      new Set([
        ...logs,
        's3:PutObject',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:SendMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:PurgeQueue',
        'sqs:StartMessageMoveTask',
        'scheduler:GetSchedule',
        'scheduler:UpdateSchedule',
        'scheduler:CreateSchedule',
        'iam:PassRole',
      ]),
    );
    expect(actionsOf('SchedulerRole')).toEqual(['lambda:InvokeFunction']);
    // Logs only into the function's own group.
    for (const { name } of lambdaFunctions) {
      const title = `${name[0]!.toUpperCase()}${name.slice(1)}`;
      const logStatement = statementsOf(resources[`${title}Role`]!).find((statement) => asList(statement.Action).includes('logs:PutLogEvents'));
      expect(logStatement?.Resource).toEqual({ 'Fn::GetAtt': [`${title}LogGroup`, 'Arn'] });
    }
  });

  test('without databaseProxy there is no RDS Proxy, no role for it and no DATABASE_PROXY_ENDPOINT', () => {
    expect(Object.values(resources).filter((resource) => resource.Type.startsWith('AWS::RDS::'))).toEqual([]);
    expect(resources.DatabaseProxyRole).toBeUndefined();
    for (const { name } of lambdaFunctions) expect(lambda(name).Environment.Variables.DATABASE_PROXY_ENDPOINT).toBeUndefined();
  });

  test('databaseProxy=true puts a TLS-only RDS Proxy in the VPC before the cluster, and every function connects through it', () => {
    const proxy = x86Resources.DatabaseProxy!;
    expect(proxy.Type).toBe('AWS::RDS::DBProxy');
    expect(proxy.Properties).toMatchObject({
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      RoleArn: { 'Fn::GetAtt': ['DatabaseProxyRole', 'Arn'] },
      Auth: [{ AuthScheme: 'SECRETS', SecretArn: hardened.databaseSecretArn, IAMAuth: 'DISABLED', ClientPasswordAuthType: 'POSTGRES_SCRAM_SHA_256' }],
      VpcSubnetIds: { 'Fn::Split': [',', hardened.vpcSubnetIds] },
      VpcSecurityGroupIds: { 'Fn::Split': [',', hardened.databaseProxySecurityGroupIds] },
    });
    const targets = x86Resources.DatabaseProxyTargetGroup!;
    expect(targets.Type).toBe('AWS::RDS::DBProxyTargetGroup');
    expect(targets.Properties).toMatchObject({ DBProxyName: { Ref: 'DatabaseProxy' }, TargetGroupName: 'default', DBClusterIdentifiers: [hardened.databaseProxyClusterId] });
    expect(targets.Properties.DBInstanceIdentifiers).toBeUndefined();
    for (const { name } of lambdaFunctions) {
      const variables = x86Resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties.Environment.Variables;
      expect(variables.DATABASE_PROXY_ENDPOINT, name).toEqual({ 'Fn::GetAtt': ['DatabaseProxy', 'Endpoint'] });
      // The pool leaves its timeouts out behind the proxy (refused as startup parameters): the proxy sets the same ones.
      expect(targets.Properties.ConnectionPoolConfigurationInfo.InitQuery, name).toBe(
        `SET lock_timeout = ${variables.DATABASE_LOCK_TIMEOUT_MS}; SET statement_timeout = ${variables.DATABASE_STATEMENT_TIMEOUT_MS}; ` +
          `SET idle_in_transaction_session_timeout = ${variables.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
      );
    }
  });

  test('the functions get the timeouts the code defaults to, so stating them for the proxy changed nothing', () => {
    const defaults = loadConfig({}).databaseTimeouts;
    for (const { name } of lambdaFunctions) {
      const database = Object.entries(lambda(name).Environment.Variables).filter(([variable]) => variable.startsWith('DATABASE_'));
      expect(loadConfig(Object.fromEntries(database) as Record<string, string>).databaseTimeouts, name).toEqual(defaults);
    }
  });

  test('the proxy role reads exactly the database secret, by its full ARN, and decrypts only through Secrets Manager', () => {
    const role = x86Resources.DatabaseProxyRole!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'rds.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(actionsOf('DatabaseProxyRole', x86Resources)).toEqual(['kms:Decrypt', 'secretsmanager:GetSecretValue']);
    expect(resourcesAllowed('DatabaseProxyRole', 'secretsmanager:GetSecretValue', x86Resources)).toEqual([hardened.databaseSecretArn]);
    expect(statementsOf(role).find((statement) => statement.Action === 'kms:Decrypt')).toMatchObject({
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' } } },
    });
  });

  test('alarms watch the DLQ depth and the age of the oldest image message', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const dlq = alarms.find((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(dlq!.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ImagesDeadLetterQueue', 'QueueName'] } }]);
    const age = alarms.find((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age!.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ImagesQueue', 'QueueName'] } }]);
    for (const alarm of [dlq!, age!]) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  test('an alarm watches failed supplier feed fetches, as the scheduled handler publishes them', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const feeds = alarms.find((alarm) => alarm.MetricName === 'FeedFetchesFailed');
    expect(feeds).toMatchObject({ Namespace: 'CatalogImporter', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: 'AlarmTopic' }] });
    expect(feeds!.Dimensions).toEqual([{ Name: 'service', Value: 'scheduled' }]);
  });

  test('buckets block public access; uploads expire; media is read only through CloudFront', () => {
    for (const bucket of ['MediaBucket', 'UploadsBucket']) {
      expect(resources[bucket]!.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
    }
    const rules = resources.UploadsBucket!.Properties.LifecycleConfiguration.Rules;
    expect(rules.find((rule: { Prefix?: string }) => rule.Prefix === 'uploads/')?.ExpirationInDays).toBeGreaterThan(0);
    const [grant] = resources.MediaBucketPolicy!.Properties.PolicyDocument.Statement;
    expect(grant).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' });
  });
});

describe('parameters checked before anything is bundled', () => {
  const inVpc = ['vpcSubnetIds=subnet-0123abcd,subnet-4567ef01', 'vpcSecurityGroupIds=sg-0123abcd'];
  const proxySecret = 'databaseSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:catalog-importer/test/database-AbC123';
  test.each([
    [['vpcSubnetIds=subnet-0123abcd'], 'vpcSubnetIds is set but vpcSecurityGroupIds is empty'],
    [['architecture=sparc'], 'architecture="sparc": expected arm64 or x86_64'],
    [['databaseSecretName={{resolve:secretsmanager:db}}'], 'databaseSecretName=<not shown: 29 characters, "{" is not allowed in a name>'],
    [['feedSecretsName=arn:aws:secretsmanager:eu-west-1:123456789012:secret:feeds-AbC123'], 'feedSecretsName="arn:'],
    [['workerTimeout=120'], 'imagesVisibilityTimeout=360 is under 6 × workerTimeout (720)'],
    [['databaseProxy=true'], 'databaseProxy=true needs vpcSubnetIds and vpcSecurityGroupIds'],
    [['databaseProxy=true', 'vpcSubnetIds=subnet-0123abcd', 'vpcSecurityGroupIds=sg-0123abcd'], 'needs vpcSubnetIds in at least two Availability Zones'],
    [['databaseProxy=true', ...inVpc, proxySecret], 'databaseProxy=true needs its target: databaseProxyInstanceId'],
    [['databaseProxy=true', ...inVpc, proxySecret, 'databaseProxyInstanceId=catalog-db', 'databaseProxyClusterId=catalog'], 'are both set: the proxy targets one database'],
    [['databaseProxy=true', ...inVpc, 'databaseProxyInstanceId=catalog-db'], 'databaseSecretArn="": databaseProxy=true needs the full ARN of databaseSecretName'],
    [['databaseProxy=true', ...inVpc, 'databaseProxyInstanceId=catalog-db', proxySecret.replace('/database-', '/other-')], 'databaseSecretArn names the secret'],
    [['databaseProxy=true', ...inVpc, proxySecret, 'databaseProxyInstanceId=catalog-db', 'databaseSsl=disable'], 'the proxy requires TLS'],
    [['databaseProxyClusterId=catalog'], 'databaseProxyClusterId set but databaseProxy is false'],
  ])('%j is refused, naming the parameter', async (params, message) => {
    const refused = packageService('test', params);
    await expect(refused).rejects.toThrow(DeployParamsError);
    await expect(refused).rejects.toThrow(message);
  });

  test('a secret pasted where its name goes is refused without being echoed', async () => {
    const refused = packageService('test', ['feedSecretsName={"FEED_SECRET_ACME":"Bearer s3cr3t-token"}']);
    await expect(refused).rejects.toThrow('feedSecretsName=<not shown: 42 characters');
    await expect(refused).rejects.not.toThrow('s3cr3t');
  });
});

test.skipIf(!hasCfnLint).each(['defaults', 'x86_64 with every option'])('cfn-lint finds no errors in the template (%s)', (variant) => {
  const path = variant === 'defaults' ? templatePath : join(aside, 'template.json');
  const lint = spawnSync('cfn-lint', ['--format', 'parseable', path], { encoding: 'utf8' });
  // Exit status is a bit mask: 2 = errors, 4 = warnings (osls' redundant DependsOn, the VPC switch), 8 = info.
  expect(lint.status! & 2, lint.stdout).toBe(0);
});

describe('function zips', () => {
  const zipOf = (name: string) => join(artifactDir('arm64'), `${name}.zip`);
  const version = installedSharpVersion(projectRoot);

  test.each(lambdaFunctions.map((fn) => fn.name))('%s.zip holds its handler with a source map, under the Lambda size limit', async (name) => {
    const entries = await zipEntries(zipOf(name));
    expect(entries.has(`${name}.mjs`)).toBe(true);
    expect(entries.has(`${name}.mjs.map`)).toBe(true);
    const unzipped = [...entries.values()].reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    expect(unzipped).toBeLessThan(lambdaZipLimitBytes);
  });

  test.each([
    { architecture: 'arm64', cpu: 'arm64', other: /x64|darwin|win32|musl/, zip: () => zipOf('worker') },
    { architecture: 'x86_64', cpu: 'x64', other: /arm64|darwin|win32|musl/, zip: () => join(aside, 'worker.zip') },
  ] as const)('the $architecture worker ships sharp built for linux-$cpu, not the build machine', async ({ architecture, cpu, other, zip }) => {
    const sharpBinary = `node_modules/${sharpBinaryPath(version, architecture)}`;
    const entries = await zipEntries(zip());
    expect(entries.has('node_modules/sharp/package.json')).toBe(true);
    expect(entries.has(`node_modules/@img/sharp-linux-${cpu}/package.json`)).toBe(true);
    expect(entries.has(sharpBinary)).toBe(true);
    expect([...entries.keys()].some((name) => name.startsWith(`node_modules/@img/sharp-libvips-linux-${cpu}/lib/libvips-cpp.so`))).toBe(true);
    expect([...entries.keys()].filter((name) => other.test(name))).toEqual([]);
    // ELF header: e_machine (offset 18) is 0xB7 for AArch64, 0x3E for x86-64.
    const binary = await readZipEntry(zip(), sharpBinary);
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(binary.readUInt16LE(18)).toBe(elfMachine[architecture]);
  });

  test('admin.zip serves the page script bundled at package time, without esbuild', async () => {
    const handler = (await readZipEntry(zipOf('admin'), 'admin.mjs')).toString('utf8');
    // The page script's own session key, as src/web/page/api.ts spells it.
    expect(handler).toContain('catalog-importer.admin-token');
    // No import of the esbuild package (undici, bundled for supplier feeds, merely names `esbuildDetection`).
    expect(handler).not.toMatch(/["']esbuild(\/[^"']*)?["']/);
  });

  test.each(['scheduled', 'admin'])('%s.zip carries no sharp', async (name) => {
    const entries = await zipEntries(zipOf(name));
    expect([...entries.keys()].filter((entry) => entry.includes('sharp') || entry.startsWith('node_modules/'))).toEqual([]);
  });
});
