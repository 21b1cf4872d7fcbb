/**
 * Test helpers for intake: real (tiny) PNG and JPEG bytes, device keys, signed packages, and a
 * multipart POST over real HTTP. Used by the server tests, the crash test and the intake bench.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { enrollDevice } from '../intake/devices.ts';
import { declareTerritory } from '../intake/territory.ts';
import { territoryOf } from '../catalog/territory_csv.ts';
import { type Catalog, distritoKey } from '../domain/catalog.ts';
import type { TerritoryRow, UnitKind } from '../domain/territory.ts';
import { PACKAGE_FORMAT, type PackageHeader, packageBytes, signPackage } from '../intake/package.ts';
import type { DevicesPort } from '../intake/devices_port.ts';
import { sha256Hex } from '../platform/hashing.ts';

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid greyscale PNG. `pixels` (width × height) is what the header claims; the image data
 * covers `dataRows` rows only when a test wants a "pixel flood" header over a tiny body.
 */
/** A greyscale PNG file: the header says width × height; `raw` is the filtered image data (all or part of it). */
function pngFile(width: number, height: number, raw: Buffer, level: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A valid greyscale PNG. `pixels` (width × height) is what the header claims; the image data
 * covers `dataRows` rows only when a test wants a "pixel flood" header over a tiny body.
 */
export function makePng(
  width: number,
  height: number,
  options: { seed?: number; dataRows?: number; flat?: boolean } = {},
): Buffer {
  const rows = options.dataRows ?? height;
  const seed = options.seed ?? 0;
  const raw = Buffer.alloc(rows * (width + 1));
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < width; x++)
      raw[y * (width + 1) + 1 + x] = options.flat === true ? 128 : (x * 7 + y * 13 + seed * 31) & 0xff;
  return pngFile(width, height, raw, 1);
}

/** A PNG of about `bytes` bytes (incompressible rows), different for each seed. */
export function pngOfSize(bytes: number, seed: number): Buffer {
  const width = 256;
  const rows = Math.max(1, Math.ceil(bytes / (width + 1)));
  const raw = Buffer.alloc(rows * (width + 1));
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    raw[i] = i % (width + 1) === 0 ? 0 : state & 0xff;
  }
  return pngFile(width, rows, raw, 0);
}

const pngBodies = new Map<number, Buffer>();

/**
 * A PNG of about `bytes` bytes that no other seed gives, cheaply: the pixels of one size are
 * made once, and the seed goes in a text chunk — for load generators sending hundreds of
 * thousands of distinct images.
 */
