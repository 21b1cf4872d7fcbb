/**
 * The cut store the configuration names (`cuts` in server/config.ts, validated there): the
 * data folder's `cuts/`, or an S3-compatible bucket reached with the images' connection
 * settings (`images.s3`: endpoint, region, path style; credentials from the SDK's chain).
 */
import type { S3Settings } from '../images/s3_blob_store.ts';
import type { CutStore } from './cut_store.ts';
import { FolderCutStore } from './folder_cut_store.ts';

export interface CutStoreSettings {
  readonly store: 'folder' | 's3';
  readonly bucket?: string;
  readonly prefix?: string;
}

export async function openCutStore(
  folder: string,
  settings: CutStoreSettings,
  connection: Omit<S3Settings, 'bucket' | 'prefix'> = {},
): Promise<CutStore> {
  if (settings.store === 'folder') return new FolderCutStore(folder);
  if (settings.bucket === undefined)
    throw new Error('cuts.store is s3 without a bucket: the configuration was not validated');
  // Loaded only here: the AWS SDK takes a quarter of a second to load.
  const { S3CutStore } = await import('./s3_cut_store.ts');
  return new S3CutStore({
    ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
    ...(connection.region === undefined ? {} : { region: connection.region }),
    ...(connection.forcePathStyle === undefined ? {} : { forcePathStyle: connection.forcePathStyle }),
    ...(connection.credentials === undefined ? {} : { credentials: connection.credentials }),
    bucket: settings.bucket,
    prefix: settings.prefix ?? '',
  });
}
