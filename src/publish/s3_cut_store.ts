/**
 * The cut store on S3-compatible object storage (docs/deployment.md, "Cuts in object
 * storage"): each file of a cut is the object `<prefix><cutId>/<path>`, the catalog
 * `<prefix>catalogo/…`, the public images `<prefix>imagenes/sha256/…`, and the pointer
 * `<prefix>latest.json` and `<prefix>latest.sig`. Nodes on several machines publish to it
 * without a shared file system; a bucket website or a CDN serves it to the public.
 *
 * No object is ever replaced but the pointer's two. A file is put only when its name is free
 * (looked for first, and `If-None-Match: *` where the service honours it), with its SHA-256 as
 * checksum and in its metadata, then checked by a HEAD (its length and SHA-256); a name that
 * holds other bytes is refused. A cut's files go up first, its manifest last, then
 * `latest.json`, then `latest.sig`: a publisher killed midway leaves no pointer to a partial
 * cut, and its retry finds the identical bytes already there and completes.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { err, ok, type Result } from '../domain/result.ts';
import {
  checkBucket,
  describeS3Error,
  type S3Settings,
  type SdkError,
  s3Client,
} from '../images/s3_blob_store.ts';
import { publicContentType } from '../platform/content_types.ts';
import { sha256Hex } from '../platform/hashing.ts';
import { CUT_ID, type CutStore, isCutStoreName, LATEST_JSON, LATEST_SIG } from './cut_store.ts';

/** What never changes under its name: cached by browsers and CDNs for a year. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** The pointer: a reader learns of a new cut within seconds. */
export const LATEST_CACHE = 'public, max-age=5, must-revalidate';
/** Files of one cut put at once. */
const PARALLEL = 16;
/** The object metadata holding a file's SHA-256 (hex), read back by HEAD. */
const SHA_META = 'sha256';

type Unavailable = Result<never, 'unavailable'>;

export class S3CutStore implements CutStore {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  /** Whether puts carry `If-None-Match: *` (until the service answers 501 to it). */
  #conditional = true;

  constructor(settings: S3Settings) {
    const prefix = settings.prefix ?? '';
    this.#prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.#bucket = settings.bucket;
    this.location = `s3://${settings.bucket}/${this.#prefix}${settings.endpoint !== undefined ? ` at ${settings.endpoint}` : ''}`;
    this.#client = s3Client(settings);
  }

  whereIs(cutId: string): string {
    return `s3://${this.#bucket}/${this.#prefix}${cutId}/`;
  }

  check(): Promise<Result<void, 'unavailable'>> {
    return checkBucket(this.#client, this.#bucket, this.location);
  }

  #key(name: string): string {
    if (!isCutStoreName(name)) throw new Error(`not a name in the cuts root: ${JSON.stringify(name)}`);
    return `${this.#prefix}${name}`;
  }

