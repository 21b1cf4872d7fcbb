/**
 * The promises that span cuts and the files beside the acta tables, against real cuts of the
 * demo's night, tampered by the key holder (every hash updated and the manifest re-signed, so
 * only the promise under test is left to notice): fuera de catálogo rows are published facts
 * (V12), the catalog and the election never change during a night (V12), cuts are numbered one
 * by one (V12), the candidaturas CSV states the contest's columns (V15), and the signed latest
 * pointer names a published cut (V16).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateSigningKey, loadSigningKey } from '../journal/keys.ts';
import type { NoteSigner } from '../journal/note.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { resignCut, sha256Hex, signLatest } from '../test/resigned_cut.ts';
import { splitCells } from './core/csv_cells.ts';
import { verifyCut } from './verify.ts';

const MAIN = path.join(import.meta.dirname, '..', 'cli', 'main.ts');
let work: string;
let cutsRoot: string;
let key: string;
let signer: NoteSigner;
let cuts: string[];

type Report = Awaited<ReturnType<typeof verifyCut>>;
const failed = (report: Report) => report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
const check = (report: Report, id: string) => report.checks.find((c) => c.id === id);

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-cut-to-cut-'));
  const data = path.join(work, 'data');
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
  cutsRoot = path.join(data, 'cuts');
  key = (await readFile(path.join(data, 'keys', 'openprep.PEF2024.simulacro.pub'), 'utf8')).trim();
  const loaded = await loadSigningKey(path.join(data, 'keys', 'openprep.PEF2024.simulacro.key'));
  assert.ok(loaded.ok);
  signer = loaded.value;
  cuts = (await readdir(cutsRoot)).filter((name) => /^[0-9]{8}_[0-9]{4}$/.test(name)).sort();
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh root holding the catalog and copies of the named cuts (and the pointer, if asked). */
async function copyRoot(label: string, names: readonly string[], withPointer = false): Promise<string> {
  const root = path.join(work, label);
  await rm(root, { recursive: true, force: true });
  await mkdir(root);
  await cp(path.join(cutsRoot, 'catalogo'), path.join(root, 'catalogo'), { recursive: true });
  for (const name of names) await cp(path.join(cutsRoot, name), path.join(root, name), { recursive: true });
  if (withPointer)
    for (const file of ['latest.json', 'latest.sig'])
      await cp(path.join(cutsRoot, file), path.join(root, file));
  return root;
}

/** A results CSV as lines (without `\r`), the first with its BOM. */
const csvLines = (bytes: Buffer) => bytes.toString('utf8').split('\r').slice(0, -1);
const csvBytes = (lines: readonly string[]) => Buffer.from(`${lines.join('\r')}\r`, 'utf8');
const joinCells = (cells: readonly string[]) =>
  cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',');

/** Two consecutive cuts and a contest whose later CSV repeats a fuera de catálogo row of the earlier one. */
async function cutsWithFueraDeCatalogo(): Promise<{ previous: string; later: string; csv: string }> {
  for (let i = 1; i < cuts.length; i++) {
    for (const csv of ['PRES_2024.csv', 'SEN_2024.csv', 'DIP_FED_2024.csv']) {
      const before = csvLines(await readFile(path.join(cutsRoot, cuts[i - 1]!, csv)));
      if (before.slice(7).some((line) => line.startsWith('-,')))
        return { previous: cuts[i - 1]!, later: cuts[i]!, csv };
    }
  }
  throw new Error('the demo night published no fuera de catálogo acta');
}

