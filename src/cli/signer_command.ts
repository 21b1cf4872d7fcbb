/**
 * `openprep signer`: the signer service (src/center/signer_service.ts), the one process that
 * holds the election's private key, answering the nodes on a Unix socket, or over HTTPS with
 * mutual authentication (--listen with its certificate, key and the nodes' CA), or both.
 */
import { once } from 'node:events';
import path from 'node:path';
import process from 'node:process';
import { readTlsFile } from '../center/signer_endpoint.ts';
import { type SignerTls, startSignerService } from '../center/signer_service.ts';
import { fileKeyBackend } from '../journal/key_backend.ts';
import { generateSigningKey, saveSigningKey } from '../journal/keys.ts';
import { pathExists } from '../platform/durable_file.ts';
import { parseCommandArgs } from './args.ts';
import { signer } from './commands.ts';

const fail = (message: string, code = 1): number => {
  process.stderr.write(`openprep signer: ${message}\n`);
  return code;
};

export async function runSigner(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, signer.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const tlsFiles = [o['tls-cert'], o['tls-key'], o['client-ca']];
  if (o.listen === undefined && tlsFiles.some((f) => f !== undefined))
    return fail('--tls-cert, --tls-key and --client-ca go with --listen', 2);
  if (o.listen !== undefined && tlsFiles.some((f) => f === undefined))
    return fail('--listen needs --tls-cert, --tls-key and --client-ca', 2);
  if (o.listen === undefined && o.socket === undefined)
    return fail('--socket PATH, --listen HOST:PORT, or both', 2);
  // The TLS files are read before the key: a signer that cannot serve its nodes does not start.
  let tls: SignerTls | undefined;
  if (o.listen !== undefined) {
    const colon = o.listen.lastIndexOf(':');
    const host = o.listen.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(o.listen.slice(colon + 1));
    if (port > 65_535) return fail(`--listen ${o.listen}: no such port`, 2);
    const read: string[] = [];
    for (const [file, secret] of [
      [o['tls-cert']!, false],
      [o['tls-key']!, true],
      [o['client-ca']!, false],
    ] as const) {
      const text = await readTlsFile(file, secret);
      if (!text.ok) return fail(text.message);
      read.push(text.value);
    }
    tls = { host, port, cert: read[0]!, key: read[1]!, clientCa: read[2]! };
  }
  if (!(await pathExists(o.key))) {
    if (!o['create-key']) return fail(`no key at ${o.key} (--create-key makes one)`);
    const saved = await saveSigningKey(path.dirname(o.key), generateSigningKey(path.basename(o.key, '.key')));
    process.stderr.write(`openprep signer: created ${saved.key}; its public key is in ${saved.pub}\n`);
  }
  const key = await fileKeyBackend(o.key);
  if (!key.ok) return fail(key.message);
  const service = await startSignerService({
    key: key.value,
    stateFile: o.state ?? path.join(path.dirname(o.key), 'signer-state.json'),
    ...(o.socket === undefined ? {} : { socket: o.socket }),
    ...(tls === undefined ? {} : { tls }),
    maxCertificateMs: Math.round(o['max-certificate-hours'] * 3_600_000),
    clock: Date.now,
    log: (event) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`),
  });
  if (!service.ok) return fail(service.message);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await service.value.close();
  return 0;
}
