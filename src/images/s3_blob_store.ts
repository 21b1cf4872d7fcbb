/**
 * The blob store on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, …) through the AWS
 * SDK: each image is one object, `<prefix>sha256/<2 hex>/<62 hex>.<jpg|png>`, put with its
 * SHA-256 so that a server that checks checksums refuses bytes altered on the way. A PUT
 * that succeeded is durable on every such service, so it may be followed by a receipt.
 *
 * Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, the shared files, an instance role) unless given here.
 */
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { err, ok, type Result } from '../domain/result.ts';
import {
  type BlobName,
  type BlobSource,
  type BlobStore,
  type BlobUnavailable,
  blobName,
  IMAGE_KINDS,
  type StoredImage,
} from './blob_store.ts';
import { sha256Hex } from '../platform/hashing.ts';

export interface S3Settings {
  readonly bucket: string;
  /** Prepended to every name; a `/` is added when it does not end with one. */
  readonly prefix?: string;
  /** The service's URL, for anything but AWS itself (e.g. `https://minio.example:9000`). */
  readonly endpoint?: string;
  /** Without it, the SDK's chain (AWS_REGION, the shared config file). */
  readonly region?: string;
  /** `bucket` in the path rather than the host name: what most self-hosted services need. */
  readonly forcePathStyle?: boolean;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

/** Attempts for a streamed put: the SDK does not retry a body it cannot rewind, so this does. */
const STREAM_ATTEMPTS = 3;

/** The SDK's own log lines would break the service's JSON log; its failures reach us as errors anyway. */
const QUIET = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export type SdkError = Error & { $metadata?: { httpStatusCode?: number }; code?: string };

export class S3BlobStore implements BlobStore {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(settings: S3Settings) {
    const prefix = settings.prefix ?? '';
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#bucket = settings.bucket;
    this.location = `s3://${settings.bucket}/${this.#prefix}${settings.endpoint !== undefined ? ` at ${settings.endpoint}` : ''}`;
    this.#client = s3Client(settings);
  }

  check(): Promise<Result<void, BlobUnavailable>> {
    return checkBucket(this.#client, this.#bucket, this.location);
  }

  async put(name: BlobName, source: BlobSource): Promise<Result<string, BlobUnavailable>> {
    const key = this.#key(name.sha256, name.kind);
    const object = {
      Bucket: this.#bucket,
      Key: key,
      ContentType: name.kind === 'jpg' ? 'image/jpeg' : 'image/png',
      ChecksumSHA256: Buffer.from(name.sha256, 'hex').toString('base64'),
    };
    const where = `s3://${this.#bucket}/${key}`;
    if ('data' in source) {
      try {
        // The SDK retries a buffer itself when the failure is transient.
        await this.#client.send(
          new PutObjectCommand({ ...object, Body: source.data, ContentLength: source.data.length }),
        );
        return ok(where);
      } catch (error) {
        return err('unavailable', `cannot store ${where}: ${describeS3Error(error as SdkError)}`);
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#client.send(
          new PutObjectCommand({
            ...object,
            Body: createReadStream(source.file),
            ContentLength: source.bytes,
          }),
        );
        return ok(where);
      } catch (error) {
        const e = error as SdkError;
        if (attempt >= STREAM_ATTEMPTS || !transient(e))
          return err('unavailable', `cannot store ${where}: ${describeS3Error(e)}`);
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
  }

  async get(sha256: string): Promise<Result<StoredImage, 'not-found' | 'corrupt' | BlobUnavailable>> {
    for (const kind of IMAGE_KINDS) {
      const key = this.#key(sha256, kind);
      let bytes: Buffer;
      try {
        const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
        if (object.Body === undefined) throw new Error(`GetObject of ${key} answered without a body`);
        bytes = Buffer.from(await object.Body.transformToByteArray());
      } catch (error) {
        const e = error as SdkError;
        if (e.name === 'NoSuchKey') continue;
        return err('unavailable', `cannot read s3://${this.#bucket}/${key}: ${describeS3Error(e)}`);
      }
      if (sha256Hex(bytes) !== sha256)
        return err('corrupt', `s3://${this.#bucket}/${key} does not hash to its name`);
      return ok({ kind, bytes });
    }
    return err('not-found', `no image ${sha256} in ${this.location}`);
  }

  async exists(name: BlobName): Promise<Result<boolean, BlobUnavailable>> {
    const key = this.#key(name.sha256, name.kind);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return ok(true);
    } catch (error) {
      const e = error as SdkError;
      if (e.$metadata?.httpStatusCode === 404) return ok(false);
      return err('unavailable', `cannot look for s3://${this.#bucket}/${key}: ${describeS3Error(e)}`);
    }
  }

  close(): void {
    this.#client.destroy();
  }

  #key(sha256: string, kind: BlobName['kind']): string {
    return `${this.#prefix}${blobName(sha256, kind)}`;
  }
}

/** Whether the bucket answers: one line naming the problem when it does not. */
export async function checkBucket(
  client: S3Client,
  bucket: string,
  location: string,
): Promise<Result<void, 'unavailable'>> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return ok(undefined);
  } catch (error) {
    const e = error as SdkError;
    const status = e.$metadata?.httpStatusCode;
    if (status === 404) return err('unavailable', `${location}: there is no bucket ${bucket}`);
    if (status === 403)
      return err(
        'unavailable',
        `${location}: access denied (the credentials, or a policy without s3:ListBucket on the bucket)`,
      );
    if (status === 301)
      return err('unavailable', `${location}: the bucket is in another region than the one configured`);
    return err('unavailable', `${location}: ${describeS3Error(e)}`);
  }
}

/** The SDK's client for these settings, as every S3 store of the center makes it. */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.region !== undefined ? { region: settings.region } : {}),
    // A copy: the SDK writes into the object it is given.
    ...(settings.credentials !== undefined ? { credentials: { ...settings.credentials } } : {}),
    forcePathStyle: settings.forcePathStyle ?? false,
    // Every put carries the image's own SHA-256, so the CRC the SDK adds by default brings
    // nothing; and for a streamed body it switches to aws-chunked encoding, which not every
    // S3-compatible server understands (s3rver, the test server, stores the chunk framing as
    // the object). Reads are checked against the SHA-256 in the name instead.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    logger: QUIET,
    requestHandler: {
      // A store that stops answering must fail the upload (the device retries), not hang it.
      connectionTimeout: 5_000,
      socketTimeout: 30_000,
      // Intake stores many images at once; the SDK's default of 50 sockets would queue them.
      httpAgent: { keepAlive: true, maxSockets: 128 },
      httpsAgent: { keepAlive: true, maxSockets: 128 },
    },
  });
}

/** A failure worth another try: no answer, or the server's own trouble. */
export function transient(e: SdkError): boolean {
  const status = e.$metadata?.httpStatusCode;
  return status === undefined || status >= 500 || status === 429 || status === 408;
}

export function describeS3Error(e: SdkError): string {
  const status = e.$metadata?.httpStatusCode;
  // An answer without a body (HEAD) leaves the SDK only the status to go by.
  const message = e.message === 'UnknownError' || e.message === '' ? 'no details' : e.message;
  return `${e.name}${status !== undefined ? ` (HTTP ${status})` : ''}${e.code !== undefined && e.code !== e.name ? ` ${e.code}` : ''}: ${message}`;
}
