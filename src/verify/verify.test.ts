/**
 * The verifier against the real thing: the demo's own cuts, built by the CLI exactly as a
 * newcomer runs it, then every published file damaged one byte at a time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { generateSigningKey, loadSigningKey, verifierKeyText } from '../journal/keys.ts';
import { signNote } from '../journal/note.ts';
import { verifyCut } from './verify.ts';

const MAIN = path.join(import.meta.dirname, '..', 'cli', 'main.ts');
let work: string;
let data: string;
let key: string;
let cuts: string[];

function failedChecks(report: Awaited<ReturnType<typeof verifyCut>>): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
}

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, child)));
    else out.push(child);
  }
  return out;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-verify-'));
  data = path.join(work, 'data');
  // The unattended night of the README, with hourly cuts to keep the test short.
  const run = spawnSync(
    process.execPath,
    [
      MAIN,
      'demo',
      '--scale',
      'tiny',
      '--until-close',
      '--no-serve',
      '--no-images',
      '--data',
      data,
      '--cut-every',
      '20',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, `demo failed:\n${run.stdout}\n${run.stderr}`);
  key = (await readFile(path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub'), 'utf8')).trim();
  cuts = (await readdir(path.join(data, 'cuts'))).filter((name) => /^[0-9]{8}_[0-9]{4}$/.test(name)).sort();
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('openprep verify on the demo', () => {
  test('every cut of the night verifies, each against the one before', async () => {
    assert.ok(cuts.length >= 70, `${cuts.length} cuts`);
    for (let i = 0; i < cuts.length; i++) {
      const report = await verifyCut({
        cut: path.join(data, 'cuts', cuts[i]!),
        publicKey: key,
        ...(i > 0 ? { previous: path.join(data, 'cuts', cuts[i - 1]!) } : {}),
      });
      assert.deepEqual(
        failedChecks(report),
        [],
        `${cuts[i]}: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`,
      );
    }
  });

  test('the CLI exits 0 on the final cut and its zip, and non-zero naming the check', () => {
    const last = path.join(data, 'cuts', cuts.at(-1)!);
    const keyFile = path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub');
    const ok = spawnSync(process.execPath, [MAIN, 'verify', last, '--key', keyFile], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const zip = spawnSync(
      process.execPath,
      [
        MAIN,
        'verify',
        path.join(last, `${cuts.at(-1)}_PREP.zip`),
        '--key',
        keyFile,
        '--catalog',
        path.join(data, 'cuts', 'catalogo'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(zip.status, 0, zip.stdout + zip.stderr);
    const live = spawnSync(process.execPath, [MAIN, 'verify', last, '--key', keyFile, '--mode', 'live'], {
      encoding: 'utf8',
    });
    assert.equal(live.status, 1);
    assert.match(live.stdout, /V02 FAIL/);
    assert.match(live.stdout, /FAILED V02/);
  });

  test('a one-byte change to any published file of a cut fails, naming the check', async () => {
    const name = cuts.at(-1)!;
    const original = path.join(data, 'cuts', name);
    const files = await listFiles(original);
    assert.ok(files.length > 15);
    for (const file of files) {
      const copyRoot = path.join(work, 'tamper');
      await rm(copyRoot, { recursive: true, force: true });
      await mkdir(copyRoot);
      await cp(path.join(data, 'cuts', 'catalogo'), path.join(copyRoot, 'catalogo'), { recursive: true });
      await cp(original, path.join(copyRoot, name), { recursive: true });
      const target = path.join(copyRoot, name, file);
      const bytes = await readFile(target);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      await writeFile(target, bytes);
      const report = await verifyCut({ cut: path.join(copyRoot, name), publicKey: key });
      assert.equal(report.ok, false, `a change to ${file} went unnoticed`);
      assert.ok(failedChecks(report).length > 0);
    }
  });

  test('a publisher who edits a distrito file and re-signs the manifest still fails V10', async () => {
    const name = cuts.at(-1)!;
    const signer = await loadSigningKey(path.join(data, 'keys', 'openprep.PEF2024.simulacro.key'));
    assert.ok(signer.ok);
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    /** Copies the cut, edits one file, and publishes it as the key holder would: new hash, new signature. */
    type DistritoFile = {
      secciones: { votes: number[]; casillas: [string, number, number][] }[];
      candidaturas: { id: string; candidate: string | null; votes: number }[];
    };
    const tamperAndResign = async (edit: (distrito: DistritoFile) => void) => {
      const copyRoot = path.join(work, 'resigned');
      await rm(copyRoot, { recursive: true, force: true });
      await mkdir(copyRoot);
      await cp(path.join(data, 'cuts', 'catalogo'), path.join(copyRoot, 'catalogo'), { recursive: true });
      await cp(path.join(data, 'cuts', name), path.join(copyRoot, name), { recursive: true });
      const folder = path.join(copyRoot, name);
      const distritoFile = (await listFiles(folder)).find((f) => f.startsWith('json/PRES/distrito/'))!;
      const distrito = JSON.parse(await readFile(path.join(folder, distritoFile), 'utf8')) as DistritoFile;
      edit(distrito);
      const edited = Buffer.from(`${JSON.stringify(distrito)}\n`);
      await writeFile(path.join(folder, distritoFile), edited);
      const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
      const listed = manifest.files.find((f: { path: string }) => f.path === distritoFile);
      listed.bytes = edited.length;
      listed.sha256 = sha(edited);
      const sorted = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(sorted)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(
                Object.keys(v)
                  .sort()
                  .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
              )
            : v;
      const manifestBytes = Buffer.from(`${JSON.stringify(sorted(manifest), null, 2)}\n`);
      await writeFile(path.join(folder, 'manifest.json'), manifestBytes);
      await writeFile(
        path.join(folder, 'manifest.sig'),
        signNote(`${signer.value.name}/cut\n${name}\nsha256 ${sha(manifestBytes)}\n`, signer.value),
      );
      // The zip still carries the honest manifest (V14 notices); V10 is what this test is about.
      const report = await verifyCut({ cut: folder, publicKey: key });
      return report.checks.filter((c) => c.status === 'fail');
    };
    // Re-serialized and re-signed without a change: the procedure itself leaves a valid cut.
    assert.deepEqual(await tamperAndResign(() => {}), []);
    const shifted = await tamperAndResign((d) => {
      d.secciones[0]!.casillas[0]![1] += 1;
    });
    assert.ok(
      shifted.some((c) => c.id === 'V10' && /byte range/.test(c.detail)),
      JSON.stringify(shifted),
    );
    const dropped = await tamperAndResign((d) => {
      d.secciones[0]!.casillas.pop();
    });
    assert.ok(
      dropped.some((c) => c.id === 'V10' && /casillas differ/.test(c.detail)),
      JSON.stringify(dropped),
    );
    const votes = await tamperAndResign((d) => {
      d.secciones[0]!.votes[0]! += 1;
    });
    assert.ok(
      votes.some((c) => c.id === 'V10' && /votes differ/.test(c.detail)),
      JSON.stringify(votes),
    );
    // A candidatura's headline: its votes, its candidate, or the order of the list.
    for (const edit of [
      (d: DistritoFile) => {
        d.candidaturas[0]!.votes += 1;
      },
      (d: DistritoFile) => {
        d.candidaturas[1]!.candidate = 'Otra Persona';
      },
      (d: DistritoFile) => {
        d.candidaturas.reverse();
      },
    ]) {
      const failed = await tamperAndResign(edit);
      assert.ok(
        failed.some((c) => c.id === 'V10' && /candidaturas differ/.test(c.detail)),
        JSON.stringify(failed),
      );
    }
  });

  test('a change to the catalog the cut names fails V11', async () => {
    const name = cuts.at(-1)!;
    const copyRoot = path.join(work, 'catalog-tamper');
    await cp(path.join(data, 'cuts', 'catalogo'), path.join(copyRoot, 'catalogo'), { recursive: true });
    await cp(path.join(data, 'cuts', name), path.join(copyRoot, name), { recursive: true });
    const catalogFile = (await readdir(path.join(copyRoot, 'catalogo'))).find((f) => f.endsWith('.csv'))!;
    const text = await readFile(path.join(copyRoot, 'catalogo', catalogFile), 'utf8');
    await writeFile(
      path.join(copyRoot, 'catalogo', catalogFile),
      text.replace(/,(\d+),(\d+),0\n/, (_, ln: string, reps: string) => `,${Number(ln) + 1},${reps},0\n`),
    );
    const report = await verifyCut({ cut: path.join(copyRoot, name), publicKey: key });
    assert.ok(failedChecks(report).includes('V11'));
  });

  test('another key, even with the same name, fails V01', async () => {
    const impostor = verifierKeyText(generateSigningKey('openprep.PEF2024.simulacro'));
    const report = await verifyCut({ cut: path.join(data, 'cuts', cuts.at(-1)!), publicKey: impostor });
    assert.ok(failedChecks(report).includes('V01'));
  });

  test('a cut checked against a cut that is not its predecessor fails V12', async () => {
    const report = await verifyCut({
      cut: path.join(data, 'cuts', cuts.at(-1)!),
      publicKey: key,
      previous: path.join(data, 'cuts', cuts.at(-3)!),
    });
    assert.deepEqual(failedChecks(report), ['V12']);
  });

  test('a damaged zip is refused', async () => {
    const name = cuts.at(-1)!;
    const zip = await readFile(path.join(data, 'cuts', name, `${name}_PREP.zip`));
    const at = Math.floor(zip.length / 3);
    zip[at] = zip[at]! ^ 0x40;
    const damaged = path.join(work, 'damaged.zip');
    await writeFile(damaged, zip);
    const report = await verifyCut({
      cut: damaged,
      publicKey: key,
      catalog: path.join(data, 'cuts', 'catalogo'),
    });
    assert.equal(report.ok, false);
  });
});

