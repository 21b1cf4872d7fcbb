/**
 * The browser's cut verification, run in Node (same WebCrypto, same fetch) against a real
 * demo cut served over HTTP on loopback: it passes; a changed byte, a wrong key, a drill key
 * named live and an unsigned pointer each fail the check that names them. The browser page
 * itself is driven in site.browser.test.ts.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startCutServer } from '../mirror/static_server.ts';
import { dataPaths } from '../center/data_dir.ts';
import { runDemo } from '../demo/demo.ts';
import { hashLeaf, rootFromLeafHashes } from '../journal/merkle.ts';
import { csvRowBytes, merkleRoot, verifyCutInBrowser } from './verify_cut.ts';

let work: string;
let cuts: string;
let key: string;
let cutId: string;
const servers: Server[] = [];

async function serve(root: string): Promise<string> {
  const server = await startCutServer({ root, port: 0 });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-verify-browser-'));
  const demo = await runDemo({
    root: path.join(work, 'demo'),
    scale: 'tiny',
    seed: 3,
    untilClose: true,
    serve: false,
    port: 0,
    speed: 0,
    cutEvery: 360,
    reset: false,
    // The cuts' own checks; rendered images are the demo test's.
    images: false,
    log: () => {},
  });
  assert.ok(demo.ok, demo.ok ? '' : demo.message);
  const paths = dataPaths(path.join(work, 'demo'));
  cuts = paths.cuts;
  key = (await readFile(path.join(paths.keys, 'openprep.PEF2024.simulacro.pub'), 'utf8')).trim();
  cutId = (JSON.parse(await readFile(path.join(cuts, 'latest.json'), 'utf8')) as { cut: string }).cut;
});

after(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

test('the Merkle root computed with WebCrypto is RFC 6962’s (the journal’s implementation)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 70 }), async (leaves) => {
      const expected = rootFromLeafHashes(leaves.map((leaf) => hashLeaf(leaf)));
      assert.deepEqual(Buffer.from(await merkleRoot(leaves)), expected);
    }),
    { numRuns: 60 },
  );
});

test('a published cut passes every browser check with the election’s key', async () => {
  const base = await serve(cuts);
  let progressed = 0;
  let release: unknown = 'not told';
  const results = await verifyCutInBrowser({
    base,
    keyText: key,
    progress: (done) => (progressed = done),
    release: (named) => (release = named),
  });
  // The cut was built by a development checkout: its signed manifest names no release.
  assert.equal(release, null);
  assert.deepEqual(
    results.filter((r) => r.status !== 'pass'),
    [],
  );
  assert.deepEqual(
    results.map((r) => r.id),
    ['V00', 'V01', 'V02', 'V03', 'V04', 'V05', 'V06'],
  );
  assert.ok(progressed > 10);
  // The CSV rows the browser splits are those the manifest counts.
  const manifest = JSON.parse(await readFile(path.join(cuts, cutId, 'manifest.json'), 'utf8')) as {
    contests: { csv: string; actaRows: number }[];
  };
  for (const contest of manifest.contests)
    assert.equal(csvRowBytes(await readFile(path.join(cuts, cutId, contest.csv))).length, contest.actaRows);
});

test('one changed byte, a wrong key, an unsigned pointer: each fails the check that names it', async () => {
  const copy = path.join(work, 'tampered');
  await cp(cuts, copy, { recursive: true });
  const target = path.join(copy, cutId, 'json', 'PRES', 'nacional.json');
  const bytes = await readFile(target);
  const at = bytes.indexOf('"votes"') + 2;
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(target, bytes);
  const base = await serve(copy);
  const tampered = await verifyCutInBrowser({ base, keyText: key });
  const v04 = tampered.find((r) => r.id === 'V04')!;
  assert.equal(v04.status, 'fail');
  assert.match(v04.detail, /json\/PRES\/nacional\.json/);
  assert.equal(tampered.find((r) => r.id === 'V01')!.status, 'pass');

  // Another election's key (same name, other bytes) signs nothing here.
  const other = key.replace(/.$/, key.endsWith('A') ? 'B' : 'A');
  const wrong = await verifyCutInBrowser({ base: await serve(cuts), keyText: other });
  assert.equal(wrong.find((r) => r.id === 'V01')!.status, 'fail');

  // A pointer whose signature does not match its bytes.
  await writeFile(
    path.join(copy, 'latest.json'),
    (await readFile(path.join(copy, 'latest.json'), 'utf8')).replace('\n', ' \n'),
  );
  const pointer = await verifyCutInBrowser({ base: await serve(copy), keyText: key, cutId });
  assert.equal(pointer.find((r) => r.id === 'V00')!.status, 'fail');
});