export function uniquePng(bytes: number, seed: number): Buffer {
  let body = pngBodies.get(bytes);
  if (body === undefined) {
    const png = pngOfSize(bytes, 1);
    body = png.subarray(0, png.length - 12); // all but IEND
    pngBodies.set(bytes, body);
  }
  return Buffer.concat([
    body,
    pngChunk('tEXt', Buffer.from(`OpenPREP\u0000${seed}`, 'latin1')),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface TestDevice {
  readonly id: string;
  readonly privateKey: KeyObject;
  /** Raw public key, base64, as enrolled. */
  readonly publicKey: string;
}

export function makeDevice(id: string): TestDevice {
  const pair = generateKeyPairSync('ed25519');
  return {
    id,
    privateKey: pair.privateKey,
    publicKey: Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64'),
  };
}

export function packageFor(
  device: TestDevice,
  image: Uint8Array,
  fields: {
    sequence: number;
    claimedKey: string;
    contest?: string;
    origin?: 'CASILLA' | 'CATD';
    keyConfirmed?: true;
  },
): { header: PackageHeader; text: string; signature: string } {
  const header: PackageHeader = {
    format: PACKAGE_FORMAT,
    contest: fields.contest ?? 'PRES',
    claimedKey: fields.claimedKey,
    origin: fields.origin ?? 'CATD',
    digitization: (fields.origin ?? 'CATD') === 'CATD' ? 'ESCANER' : 'MOVIL',
    documentType: 'ACTA_PREP',
    transfer: null,
    deviceId: device.id,
    sequence: fields.sequence,
    deviceTime: '2024-06-02T21:00:00-06:00',
    imageSha256: sha256Hex(image),
    ...(fields.keyConfirmed === true ? { keyConfirmed: true as const } : {}),
  };
  return {
    header,
    text: packageBytes(header).toString('utf8'),
    signature: signPackage(header, device.privateKey),
  };
}

/** POSTs a package in the lean form: the image as the body, the header and signature in HTTP headers. */
export async function postPackageRaw(
  base: string,
  parts: { text: string; signature: string; image: Uint8Array; contentType?: string },
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${base}/api/v1/packages`, {
    method: 'POST',
    headers: {
      'content-type': parts.contentType ?? 'image/png',
      'openprep-package': Buffer.from(parts.text, 'utf8').toString('base64url'),
      'openprep-signature': parts.signature,
    },
    body: new Uint8Array(parts.image),
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** POSTs a package as multipart/form-data; the parts can be replaced to test hostile input. */
export async function postPackage(
  base: string,
  parts: { text: string; signature: string; image: Uint8Array; filename?: string },
): Promise<{ status: number; body: string; headers: Headers }> {
  const form = new FormData();
  form.append('package', parts.text);
  form.append('signature', parts.signature);
  form.append(
    'image',
    new Blob([new Uint8Array(parts.image)], { type: 'image/png' }),
    parts.filename ?? 'acta.png',
  );
  const response = await fetch(`${base}/api/v1/packages`, { method: 'POST', body: form });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/**
 * Declares that a unit serves the whole catalog (a CATD every distrito, a CAE every casilla),
 * keeping what was declared for others: for tests whose subject is not the territory.
 */
export async function servesWholeCatalog(
  store: DevicesPort,
  catalog: Catalog,
  unit: string,
  options: { readonly kind?: UnitKind; readonly at?: number } = {},
): Promise<void> {
  const unitKind = options.kind ?? 'CATD';
  const rows: TerritoryRow[] =
    unitKind === 'CATD'
      ? catalog.distritos.map((d) => ({
          unit,
          unitKind,
          areaKind: 'distrito',
          area: distritoKey(d.entidad, d.id),
        }))
      : catalog.casillas.map((c) => ({ unit, unitKind, areaKind: 'casilla', area: c.key }));
  const others = (await store.territory()).filter((r) => r.unit !== unit);
  await declareTerritory(store, territoryOf([...others, ...rows]), options.at ?? 0);
}

/** A new device, enrolled in the store (bound to a CATD or CAE), ready to sign packages. */
export async function enrolledDevice(
  store: DevicesPort,
  options: {
    readonly id: string;
    readonly boundTo: string;
    readonly at: number;
    readonly origin?: 'CATD' | 'CASILLA';
    /** Declares the whole catalog as its unit's territory (tests not about the territory). */
    readonly serves?: Catalog;
  },
): Promise<TestDevice> {
  const device = makeDevice(options.id);
  const enrolled = await enrollDevice(store, {
    id: device.id,
    publicKey: device.publicKey,
    origin: options.origin ?? 'CATD',
    boundTo: options.boundTo,
    label: '',
    at: options.at,
  });
  if (!enrolled.ok) throw new Error(`enrolling ${options.id}: ${enrolled.message}`);
  if (options.serves !== undefined)
    await servesWholeCatalog(store, options.serves, options.boundTo, {
      kind: options.origin === 'CASILLA' ? 'CAE' : 'CATD',
      at: options.at,
    });
  return device;
}

/** The acta record a receipt names (its `record` line). */
export function receiptRecordId(receipt: string): string {
  const recordId = /\nrecord (\S+)\n/.exec(receipt)?.[1];
  if (recordId === undefined) throw new Error(`not a receipt: ${receipt.slice(0, 200)}`);
  return recordId;
}
