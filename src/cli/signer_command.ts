/**
 * `openprep signer`: the signer service (src/center/signer_service.ts), the one process that
 * holds the election's private key, answering the nodes on a Unix socket.
 */
import { once } from 'node:events';
import path from 'node:path';
import process from 'node:process';
import { startSignerService } from '../center/signer_service.ts';
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
    socket: o.socket,
    maxCertificateMs: Math.round(o['max-certificate-hours'] * 3_600_000),
    clock: Date.now,
    log: (event) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`),
  });
  if (!service.ok) return fail(service.message);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await service.value.close();
  return 0;
}
