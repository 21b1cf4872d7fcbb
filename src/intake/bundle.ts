/**
 * The USB bundle: a device's pending packages in one file, for when no network reaches any
 * center. A zip (stored, not compressed: images are compressed already) of
 *
 *   bundle.json   canonical JSON: format, device, creation time, the packages (signed header
 *                 text, signature, image type) in sequence order
 *   bundle.sig    the device's Ed25519 signature of bundle.json, base64
 *   <sha256>.jpg  each image, named by its SHA-256 (or .png)
 *
 * Every package inside is the very package the device would send over the network, so a
 * center answers an imported package and a later network retry with the same receipt.
 * Reading is hostile-input parsing: entry count and sizes capped, only the names above
 * accepted (names are matched, never used as paths), and nothing is trusted until the bundle
 * signature, every package signature and every image hash check out.
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { parsePackageHeader, type ParsedPackage } from './package.ts';
import { canonicalJson } from '../platform/web/canonical_json.ts';
import { zipFiles } from '../platform/zip.ts';
import { readZipEntries } from '../platform/zip.ts';

export const BUNDLE_FORMAT = 'openprep-bundle/1';

export const BUNDLE_LIMITS = {
  packages: 5_000,
  entries: 5_002,
  entryBytes: 20 * 1024 * 1024,
  totalBytes: 1024 ** 3,
} as const;

const manifestSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    deviceId: z.string().min(1).max(64),
    createdAt: z.iso.datetime({ offset: true }),
    packages: z
      .array(
        z
          .object({
            text: z.string().min(1).max(4096),
            signature: z.string().min(1).max(200),
            contentType: z.enum(['image/jpeg', 'image/png']),
          })
          .strict(),
      )
      .min(1)
      .max(BUNDLE_LIMITS.packages),
  })
  .strict();

export type BundleManifest = z.infer<typeof manifestSchema>;

export interface BundlePackage {
  readonly pkg: ParsedPackage;
  readonly text: string;
  readonly signature: string;
  readonly contentType: 'image/jpeg' | 'image/png';
  readonly image: Buffer;
}

export interface OpenedBundle {
  readonly manifest: BundleManifest;
  /** The exact bytes of bundle.json, which bundle.sig signs. */
  readonly manifestBytes: Buffer;
  readonly signature: string;
  readonly packages: readonly BundlePackage[];
}

export type BundleError = 'bad-bundle';

const imageName = (sha256: string, contentType: string) =>
  `${sha256}.${contentType === 'image/png' ? 'png' : 'jpg'}`;

export async function writeBundle(options: {
  readonly deviceId: string;
  readonly createdAt: string;
  readonly privateKey: KeyObject;
  readonly packages: readonly {
    readonly text: string;
    readonly signature: string;
    readonly contentType: 'image/jpeg' | 'image/png';
    readonly imageSha256: string;
    readonly image: Uint8Array;
  }[];
}): Promise<Buffer> {
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    deviceId: options.deviceId,
    createdAt: options.createdAt,
    packages: options.packages.map((p) => ({
      text: p.text,
      signature: p.signature,
      contentType: p.contentType,
    })),
  };
  const manifestBytes = Buffer.from(canonicalJson(manifest), 'utf8');
  return zipFiles(
    [
      ['bundle.json', manifestBytes],
      ['bundle.sig', Buffer.from(sign(null, manifestBytes, options.privateKey).toString('base64'))],
      ...options.packages.map(
        (p) => [imageName(p.imageSha256, p.contentType), Buffer.from(p.image)] as [string, Buffer],
      ),
    ],
    { compress: false },
  );
}

/**
 * Opens a bundle and checks everything that does not need the device's key: structure,
 * limits, that every package is the bundle device's, in canonical form, and has its image
 * with the right hash, and that no stray entry is present. The signatures are checked by
 * `verifyBundle` with the enrolled key.
 */
export async function openBundle(zip: Buffer): Promise<Result<OpenedBundle, BundleError>> {
  const entries = await readZipEntries(zip, undefined, BUNDLE_LIMITS);
  if (!entries.ok) return err('bad-bundle', entries.message);
  const files = entries.value;
  const manifestBytes = files.get('bundle.json');
  const signature = files.get('bundle.sig')?.toString('utf8').trim();
  if (manifestBytes === undefined || signature === undefined)
    return err('bad-bundle', 'a bundle holds bundle.json and bundle.sig');
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    return err('bad-bundle', 'bundle.json is not JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(
      'bad-bundle',
      `bundle.json: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const manifest = parsed.data;
  if (canonicalJson(manifest) !== manifestBytes.toString('utf8'))
    return err('bad-bundle', 'bundle.json is not in canonical form');
  const used = new Set(['bundle.json', 'bundle.sig']);
  const packages: BundlePackage[] = [];
  for (const [i, entry] of manifest.packages.entries()) {
    const pkg = parsePackageHeader(entry.text);
    if (!pkg.ok) return err('bad-bundle', `package ${i}: ${pkg.message}`);
    if (pkg.value.header.deviceId !== manifest.deviceId)
      return err(
        'bad-bundle',
        `package ${i} is from device ${pkg.value.header.deviceId}, not ${manifest.deviceId}`,
      );
    const name = imageName(pkg.value.header.imageSha256, entry.contentType);
    const image = files.get(name);
    if (image === undefined) return err('bad-bundle', `package ${i}: its image ${name} is missing`);
    if (createHash('sha256').update(image).digest('hex') !== pkg.value.header.imageSha256)
      return err(
        'bad-bundle',
        `package ${i}: image ${name} does not have the SHA-256 its name and header say`,
      );
    used.add(name);
    packages.push({
      pkg: pkg.value,
      text: entry.text,
      signature: entry.signature,
      contentType: entry.contentType,
      image,
    });
  }
  const stray = [...files.keys()].find((name) => !used.has(name));
  if (stray !== undefined)
    return err('bad-bundle', `unexpected entry ${JSON.stringify(stray.slice(0, 100))}`);
  return ok({ manifest, manifestBytes, signature, packages });
}

/** The bundle's signature and every package's, with the device's enrolled key: all or nothing. */
export function verifyBundle(bundle: OpenedBundle, publicKey: KeyObject): Result<void, BundleError> {
  const check = (data: Uint8Array, base64: string) => {
    const signature = Buffer.from(base64, 'base64');
    return signature.length === 64 && verify(null, data, publicKey, signature);
  };
  if (!check(bundle.manifestBytes, bundle.signature))
    return err('bad-bundle', "bundle.sig does not verify with the device's enrolled key");
  for (const [i, p] of bundle.packages.entries())
    if (!check(p.pkg.bytes, p.signature))
      return err(
        'bad-bundle',
        `package ${i} (sequence ${p.pkg.header.sequence}): its signature does not verify`,
      );
  return ok(undefined);
}
