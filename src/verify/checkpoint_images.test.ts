/**
 * Two readings docs/verification.md pins down: V05's checkpoint may carry C2SP extension lines
 * after the root (non-empty, ignored), and V13 finds an image by its SHA-256 name with or
 * without an extension, flat or fanned out as the cuts root's imagenes/ publishes it.
 */
import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { keyId, rawPublicKeyOf, verifierKeyOf } from '../journal/note.ts';
import { testSigner } from '../journal/test_keys.ts';
import { publicImageName } from '../publish/public_images.ts';
import { checkCheckpoint } from './core/journal.ts';
import type { Manifest } from './core/manifest.ts';
import { Checks } from './core/report.ts';
import { checkImageFolder } from './images.ts';
import { nodeVerifierCrypto } from './node_crypto.ts';

const signer = testSigner('openprep.TEST2024.simulacro');
const crypto = nodeVerifierCrypto(verifierKeyOf(signer));
const ROOT = Buffer.alloc(32, 7).toString('base64');

/** A signed note over any body (signNote refuses blank lines; a hostile publisher need not). */
function signAnyBody(body: string): string {
  const id = keyId(signer.name, rawPublicKeyOf(signer.privateKey));
  const signature = sign(null, Buffer.from(body), signer.privateKey);
  return `${body}\n\u2014 ${signer.name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

async function v05(body: string): Promise<string[]> {
  const checks = new Checks();
  const manifest = { journal: { checkpoint: signAnyBody(body), size: 12, rootHash: ROOT } } as Manifest;
  await checkCheckpoint(checks, crypto, manifest);
  return checks.failures().map(([, detail]) => detail);
}

describe('V05: C2SP checkpoint extension lines', () => {
  const head = `${signer.name}/log\n12\n${ROOT}\n`;
  test('non-empty lines after the root are allowed and ignored', async () => {
    assert.deepEqual(await v05(head), []);
    assert.deepEqual(await v05(`${head}— extension: anything\nanother\n`), []);
  });
  test('an empty line after the root fails', async () => {
    assert.equal((await v05(`${head}\nafter a blank\n`)).length, 1);
    assert.match((await v05(`${head}\nafter a blank\n`))[0]!, /extension lines are non-empty/);
  });
  test('a size with a leading zero or a root that is not 32 bytes fails', async () => {
    assert.match((await v05(`${signer.name}/log\n012\n${ROOT}\n`))[0]!, /leading zeros/);
    assert.match(
      (await v05(`${signer.name}/log\n12\n${Buffer.alloc(31).toString('base64')}\n`))[0]!,
      /32 bytes/,
    );
  });
});

describe('V13: which file names are looked up', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const image = (text: string) => {
    const bytes = Buffer.from(text);
    return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
  };

  test('flat and fanned out, with and without an extension; the published layout as written', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'openprep-v13-'));
    dirs.push(folder);
    const [published, flat, flatExt, fannedExt, bare] = ['a', 'b', 'c', 'd', 'e'].map(image) as [
      ReturnType<typeof image>,
      ReturnType<typeof image>,
      ReturnType<typeof image>,
      ReturnType<typeof image>,
      ReturnType<typeof image>,
    ];
    // publicImageName is what the publisher writes under the cuts root: imagenes/sha256/ab/<62 hex>.
    const name = publicImageName(published.hash);
    assert.match(name, /^imagenes\/sha256\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    const write = async (relative: string, bytes: Buffer) => {
      await mkdir(path.dirname(path.join(folder, relative)), { recursive: true });
      await writeFile(path.join(folder, relative), bytes);
    };
    await write(name, published.bytes);
    await write(`imagenes/${flat.hash}`, flat.bytes);
    await write(`imagenes/${flatExt.hash}.jpg`, flatExt.bytes);
    await write(
      `imagenes/sha256/${fannedExt.hash.slice(0, 2)}/${fannedExt.hash.slice(2)}.png`,
      fannedExt.bytes,
    );
    // Fanned out without the sha256/ level: --images pointed at imagenes/sha256 itself.
    await write(`imagenes/sha256/${bare.hash.slice(0, 2)}/${bare.hash.slice(2)}`, bare.bytes);
    const all = new Set([published, flat, flatExt, fannedExt, bare].map((i) => i.hash));
    const checks = new Checks();
    assert.equal(await checkImageFolder(checks, crypto, path.join(folder, 'imagenes'), all), 5);
    assert.deepEqual(checks.failures(), []);
    const inner = new Checks();
    assert.equal(
      await checkImageFolder(inner, crypto, path.join(folder, 'imagenes', 'sha256'), new Set([bare.hash])),
      1,
    );
    assert.deepEqual(inner.failures(), []);
  });

  test('an image whose bytes do not hash to its name fails; an absent one fails as missing', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'openprep-v13-'));
    dirs.push(folder);
    const good = image('good');
    await mkdir(path.join(folder, 'sha256', good.hash.slice(0, 2)), { recursive: true });
    await writeFile(path.join(folder, 'sha256', good.hash.slice(0, 2), good.hash.slice(2)), 'other bytes');
    const checks = new Checks();
    const absent = image('absent').hash;
    assert.equal(await checkImageFolder(checks, crypto, folder, new Set([good.hash, absent])), 0);
    const details = checks.failures().map(([, d]) => d);
    assert.equal(details.length, 2);
    assert.match(details[0]!, /does not hash to its name/);
    assert.match(details[1]!, /missing image/);
  });
});
