import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A stand-in for the Secrets Manager JSON API (the one thing here that cannot run locally): answers
 * GetSecretValue from `secrets` as AWS does (ResourceNotFoundException for an unknown id) and records
 * the id of every request. `client` is the real SDK client pointed at it.
 */
export async function startSecretsManagerFake(initial: Record<string, string>) {
  const secrets = new Map(Object.entries(initial));
  const requests: Array<{ action: string; secretId: string }> = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { SecretId } = JSON.parse(Buffer.concat(chunks).toString()) as { SecretId: string };
    const action = String(req.headers['x-amz-target']).split('.').pop()!;
    requests.push({ action, secretId: SecretId });
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    const value = secrets.get(SecretId);
    if (action !== 'GetSecretValue' || value === undefined) {
      return reply(400, { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });
    }
    return reply(200, {
      ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}-AbCdEf`,
      Name: SecretId,
      SecretString: value,
      VersionId: `v${requests.length}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SecretsManagerClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  return {
    client,
    secrets,
    requests,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