  #unavailable(what: string, key: string, error: unknown): Unavailable {
    return err(
      'unavailable',
      `cannot ${what} s3://${this.#bucket}/${key}: ${describeS3Error(error as SdkError)}`,
    );
  }

  /** The object's length and recorded SHA-256, or null when there is none. */
  async #head(key: string): Promise<Result<{ length: number; sha256: string | null } | null, 'unavailable'>> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return ok({ length: head.ContentLength ?? -1, sha256: head.Metadata?.[SHA_META] ?? null });
    } catch (error) {
      if ((error as SdkError).$metadata?.httpStatusCode === 404) return ok(null);
      return this.#unavailable('look for', key, error);
    }
  }

  async has(name: string): Promise<Result<boolean, 'unavailable'>> {
    const head = await this.#head(this.#key(name));
    return head.ok ? ok(head.value !== null) : head;
  }

  async read(name: string): Promise<Result<Buffer, 'not-found' | 'unavailable'>> {
    const key = this.#key(name);
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      if (object.Body === undefined) throw new Error(`GetObject of ${key} answered without a body`);
      return ok(Buffer.from(await object.Body.transformToByteArray()));
    } catch (error) {
      const e = error as SdkError;
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)
        return err('not-found', `no s3://${this.#bucket}/${key}`);
      return this.#unavailable('read', key, e);
    }
  }

  /** Whether what is stored under `key` is these bytes (read back whole when the metadata cannot say). */
  async #same(key: string, bytes: Buffer, sha256: string): Promise<Result<boolean, 'unavailable'>> {
    const head = await this.#head(key);
    if (!head.ok) return head;
    if (head.value === null) return ok(false);
    if (head.value.length !== bytes.length) return ok(false);
    if (head.value.sha256 !== null) return ok(head.value.sha256 === sha256);
    const stored = await this.read(key.slice(this.#prefix.length));
    if (!stored.ok) return stored.code === 'not-found' ? ok(false) : err('unavailable', stored.message);
    return ok(sha256Hex(stored.value) === sha256);
  }

  async #put(
    name: string,
    bytes: Buffer,
    cacheControl: string,
    contentType: string,
    overwrite: boolean,
  ): Promise<Result<'written' | 'present', 'different' | 'unavailable'>> {
    const key = this.#key(name);
    const sha256 = sha256Hex(bytes);
    const where = `s3://${this.#bucket}/${key}`;
    if (!overwrite) {
      const head = await this.#head(key);
      if (!head.ok) return head;
      if (head.value !== null) {
        const same = await this.#same(key, bytes, sha256);
        if (!same.ok) return same;
        return same.value
          ? ok('present')
          : err('different', `${where} holds other bytes: a published file never changes`);
      }
    }
    const put = (conditional: boolean) =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: contentType,
          CacheControl: cacheControl,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          Metadata: { [SHA_META]: sha256 },
          // Where the service honours it, two writers racing for a name cannot both win.
          ...(conditional ? { IfNoneMatch: '*' } : {}),
        }),
      );
    try {
      try {
        await put(!overwrite && this.#conditional);
      } catch (error) {
        // A service without conditional writes may refuse the header: the HEAD above stands alone.
        if ((error as SdkError).$metadata?.httpStatusCode !== 501 || overwrite || !this.#conditional)
          throw error;
        this.#conditional = false;
        await put(false);
      }
    } catch (error) {
      const status = (error as SdkError).$metadata?.httpStatusCode;
      if (!overwrite && (status === 412 || status === 409)) {
        const same = await this.#same(key, bytes, sha256);
        if (!same.ok) return same;
        return same.value
          ? ok('present')
          : err('different', `${where} holds other bytes: a published file never changes`);
      }
      return this.#unavailable('store', key, error);
    }
    // Checked, not assumed: the stored object has this length and this SHA-256.
    const head = await this.#head(key);
    if (!head.ok) return head;
    if (head.value === null || head.value.length !== bytes.length || head.value.sha256 !== sha256)
      return err('unavailable', `${where} does not read back as the bytes just put`);
    return ok('written');
  }

  putFile(
    name: string,
    bytes: Buffer,
    options: { readonly contentType?: string } = {},
  ): Promise<Result<'written' | 'present', 'different' | 'unavailable'>> {
    return this.#put(name, bytes, IMMUTABLE_CACHE, options.contentType ?? publicContentType(name), false);
  }

  async sync(): Promise<void> {}

  async putCut(
    cutId: string,
    files: ReadonlyMap<string, Buffer>,
  ): Promise<Result<'written' | 'present', 'cut-exists' | 'unavailable'>> {
    if (!CUT_ID.test(cutId)) throw new Error(`not a cut id: ${cutId}`);
    // The manifest and its signature last: a cut whose manifest is stored has all its files.
    const last = ['manifest.sig', 'manifest.json'];
    const queue = [...files.keys()].filter((n) => !last.includes(n));
    let written = 0;
    let failure: Result<never, 'cut-exists' | 'unavailable'> | null = null;
    const put = async (relative: string): Promise<void> => {
      const bytes = files.get(relative);
      if (bytes === undefined || failure !== null) return;
      const result = await this.putFile(`${cutId}/${relative}`, bytes);
      if (!result.ok)
        failure ??=
          result.code === 'different'
            ? err(
                'cut-exists',
                `cut ${cutId} is already (partly) published with other bytes: ${result.message}`,
              )
            : err('unavailable', result.message);
      else if (result.value === 'written') written++;
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length && failure === null) await put(queue[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, Math.max(1, queue.length)) }, worker));
    for (const name of last) if (failure === null) await put(name);
    if (failure !== null) return failure;
    return ok(written === 0 ? 'present' : 'written');
  }

  async listCuts(): Promise<Result<string[], 'unavailable'>> {
    const cuts: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix,
            Delimiter: '/',
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const name = common.Prefix?.slice(this.#prefix.length, -1) ?? '';
          if (CUT_ID.test(name)) cuts.push(name);
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      return this.#unavailable('list', this.#prefix, error);
    }
    const whole: string[] = [];
    for (const cut of cuts.sort()) {
      const has = await this.has(`${cut}/manifest.json`);
      if (!has.ok) return has;
      if (has.value) whole.push(cut);
    }
    return ok(whole);
  }

  async writeLatest(json: Buffer, sig: Buffer): Promise<Result<void, 'unavailable'>> {
    for (const [name, bytes] of [
      [LATEST_JSON, json],
      [LATEST_SIG, sig],
    ] as const) {
      const put = await this.#put(name, bytes, LATEST_CACHE, publicContentType(name), true);
      if (!put.ok) return err('unavailable', put.message);
    }
    return ok(undefined);
  }

  /** Nothing to clean: a partial cut is never named by the pointer, and its retry completes it. */
  async cleanLeftovers(): Promise<string[]> {
    return [];
  }

  close(): void {
    this.#client.destroy();
  }
}
