import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import yauzl from 'yauzl';
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultArtifactDir, lambdaFunctions, projectRoot } from '../../scripts/bundle.ts';
import { packageService, serverlessDir } from '../../scripts/package.ts';
import { installedSharpVersion, sharpBinaryPath } from '../../scripts/sharp-for-lambda.ts';

// Runs exactly what `npm run package` runs, once: dist/lambda/*.zip and .serverless/*.json.
// The first run on a machine fetches sharp for linux-arm64 from the npm registry (then cached in dist/cache).

interface Resource {
  Type: string;
  Properties: Record<string, any>;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

const lambdaZipLimitBytes = 250 * 1024 * 1024;
const templatePath = join(serverlessDir, 'cloudformation-template-update-stack.json');
// cfn-lint (pip install cfn-lint) checks every property against AWS's resource specs; optional here.
const hasCfnLint = spawnSync('cfn-lint', ['--version']).status === 0;
const elfMachineAarch64 = 0xb7;
let resources: Record<string, Resource>;

beforeAll(async () => {
  await packageService('test');
  const template = JSON.parse(readFileSync(templatePath, 'utf8'));
  resources = template.Resources;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const lambda = (name: string) => resources[`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`]!.Properties;
const asList = <T,>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

function statementsOf(role: Resource): Statement[] {
  return (role.Properties.Policies ?? []).flatMap((policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement);
}

function actionsOf(roleName: string): string[] {
  return statementsOf(resources[roleName]!).flatMap((statement) => asList(statement.Action)).sort();
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
  test('every function runs Node 24 on arm64 with its own role and a log group with retention', () => {
    for (const { name } of lambdaFunctions) {
      const fn = lambda(name);
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
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

  test('secrets reach Lambda as CloudFormation dynamic references, never as packaged values', () => {
    for (const { name } of lambdaFunctions) {
      expect(lambda(name).Environment.Variables.DATABASE_URL).toMatch(/^\{\{resolve:(secretsmanager|ssm):/);
    }
    expect(lambda('admin').Environment.Variables.ADMIN_TOKEN).toMatch(/^\{\{resolve:(secretsmanager|ssm):/);
  });

  test('every IAM statement names specific actions on specific resources', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles.map(([name]) => name).sort()).toEqual(['AdminRole', 'ScheduledRole', 'SchedulerRole', 'WorkerRole']);
    for (const [name, role] of [...roles, ...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
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
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
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

  test('alarms watch the DLQ depth and the age of the oldest image message', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    const dlq = alarms.find((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(dlq!.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ImagesDeadLetterQueue', 'QueueName'] } }]);
    const age = alarms.find((alarm) => alarm.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age!.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ImagesQueue', 'QueueName'] } }]);
    for (const alarm of [dlq!, age!]) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
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

test.skipIf(!hasCfnLint)('cfn-lint finds no errors in the template', () => {
  const lint = spawnSync('cfn-lint', ['--format', 'parseable', templatePath], { encoding: 'utf8' });
  // Exit status is a bit mask: 2 = errors, 4 = warnings (osls' redundant DependsOn, the VPC switch), 8 = info.
  expect(lint.status! & 2, lint.stdout).toBe(0);
});

describe('function zips', () => {
  const zipOf = (name: string) => join(defaultArtifactDir, `${name}.zip`);
  const sharpBinary = `node_modules/${sharpBinaryPath(installedSharpVersion(projectRoot))}`;

  test.each(lambdaFunctions.map((fn) => fn.name))('%s.zip holds its handler with a source map, under the Lambda size limit', async (name) => {
    const entries = await zipEntries(zipOf(name));
    expect(entries.has(`${name}.mjs`)).toBe(true);
    expect(entries.has(`${name}.mjs.map`)).toBe(true);
    const unzipped = [...entries.values()].reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    expect(unzipped).toBeLessThan(lambdaZipLimitBytes);
  });

  test('the worker ships sharp built for linux-arm64, not the build machine', async () => {
    const entries = await zipEntries(zipOf('worker'));
    expect(entries.has('node_modules/sharp/package.json')).toBe(true);
    expect(entries.has(sharpBinary)).toBe(true);
    expect([...entries.keys()].some((name) => /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(name))).toBe(true);
    expect([...entries.keys()].filter((name) => /x64|darwin|win32|musl/.test(name))).toEqual([]);
    // ELF header: e_machine (offset 18) is 0xB7 for AArch64.
    const binary = await readZipEntry(zipOf('worker'), sharpBinary);
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(binary.readUInt16LE(18)).toBe(elfMachineAarch64);
  });

  test('admin.zip serves the page script bundled at package time, without esbuild', async () => {
    const handler = (await readZipEntry(zipOf('admin'), 'admin.mjs')).toString('utf8');
    // The page script's own session key, as src/web/page/api.ts spells it.
    expect(handler).toContain('catalog-importer.admin-token');
    expect(handler).not.toContain('esbuild');
  });

  test.each(['scheduled', 'admin'])('%s.zip carries no sharp', async (name) => {
    const entries = await zipEntries(zipOf(name));
    expect([...entries.keys()].filter((entry) => entry.includes('sharp') || entry.startsWith('node_modules/'))).toEqual([]);
  });
});
