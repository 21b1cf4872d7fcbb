/**
 * Real X.509 certificates for tests, made with the `openssl` command line as an operator makes
 * them (docs/deployment.md, "TLS"): a private CA, and server or client certificates it signs,
 * valid now or over a window in the past (an expired one). EC P-256 keys, mode 0600.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export interface TestCa {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly config: string;
}

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const run = spawnSync(OPENSSL, args, { cwd, encoding: 'utf8' });
  assert.equal(run.status, 0, `openssl ${args.join(' ')}\n${run.stderr}`);
}

/** A CA (self-signed, EC P-256) in `dir`, with what `openssl ca` needs to sign with it. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const cert = path.join(dir, 'ca.crt');
  const key = path.join(dir, 'ca.key');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await chmod(key, 0o600);
  await writeFile(path.join(dir, 'index.txt'), '');
  await writeFile(path.join(dir, 'serial'), '1000\n');
  const config = path.join(dir, 'ca.cnf');
  await writeFile(
    config,
    `[ ca ]
default_ca = this
[ this ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
`,
  );
  return { dir, cert, key, config };
}

/**
 * A certificate from `ca` for `name` (its CN): `server` for a host (names in its SAN), `client`
 * for a node. `window` sets its validity (openssl's YYYYMMDDHHMMSSZ); default 30 days from now.
 */
export async function issue(
  ca: TestCa,
  file: string,
  options: {
    readonly name: string;
    readonly usage: 'server' | 'client';
    readonly hosts?: readonly string[];
    readonly window?: { readonly start: string; readonly end: string };
  },
): Promise<TestCertificate> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const key = `${file}.key`;
  const cert = `${file}.crt`;
  const csr = `${file}.csr`;
  const ext = `${file}.ext`;
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${options.name}`,
    ],
    dir,
  );
  await chmod(key, 0o600);
  const hosts = options.hosts ?? ['localhost', '127.0.0.1'];
  await writeFile(
    ext,
    `[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = ${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}
${options.usage === 'server' ? `subjectAltName = ${hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}` : ''}
`,
  );
  openssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      ca.config,
      '-in',
      csr,
      '-out',
      cert,
      '-extfile',
      ext,
      '-extensions',
      'leaf',
      ...(options.window === undefined
        ? ['-days', '30']
        : ['-startdate', options.window.start, '-enddate', options.window.end]),
    ],
    dir,
  );
  return { cert, key };
}

/** A file's text (PEM), for servers started in the test process. */
export const pem = (file: string): Promise<string> => readFile(file, 'utf8');
