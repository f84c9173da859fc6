import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('runs with nothing set: the embedded stack and documented defaults', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.aws.endpoint).toBeUndefined();
    expect(config.queue).toMatchObject({ name: 'catalog-images', dlqName: 'catalog-images-dlq', maxReceives: 5 });
    expect(config.image).toMatchObject({ maxDimension: 2048, quality: 80 });
    expect(config.fetch.allowedPorts).toEqual([80, 443]);
    expect(config.fetch.allowHosts).toEqual([]);
    expect(config.publicMediaBaseUrl).toBe('https://catalog-media.s3.us-east-1.amazonaws.com');
    expect(config.publicMediaBaseUrlSet).toBe(false);
  });

  it('reads lists, numbers and URLs, and treats empty strings as unset', () => {
    const config = loadConfig({
      FETCH_ALLOWED_PORTS: '443, 8443',
      FETCH_ALLOW_HOSTS: 'mirror.internal, 10.0.0.0/8',
      WORKER_CONCURRENCY: '8',
      PUBLIC_MEDIA_BASE_URL: 'https://media.example.com/',
      DATABASE_URL: '',
    });
    expect(config.fetch.allowedPorts).toEqual([443, 8443]);
    expect(config.fetch.allowHosts).toEqual(['mirror.internal', '10.0.0.0/8']);
    expect(config.worker.concurrency).toBe(8);
    expect(config.publicMediaBaseUrl).toBe('https://media.example.com');
    expect(config.databaseUrl).toBeUndefined();
  });

  it('fails at start naming every missing or malformed variable', () => {
    const attempt = () =>
      loadConfig({ DATABASE_URL: 'mysql://x', WEBP_QUALITY: '101', FETCH_ALLOWED_PORTS: '80,http', ADMIN_TOKEN: 'short' });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of ['DATABASE_URL', 'WEBP_QUALITY', 'FETCH_ALLOWED_PORTS', 'ADMIN_TOKEN']) expect(message).toContain(name);
  });

  it('takes an RDS Proxy endpoint as a host name, with or without a port, and nothing else', () => {
    const endpoint = 'catalog-importer-prod.proxy-abc123.eu-west-1.rds.amazonaws.com';
    expect(loadConfig({ DATABASE_PROXY_ENDPOINT: endpoint }).databaseProxyEndpoint).toBe(endpoint);
    expect(loadConfig({ DATABASE_PROXY_ENDPOINT: 'localhost:6432' }).databaseProxyEndpoint).toBe('localhost:6432');
    for (const wrong of [`postgres://${endpoint}`, `${endpoint}/catalog`, `${endpoint}:`]) {
      expect(() => loadConfig({ DATABASE_PROXY_ENDPOINT: wrong })).toThrow('DATABASE_PROXY_ENDPOINT: must be a host name, or host:port');
    }
  });
});