describe('V12: fuera de catálogo rows are published facts', () => {
  test('a re-signed cut that alters a previously published fuera de catálogo row fails V12', async () => {
    const { previous, later, csv } = await cutsWithFueraDeCatalogo();
    const root = await copyRoot('fdc-altered', [previous, later]);
    const file = path.join(root, later, csv);
    const lines = csvLines(await readFile(file));
    const header = splitCells(lines[6]!, ',');
    assert.ok(header.ok);
    const at = (name: string) => header.value.indexOf(name);
    const total = at('TOTAL_VOTOS_CALCULADO');
    // One vote taken from a fuera de catálogo row, its total kept true: the row stays valid under
    // the PREP rules and the same length, and counts in no total: only the previous cut can tell.
    let edited = false;
    for (let i = 7; i < lines.length && !edited; i++) {
      if (!lines[i]!.startsWith('-,')) continue;
      const cells = splitCells(lines[i]!, ',');
      assert.ok(cells.ok);
      const row = cells.value;
      const sum = Number(row[total]);
      if (!['0', '1'].includes(row[at('COTEJADA')]!) || String(sum - 1).length !== String(sum).length)
        continue;
      for (let c = 16; c < total - 1; c++) {
        const n = Number(row[c]);
        if (!/^[1-9][0-9]*$/.test(row[c]!) || String(n - 1).length !== row[c]!.length) continue;
        row[c] = String(n - 1);
        row[total] = String(sum - 1);
        lines[i] = joinCells(row);
        edited = true;
        break;
      }
    }
    assert.ok(edited, 'no fuera de catálogo row to edit');
    await resignCut(path.join(root, later), signer, { files: { [csv]: csvBytes(lines) } });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.deepEqual(
      failed(report),
      ['V12'],
      JSON.stringify(report.checks.filter((c) => c.status === 'fail')),
    );
    assert.match(check(report, 'V12')!.detail, /fuera de catálogo .* changed without a logged correction/);
  });

  test('a re-signed cut that drops a previously published fuera de catálogo row fails V12', async () => {
    const { previous, later, csv } = await cutsWithFueraDeCatalogo();
    const root = await copyRoot('fdc-dropped', [previous, later]);
    const file = path.join(root, later, csv);
    const lines = csvLines(await readFile(file));
    const dropped = lines.findIndex((line, i) => i >= 7 && line.startsWith('-,'));
    lines.splice(dropped, 1);
    await resignCut(path.join(root, later), signer, { files: { [csv]: csvBytes(lines) } });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.ok(failed(report).includes('V12'));
    assert.match(check(report, 'V12')!.detail, /fuera de catálogo .* was published and is gone/);
  });

  test('the untouched pair passes, fuera de catálogo rows included', async () => {
    const { previous, later } = await cutsWithFueraDeCatalogo();
    const report = await verifyCut({
      cut: path.join(cutsRoot, later),
      publicKey: key,
      previous: path.join(cutsRoot, previous),
    });
    assert.deepEqual(failed(report), []);
  });
});

