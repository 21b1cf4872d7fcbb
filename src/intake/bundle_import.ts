/**
 * A USB bundle at a center: opened and checked whole (structure, limits, the bundle signature
 * and every package signature with the device's enrolled key, every image hash) before any
 * package is stored; then each package goes through the same intake as over HTTP, so an
 * imported package and a later network retry of it get the same receipt, and importing a
 * bundle twice changes nothing.
 */
import { Readable } from 'node:stream';
import { openBundle, verifyBundle } from './bundle.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { IntakeRefusal, IntakeService } from './intake_service.ts';
import { devicePublicKey } from './package.ts';

export type BundleImportError = 'bad-bundle' | 'unknown-device' | 'revoked-device' | 'after-close';

export interface ImportedPackage {
  readonly sequence: number;
  readonly outcome: 'accepted' | 'already-accepted' | 'refused';
  readonly receipt?: string;
  readonly reason?: IntakeRefusal;
  readonly message?: string;
}

export interface BundleImport {
  readonly deviceId: string;
  readonly packages: readonly ImportedPackage[];
}

export async function importBundle(options: {
  readonly zip: Buffer;
  readonly intake: IntakeService;
}): Promise<Result<BundleImport, BundleImportError>> {
  // Refused whole, before any image is stored; a close during the import is still caught per
  // package by the pipeline.
  if (await options.intake.intakeClosed())
    return err('after-close', 'the final cut is published: the PREP is closed and takes no more actas');
  const opened = await openBundle(options.zip);
  if (!opened.ok) return opened;
  const bundle = opened.value;
  const device = await options.intake.device(bundle.manifest.deviceId);
  if (device === null) return err('unknown-device', `no device ${bundle.manifest.deviceId} is enrolled here`);
  if (device.revokedAt !== null) return err('revoked-device', `device ${device.id} is revoked`);
  const key = devicePublicKey(device.publicKey);
  if (!key.ok) throw new Error(`enrolled key of ${device.id} no longer parses: ${key.message}`);
  const verified = verifyBundle(bundle, key.value);
  if (!verified.ok) return verified;
  const packages: ImportedPackage[] = [];
  for (const p of bundle.packages) {
    const sequence = p.pkg.header.sequence;
    const checked = await options.intake.check(p.text, p.signature);
    if (!checked.ok) {
      packages.push({ sequence, outcome: 'refused', reason: checked.code, message: checked.message });
      continue;
    }
    const received = await options.intake.receive(checked.value, Readable.from([p.image]));
    packages.push(
      received.ok
        ? {
            sequence,
            outcome: received.value.first ? 'accepted' : 'already-accepted',
            receipt: received.value.receipt,
          }
        : { sequence, outcome: 'refused', reason: received.code, message: received.message },
    );
  }
  return ok({ deviceId: bundle.manifest.deviceId, packages });
}
