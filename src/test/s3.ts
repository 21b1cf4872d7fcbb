/**
 * An S3 protocol server on loopback for the tests: s3rver from npm (no S3 server is packaged
 * for this machine's Debian), storing in a temporary folder, with one bucket. Real deployments
 * use any S3-compatible service (docs/deployment.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** s3rver's one account: it checks every request's signature against it. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** Where the server keeps its objects (a test may search them). */
  readonly directory: string;
  /** The variables `openprep serve` reads to use this bucket (credentials by the SDK's standard chain). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** The server with `bucket` (the images' in `env`) and any `others` (e.g. one for the cuts). */
export async function startS3(bucket = 'actas', others: readonly string[] = []): Promise<TestS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'openprep-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [bucket, ...others].map((name) => ({ name })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    directory,
    env: {
      OPENPREP_IMAGE_STORE: 's3',
      OPENPREP_S3_BUCKET: bucket,
      OPENPREP_S3_ENDPOINT: endpoint,
      OPENPREP_S3_REGION: 'us-east-1',
      OPENPREP_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      // Never let the SDK's credential chain look for an instance role off this machine.
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Every key under `prefix` in a bucket, the prefix taken off, following the listing's pages. */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const all: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const object of page.Contents ?? []) all.push(object.Key!.slice(prefix.length));
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return all;
}
