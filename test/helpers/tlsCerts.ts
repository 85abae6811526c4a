import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files for a TLS server that wants client certificates, made with the `openssl` command. */
export interface TlsFiles {
  /** The CA that signed the server and the client certificate. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by another CA, which the server must not accept. */
  strangerCert: string;
  strangerKey: string;
}

const DAYS = '2';
/** P-256 keys: made in milliseconds, unlike RSA ones. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8') ?? '';
    throw new Error(`openssl ${args.join(' ')} failed (is openssl installed?): ${String(error)}\n${stderr}`);
  }
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...NEW_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    DAYS,
    '-subj',
    `/CN=${name}`,
  ]);
}

/** A key and a certificate for `cn`, signed by the CA `ca`, with the given extensions. */
function makeLeaf(dir: string, name: string, cn: string, ca: string, extensions: string[]): void {
  openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), `${['basicConstraints=CA:FALSE', ...extensions].join('\n')}\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-set_serial',
    String(Date.now()),
    '-days',
    DAYS,
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and client certificates, in `dir`. */
export function makeTlsFiles(dir: string): TlsFiles {
  makeCa(dir, 'ca');
  makeCa(dir, 'stranger-ca');
  makeLeaf(dir, 'server', '127.0.0.1', 'ca', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ]);
  const client = ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  makeLeaf(dir, 'client', 'store-7', 'ca', client);
  makeLeaf(dir, 'stranger', 'store-7', 'stranger-ca', client);
  return {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    strangerCert: join(dir, 'stranger.pem'),
    strangerKey: join(dir, 'stranger.key'),
  };
}