describe('V12: the catalog, the election and the numbering between cuts', () => {
  test('a later cut naming a changed catalog fails V12, although its own catalog (V11) matches', async () => {
    const [previous, later] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('catalog-changed', [previous, later]);
    const catalogFile = path.join(root, 'catalogo', 'CATALOGO_CASILLAS_PEF2024.csv');
    const text = await readFile(catalogFile, 'utf8');
    // BOLETAS_APROBADAS of a basic casilla: read by no rule, so only the catalog's hash changes.
    const changed = text.replace(
      /(,B,[^\n]*,)(\d+)\n/,
      (_, head: string, ballots: string) => `${head}${Number(ballots) + 1}\n`,
    );
    assert.notEqual(changed, text);
    await writeFile(catalogFile, changed);
    await resignCut(path.join(root, later), signer, {
      editManifest: (m) => {
        m.catalog.sha256 = sha256Hex(Buffer.from(changed));
      },
    });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.equal(check(report, 'V11')!.status, 'pass');
    assert.deepEqual(failed(report), ['V12']);
    assert.match(check(report, 'V12')!.detail, /the catalog changed since the previous cut/);
  });

  test('a later cut naming a changed election definition fails V12', async () => {
    const [previous, later] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('election-changed', [previous, later]);
    const electionFile = path.join(root, 'catalogo', 'ELECCION_PEF2024.json');
    const definition = JSON.parse(await readFile(electionFile, 'utf8'));
    definition.cutIntervalMinutes += 1;
    const changed = Buffer.from(`${JSON.stringify(definition, null, 2)}\n`);
    await writeFile(electionFile, changed);
    await resignCut(path.join(root, later), signer, {
      editManifest: (m) => {
        m.catalog.electionSha256 = sha256Hex(changed);
      },
    });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.equal(check(report, 'V11')!.status, 'pass');
    assert.deepEqual(failed(report), ['V12']);
    assert.match(check(report, 'V12')!.detail, /the election definition changed since the previous cut/);
  });

  test('a cut whose sequence skips a number fails V12: the publisher numbers cuts one by one', async () => {
    const [previous, later] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('sequence-gap', [previous, later]);
    await resignCut(path.join(root, later), signer, {
      editManifest: (m) => {
        m.cut.sequence += 1;
      },
    });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    // The cut's own history still lists it with the sequence it was built with: V10 sees that too.
    assert.deepEqual(failed(report), ['V10', 'V12']);
    assert.match(check(report, 'V10')!.detail, /historial\.json does not end with this cut/);
    assert.match(check(report, 'V12')!.detail, /sequence .* not the previous cut's \+ 1/);
  });

  test("a previous cut whose time does not parse fails V12's time check, not passes it", async () => {
    const [previous, later] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('previous-time', [previous, later]);
    // The key holder re-signs both: the previous cut with a time that is no instant, and the
    // later one naming that previous manifest, so only the time can fail.
    await resignCut(path.join(root, previous), signer, {
      editManifest: (m) => {
        m.cut.timeUtc = 'not a time';
      },
    });
    const previousSha = sha256Hex(await readFile(path.join(root, previous, 'manifest.json')));
    // The later cut's history lists the previous cut by its manifest's hash: that one too.
    const history = JSON.parse(await readFile(path.join(root, later, 'json/historial.json'), 'utf8'));
    history.cuts.at(-2).manifestSha256 = previousSha;
    await resignCut(path.join(root, later), signer, {
      files: { 'json/historial.json': Buffer.from(`${JSON.stringify(history)}\n`) },
      editManifest: (m) => {
        m.previous.manifestSha256 = previousSha;
      },
    });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.deepEqual(
      failed(report),
      ['V12'],
      JSON.stringify(report.checks.filter((c) => c.status === 'fail')),
    );
    assert.match(check(report, 'V12')!.detail, /the cut time does not move forward/);
  });
});

describe('V15: the candidaturas CSV', () => {
  test('passes on a real cut, folder and zip', async () => {
    const last = path.join(cutsRoot, cuts.at(-1)!);
    assert.equal(check(await verifyCut({ cut: last, publicKey: key }), 'V15')?.status, 'pass');
    const zip = await verifyCut({
      cut: path.join(last, `${cuts.at(-1)}_PREP.zip`),
      publicKey: key,
      catalog: path.join(cutsRoot, 'catalogo'),
    });
    assert.equal(check(zip, 'V15')?.status, 'pass', JSON.stringify(check(zip, 'V15')));
  });

  const tampered = async (label: string, edit: (lines: string[]) => void) => {
    const name = cuts.at(-1)!;
    const root = await copyRoot(label, [name]);
    const file = 'PRES_CANDIDATURAS_2024.csv';
    const lines = csvLines(await readFile(path.join(root, name, file)));
    edit(lines);
    await resignCut(path.join(root, name), signer, { files: { [file]: csvBytes(lines) } });
    return verifyCut({ cut: path.join(root, name), publicKey: key });
  };

  test('a renamed option fails V15', async () => {
    const report = await tampered('cand-name', (lines) => {
      lines[2] = lines[2]!.replace('Partido Acción Nacional', 'Partido Acción Nacional Renovado');
    });
    assert.deepEqual(failed(report), ['V15']);
    assert.match(check(report, 'V15')!.detail, /PAN: NOMBRE/);
  });

  test('a candidate moved to another column fails V15', async () => {
    const report = await tampered('cand-candidate', (lines) => {
      const mc = lines.findIndex((l) => l.startsWith('MC,'));
      const morena = lines.findIndex((l) => l.startsWith('MORENA,'));
      const [, , , mcCandidate] = lines[mc]!.split(',');
      lines[morena] = lines[morena]!.split(',').with(3, mcCandidate!).join(',');
    });
    assert.deepEqual(failed(report), ['V15']);
    assert.match(check(report, 'V15')!.detail, /MORENA: CANDIDATURA/);
  });

  test('a dropped column fails V15', async () => {
    const report = await tampered('cand-dropped', (lines) => {
      lines.splice(3, 1);
    });
    assert.deepEqual(failed(report), ['V15']);
    assert.match(check(report, 'V15')!.detail, /columns .* are not the results CSV's/);
  });

  test('a changed coalition and a wrong header both fail V15', async () => {
    const report = await tampered('cand-coalition', (lines) => {
      const i = lines.findIndex((l) => l.startsWith('PAN_PRI,'));
      lines[i] = lines[i]!.replace('PAN PRI', 'PAN PRD');
      lines[1] = lines[1]!.replace('PARTIDOS', 'PARTIDO');
    });
    assert.deepEqual(failed(report), ['V15']);
    const detail = check(report, 'V15')!.detail;
    assert.match(detail, /line 2/);
    assert.match(detail, /PAN_PRI: PARTIDOS/);
  });

  test('a missing candidaturas file fails V15', async () => {
    const name = cuts.at(-1)!;
    const root = await copyRoot('cand-missing', [name]);
    await resignCut(path.join(root, name), signer, { files: { 'SEN_CANDIDATURAS_2024.csv': null } });
    const report = await verifyCut({ cut: path.join(root, name), publicKey: key });
    // The re-signed zip lacks it too, and every contest's inner zip must hold its candidaturas (V14).
    assert.deepEqual(failed(report), ['V14', 'V15']);
    assert.match(check(report, 'V15')!.detail, /SEN_CANDIDATURAS_2024.csv is missing/);
    assert.match(check(report, 'V14')!.detail, /_PREP_SEN\.zip does not hold SEN_CANDIDATURAS_2024\.csv/);
  });
});

describe('V16: the signed latest pointer', () => {
  test('beside the cut folder it passes, for the newest cut and for an older one; absent, it is skipped', async () => {
    const [older, newest] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('pointer-ok', [older, newest], true);
    for (const name of [older, newest]) {
      const report = await verifyCut({ cut: path.join(root, name), publicKey: key });
      assert.equal(check(report, 'V16')?.status, 'pass', JSON.stringify(check(report, 'V16')));
    }
    const alone = await copyRoot('pointer-none', [newest]);
    assert.equal(
      check(await verifyCut({ cut: path.join(alone, newest), publicKey: key }), 'V16')?.status,
      'skip',
    );
  });

  test('a pointer signed by another key fails V16', async () => {
    const newest = cuts.at(-1)!;
    const root = await copyRoot('pointer-impostor', [newest], true);
    const latest = await readFile(path.join(root, 'latest.json'));
    const impostor = generateSigningKey(signer.name);
    await writeFile(path.join(root, 'latest.sig'), signLatest(latest, newest, impostor));
    const report = await verifyCut({ cut: path.join(root, newest), publicKey: key });
    assert.deepEqual(failed(report), ['V16']);
    assert.match(check(report, 'V16')!.detail, /latest.sig is not signed by this key/);
  });

  test('a pointer the key holder signs over another manifest, or an older cut, fails V16', async () => {
    const [older, newest] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('pointer-resigned', [older, newest], true);
    const point = async (pointer: object, signedCut: string) => {
      const latest = Buffer.from(stableJson(pointer));
      await writeFile(path.join(root, 'latest.json'), latest);
      await writeFile(path.join(root, 'latest.sig'), signLatest(latest, signedCut, signer));
      return verifyCut({ cut: path.join(root, older), publicKey: key });
    };
    const honest = JSON.parse(await readFile(path.join(cutsRoot, 'latest.json'), 'utf8'));
    const wrongHash = await point({ ...honest, manifestSha256: '0'.repeat(64) }, newest);
    assert.deepEqual(failed(wrongHash), ['V16']);
    assert.match(check(wrongHash, 'V16')!.detail, /manifestSha256/);
    // Back to the older cut: a rollback of the pointer behind a published cut.
    const olderSha = sha256Hex(await readFile(path.join(root, older, 'manifest.json')));
    const olderManifest = JSON.parse(await readFile(path.join(root, older, 'manifest.json'), 'utf8'));
    const rolledBack = await point(
      { cut: older, manifestSha256: olderSha, time: olderManifest.cut.time },
      older,
    );
    assert.equal(check(rolledBack, 'V16')?.status, 'pass');
    const rollbackFromNewest = await verifyCut({ cut: path.join(root, newest), publicKey: key });
    assert.deepEqual(failed(rollbackFromNewest), ['V16']);
    assert.match(check(rollbackFromNewest, 'V16')!.detail, /points back/);
    const mismatched = await point({ ...honest }, older);
    assert.deepEqual(failed(mismatched), ['V16']);
    assert.match(check(mismatched, 'V16')!.detail, /latest.sig does not sign these latest.json bytes/);
  });
});

describe('the history of the night: json/historial.json and json/cambios.json', () => {
  const readJson = async (root: string, cut: string, file: string) =>
    JSON.parse(await readFile(path.join(root, cut, file), 'utf8'));

  test("the last cut's history lists every cut of the night, each with its manifest's SHA-256", async () => {
    const last = cuts.at(-1)!;
    const history = await readJson(cutsRoot, last, 'json/historial.json');
    assert.deepEqual(
      history.cuts.map((c: { id: string }) => c.id),
      cuts,
    );
    for (const [i, entry] of (history.cuts as { id: string; manifestSha256: string | null }[]).entries()) {
      const manifest = await readFile(path.join(cutsRoot, entry.id, 'manifest.json'));
      assert.equal(entry.manifestSha256, i === cuts.length - 1 ? null : sha256Hex(manifest), entry.id);
    }
    assert.equal(history.cuts.at(-1).final, true);
  });

  /** Two consecutive cuts where the later one added actas. */
  async function cutsWithAdded(): Promise<{ previous: string; later: string }> {
    for (let i = 1; i < cuts.length; i++) {
      const changes = await readJson(cutsRoot, cuts[i]!, 'json/cambios.json');
      if (changes.contests.some((c: { added: unknown[] }) => c.added.length > 1))
        return { previous: cuts[i - 1]!, later: cuts[i]! };
    }
    throw new Error('no cut of the demo night added actas');
  }

  test('a cambios.json that leaves out an added acta, re-signed, fails V12 naming it', async () => {
    const { previous, later } = await cutsWithAdded();
    const root = await copyRoot('changes-omitted', [previous, later]);
    const changes = await readJson(root, later, 'json/cambios.json');
    const contest = changes.contests.find((c: { added: unknown[] }) => c.added.length > 1);
    const [dropped] = contest.added.splice(0, 1);
    await resignCut(path.join(root, later), signer, {
      files: { 'json/cambios.json': Buffer.from(`${JSON.stringify(changes)}\n`) },
    });
    const alone = await verifyCut({ cut: path.join(root, later), publicKey: key });
    assert.deepEqual(failed(alone), [], 'on its own the file is well formed');
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.deepEqual(failed(report), ['V12']);
    assert.match(check(report, 'V12')!.detail, new RegExp(`cambios\\.json ${contest.id} added: entry 1 is`));
    assert.match(check(report, 'V12')!.detail, new RegExp(dropped[0]));
  });

  test("a history that rewrites an earlier cut's figures, re-signed, fails V12", async () => {
    const [previous, later] = cuts.slice(-2) as [string, string];
    const root = await copyRoot('history-rewritten', [previous, later]);
    const history = await readJson(root, later, 'json/historial.json');
    history.cuts[0].aggregates[0][2] = '99.0000';
    await resignCut(path.join(root, later), signer, {
      files: { 'json/historial.json': Buffer.from(`${JSON.stringify(history)}\n`) },
    });
    const report = await verifyCut({
      cut: path.join(root, later),
      publicKey: key,
      previous: path.join(root, previous),
    });
    assert.deepEqual(failed(report), ['V12']);
    assert.match(check(report, 'V12')!.detail, /historial\.json: the cuts before this one/);
  });

  test("a history whose own cut's figures are not its nacional file's, re-signed, fails V10", async () => {
    const last = cuts.at(-1)!;
    const root = await copyRoot('history-own-figures', [last]);
    const history = await readJson(root, last, 'json/historial.json');
    history.cuts.at(-1).aggregates[1][3] = '12.3456';
    await resignCut(path.join(root, last), signer, {
      files: { 'json/historial.json': Buffer.from(`${JSON.stringify(history)}\n`) },
    });
    const report = await verifyCut({ cut: path.join(root, last), publicKey: key });
    assert.deepEqual(failed(report), ['V10']);
    assert.match(
      check(report, 'V10')!.detail,
      /this cut's SEN figures are not those of json\/SEN\/nacional\.json/,
    );
  });

  test('a cambios.json with a field of its own fails V10 by its schema', async () => {
    const last = cuts.at(-1)!;
    const root = await copyRoot('changes-shape', [last]);
    const changes = await readJson(root, last, 'json/cambios.json');
    changes.note = 'added';
    await resignCut(path.join(root, last), signer, {
      files: { 'json/cambios.json': Buffer.from(`${JSON.stringify(changes)}\n`) },
    });
    const report = await verifyCut({ cut: path.join(root, last), publicKey: key });
    assert.deepEqual(failed(report), ['V10']);
    assert.match(check(report, 'V10')!.detail, /history\.schema\.json.*"note"/);
  });
});
