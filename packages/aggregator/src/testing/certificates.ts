import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM texts for a TLS test: a CA, a server certificate for 127.0.0.1/localhost, and a client certificate, all signed by that CA. */
export interface TestCertificates {
  readonly caPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Fresh certificates from the `openssl` CLI (P-256 keys: quick to make), valid for two days. Each call
 * makes a new CA, so a second call gives a "wrong CA" for the failure tests.
 */
export async function generateTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sps-certs-'));
  const at = (name: string): string => path.join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`openssl ${args[0]} failed: ${stderr.trim().split('\n')[0] ?? String(err)}`);
    }
  };
  try {
    await openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=SPS test CA',
    ]);
    const issue = async (name: string, subject: string, extensions: string): Promise<void> => {
      await writeFile(at(`${name}.ext`), extensions);
      await openssl(['req', ...EC_KEY, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject]);
      await openssl([
        'x509',
        '-req',
        '-in',
        at(`${name}.csr`),
        '-CA',
        at('ca.pem'),
        '-CAkey',
        at('ca.key'),
        '-CAcreateserial',
        '-out',
        at(`${name}.pem`),
        '-days',
        '2',
        '-extfile',
        at(`${name}.ext`),
      ]);
    };
    await issue(
      'server',
      '/CN=localhost',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
    );
    await issue('client', '/CN=sps-test-client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    const read = (name: string): Promise<string> => readFile(at(name), 'utf8');
    return {
      caPem: await read('ca.pem'),
      serverCertPem: await read('server.pem'),
      serverKeyPem: await read('server.key'),
      clientCertPem: await read('client.pem'),
      clientKeyPem: await read('client.key'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
