import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { agentConfigSchema } from '../agent/agent.ts';
import { loadServeConfig } from './config.ts';

const load = (env: NodeJS.ProcessEnv, file?: string) =>
  loadServeConfig({ env, flags: {}, ...(file !== undefined ? { file } : {}) });

describe('serve configuration: the image store', () => {
  test('the folder is the default; S3 comes from the environment', async () => {
    const plain = await load({});
    assert.ok(plain.ok);
    assert.deepEqual(plain.value.images, { store: 'folder' });
    const s3 = await load({
      OPENPREP_IMAGE_STORE: 's3',
      OPENPREP_S3_BUCKET: 'prep-2024.imagenes',
      OPENPREP_S3_PREFIX: 'pef2024/actas/',
      OPENPREP_S3_ENDPOINT: 'https://minio.example:9000',
      OPENPREP_S3_REGION: 'us-east-1',
      OPENPREP_S3_FORCE_PATH_STYLE: 'true',
    });
    assert.ok(s3.ok, s3.ok ? '' : s3.message);
    assert.deepEqual(s3.value.images, {
      store: 's3',
      s3: {
        bucket: 'prep-2024.imagenes',
        prefix: 'pef2024/actas/',
        endpoint: 'https://minio.example:9000',
        region: 'us-east-1',
        forcePathStyle: true,
      },
    });
  });

  test('from a file, with the environment over it', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-config-'));
    try {
      const file = path.join(work, 'serve.json');
      await writeFile(
        file,
        JSON.stringify({ images: { store: 's3', s3: { bucket: 'actas', region: 'mx-1' } } }),
      );
      const loaded = await load({ OPENPREP_S3_FORCE_PATH_STYLE: '0', OPENPREP_S3_REGION: 'mx-2' }, file);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
      assert.deepEqual(loaded.value.images, {
        store: 's3',
        s3: { bucket: 'actas', prefix: '', region: 'mx-2', forcePathStyle: false },
      });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a bad value is refused naming its key', async () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ OPENPREP_IMAGE_STORE: 's3' }, /images\.s3\.bucket: required when images\.store is s3/],
      [{ OPENPREP_IMAGE_STORE: 'tape' }, /images\.store/],
      [{ OPENPREP_IMAGE_STORE: 's3', OPENPREP_S3_BUCKET: 'Actas_2024' }, /images\.s3\.bucket/],
      [
        { OPENPREP_IMAGE_STORE: 's3', OPENPREP_S3_BUCKET: 'actas', OPENPREP_S3_PREFIX: '/abs' },
        /images\.s3\.prefix/,
      ],
      [
        { OPENPREP_IMAGE_STORE: 's3', OPENPREP_S3_BUCKET: 'actas', OPENPREP_S3_PREFIX: 'a/../b' },
        /images\.s3\.prefix/,
      ],
      [
        { OPENPREP_IMAGE_STORE: 's3', OPENPREP_S3_BUCKET: 'actas', OPENPREP_S3_ENDPOINT: 'ftp://x' },
        /images\.s3\.endpoint/,
      ],
      [
        { OPENPREP_S3_FORCE_PATH_STYLE: 'yes please' },
        /OPENPREP_S3_FORCE_PATH_STYLE="yes please" is not true or false/,
      ],
    ];
    for (const [env, message] of cases) {
      const loaded = await load(env);
      assert.ok(!loaded.ok, JSON.stringify(env));
      assert.match(loaded.message, message);
    }
  });

  test('S3 settings may wait in the environment while the folder is used', async () => {
    const loaded = await load({ OPENPREP_S3_REGION: 'us-east-1' });
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
    assert.equal(loaded.value.images.store, 'folder');
  });
});

test("the center takes every image a CATD agent queues: its size limit is at least the agent's", async () => {
  // A scan the agent queued and the center then refused for its size (413) would be given up.
  const loaded = await load({});
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.message);
  const agentLimit = agentConfigSchema.shape.maxImageBytes.parse(undefined);
  assert.ok(
    loaded.value.intake.maxImageBytes >= agentLimit,
    `center ${loaded.value.intake.maxImageBytes} < agent ${agentLimit}`,
  );
});