describe('V13: acta images', () => {
  test('images named by their hash pass; a missing or altered image fails', async () => {
    const { writeFirstCut } = await import('../test/first_cut.ts');
    const { testSigner } = await import('../journal/test_keys.ts');
    const { verifierKeyText } = await import('../journal/keys.ts');
    const { BASICA, fields, published } = await import('../test/fixtures.ts');
    const { createHash } = await import('node:crypto');
    const image = Buffer.from('not really a JPEG, but bytes whose hash is published');
    const sha = createHash('sha256').update(image).digest('hex');
    const acta = published(BASICA, fields(BASICA, [1, 2, 3, 4, 5]));
    const signer = testSigner('openprep.TEST2024.simulacro');
    const { folder } = await writeFirstCut({
      cutsRoot: path.join(work, 'images-cut'),
      actas: [{ ...acta, submission: { ...acta.submission!, imageSha256: sha } }],
      cutTime: Date.parse('2024-06-03T03:00:00.000Z'),
      signer,
    });
    const images = path.join(work, 'images');
    await mkdir(path.join(images, 'sha256', sha.slice(0, 2)), { recursive: true });
    const file = path.join(images, 'sha256', sha.slice(0, 2), `${sha.slice(2)}.jpg`);
    await writeFile(file, image);
    const check = async () =>
      (await verifyCut({ cut: folder, publicKey: verifierKeyText(signer), images })).checks.find(
        (c) => c.id === 'V13',
      )!;
    assert.equal((await check()).status, 'pass');
    await writeFile(file, Buffer.concat([image, Buffer.from('!')]));
    assert.equal((await check()).status, 'fail');
    await rm(file);
    assert.match((await check()).detail, /missing image/);
  });
});
