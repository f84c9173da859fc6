import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Debian's PostgreSQL server binaries (initdb, pg_ctl), newest version first; undefined when not installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((version) => existsSync(join(root, version, 'bin/initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a certificate it signed for CN=localhost (DNS:localhost only, so 127.0.0.1 does not match). */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=catalog-importer test CA', '-days', '2'], dir);
  openssl(['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-subj', '/CN=some other CA', '-days', '2'], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
}

export interface TlsPostgres {
  port: number;
  /** The CA that signed the server's certificate, and one that did not. */
  caFile: string;
  otherCaFile: string;
  /** A URL for `user` (superuser `postgres`, password `password`) on `host` (localhost or 127.0.0.1). */
  url(options?: { host?: string; user?: string; password?: string }): string;
  stop(): void;
}

/**
 * A throwaway PostgreSQL cluster on a free loopback port that accepts TLS only (`hostssl`, SCRAM
 * passwords; plaintext has no pg_hba entry), its certificate signed by a CA made for it. Run as the
 * `postgres` user when the tests run as root (initdb refuses root).
 */
export async function startTlsPostgres(binDir: string): Promise<TlsPostgres> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'catalog-importer-tls-pg-'));
  const data = join(dir, 'data');
  makeCertificates(dir);
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(binDir, command), ...args]] : [join(binDir, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  writeFileSync(join(dir, 'pwfile'), 'password\n');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    for (const file of ['', 'server.key', 'server.pem', 'ca.pem', 'pwfile']) chownSync(join(dir, file), uid, gid);
  }
  chmodSync(join(dir, 'server.key'), 0o600);
  run('initdb', ['-D', data, '-U', 'postgres', '--pwfile', join(dir, 'pwfile'), '-A', 'scram-sha-256', '--no-sync', '--no-instructions']);
  writeFileSync(join(data, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n');
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      "listen_addresses = 'localhost'",
      `unix_socket_directories = '${dir}'`,
      'ssl = on',
      `ssl_cert_file = '${join(dir, 'server.pem')}'`,
      `ssl_key_file = '${join(dir, 'server.key')}'`,
      'fsync = off',
      'shared_buffers = 16MB',
      '',
    ].join('\n'),
  );
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  return {
    port,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    url: ({ host = 'localhost', user = 'postgres', password = 'password' } = {}) =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

