/**
 * Issue 23: faults the verifier must report as numbered FAILs, never as an exception, and the
 * promises of the format it must hold even against the key holder. A small real cut is built
 * from the fixtures; each tampering is then published as a key holder would: the CSV rewritten,
 * the acta Merkle root, the casilla byte ranges of the distrito files, the manifest, its
 * signature and the zip all made to agree — so the check named is the one that catches it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fsPromises, { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import yazl from 'yazl';
import { catalogToCsv } from '../catalog/csv_import.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import { verifierKeyText } from '../journal/keys.ts';
import { signCheckpoint } from '../journal/checkpoint.ts';
import { EMPTY_ROOT, hashLeaf, rootFromLeafHashes } from '../journal/merkle.ts';
import { signNote } from '../journal/note.ts';
import { testSigner } from '../journal/test_keys.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { readZipEntries } from '../platform/zip.ts';
import { buildCut } from '../publish/cut_builder.ts';
import { writeCut } from '../publish/cut_writer.ts';
import {
  BASICA,
  CATALOG,
  CONTEST,
  CONTIGUA,
  ELECTION,
  ESPECIAL,
  EXTRAORDINARIA,
  fields,
  published,
} from '../test/fixtures.ts';
import { writeFirstCut } from '../test/first_cut.ts';
import { splitCells } from './core/csv_cells.ts';
import { type VerifyReport, verifyCut } from './verify.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { signLatest } from '../test/resigned_cut.ts';

const MAIN = path.join(import.meta.dirname, '..', 'cli', 'main.ts');
const CSV = 'DIP_FED_2024.csv';
const signer = testSigner('openprep.TEST2024.simulacro');
const key = verifierKeyText(signer);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let work: string;
let root: string; // the honest cuts root: catalogo/ and one cut
let cutId: string;

const failures = (report: VerifyReport) =>
  report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`);
const failedIds = (report: VerifyReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.id);

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-verify-faults-'));
  root = path.join(work, 'honest');
  const actas = [
    // PAN is on every ballot, PAN_MORENA only in distrito 01-001 (BASICA, CONTIGUA).
    published(BASICA, fields(BASICA, [0, 20, 5, 1, 4])),
    published(CONTIGUA, fields(CONTIGUA, [7, 8, 0, 3, 1])),
    published(EXTRAORDINARIA, fields(EXTRAORDINARIA, [10, 0, 2, 3])),
    published(ESPECIAL, fields(ESPECIAL, [1, 2, 0, 0])),
    published(ESPECIAL, null, { tipoActa: '04', sinActaReason: 'CASILLA_NO_INSTALADA' }),
    published(null, fields(BASICA, [1, 2, 3, 0, 0])),
  ];
  ({ cutId } = await writeFirstCut({
    cutsRoot: root,
    actas,
    cutTime: Date.parse('2024-06-03T05:00:00.000Z'),
    signer,
  }));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of the honest cuts root; returns the cut folder. */
async function copyCut(): Promise<string> {
  const copyRoot = path.join(work, `copy-${++copies}`);
  await cp(root, copyRoot, { recursive: true });
  return path.join(copyRoot, cutId);
}

function zipWith(
  entries: readonly (readonly [string, Buffer])[],
  mtime = new Date(1980, 0, 1),
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name, { mtime, forceDosTimestamp: true });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** Rebuilds the folder's zip from the folder's files; `mtime` dates its entries (outer, inner or both). */
async function rezip(
  folder: string,
  dates: { readonly outer?: Date; readonly inner?: Date } = {},
): Promise<Buffer> {
  const zipPath = path.join(folder, `${cutId}_PREP.zip`);
  const outer = await readZipEntries(await readFile(zipPath));
  assert.ok(outer.ok);
  const entries: [string, Buffer][] = [];
  for (const [name, data] of outer.value) {
    if (name.endsWith('.zip')) {
      const inner = await readZipEntries(data);
      assert.ok(inner.ok);
      const files: [string, Buffer][] = [];
      for (const innerName of inner.value.keys())
        files.push([innerName, await readFile(path.join(folder, innerName))]);
      entries.push([name, await zipWith(files, dates.inner)]);
    } else entries.push([name, await readFile(path.join(folder, name))]);
  }
  const zip = await zipWith(entries, dates.outer);
  await writeFile(zipPath, zip);
  return zip;
}

type Cells = string[] & { readonly at: (column: string) => number };

/**
 * Publishes an edit of the contest's CSV rows as the key holder would: every derived byte
 * (Merkle root, casilla ranges, manifest, signature, zip) made to agree with it.
 */
async function republish(
  edit: (cells: Cells, clave: string) => void,
  editHeader: (lines: string[]) => void = () => {},
): Promise<string> {
  const folder = await copyCut();
  const csvPath = path.join(folder, CSV);
  const lines = (await readFile(csvPath, 'utf8')).slice(1).split('\r').slice(0, -1);
  editHeader(lines);
  const header = splitCells(lines[6]!, ',');
  assert.ok(header.ok);
  const at = (column: string) => {
    const i = header.value.indexOf(column);
    assert.ok(i >= 0, column);
    return i;
  };
  const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  const rows = lines.slice(7).map((line) => {
    const cells = splitCells(line, ',');
    assert.ok(cells.ok);
    const row = Object.assign(cells.value, { at }) as Cells;
    edit(row, row[at('CLAVE_ACTA')]!);
    return [...row].map(quote).join(',');
  });
  const csv = Buffer.from(`\uFEFF${[...lines.slice(0, 7), ...rows].join('\r')}\r`);
  await writeFile(csvPath, csv);
  // Casilla byte ranges for the distrito files.
  const ranges = new Map<string, [number, number]>();
  let offset = Buffer.byteLength(`\uFEFF${lines.slice(0, 7).join('\r')}\r`);
  for (const row of rows) {
    const length = Buffer.byteLength(row) + 1;
    const clave = splitCells(row, ',');
    assert.ok(clave.ok);
    const casilla = clave.value[0]!.slice(1);
    if (clave.value[0] !== '-') {
      const range = ranges.get(casilla);
      if (range === undefined) ranges.set(casilla, [offset, length]);
      else range[1] += length;
    }
    offset += length;
  }
  const changed = new Map<string, Buffer>([[CSV, csv]]);
  const distritos = path.join(folder, 'json', CONTEST.id, 'distrito');
  for (const name of await readdir(distritos)) {
    const file = path.join(distritos, name);
    const before = await readFile(file, 'utf8');
    const json = JSON.parse(before) as { secciones: { casillas: [string, number, number][] }[] };
    for (const seccion of json.secciones)
      for (const entry of seccion.casillas) {
        const range = ranges.get(entry[0]);
        if (range !== undefined) [entry[1], entry[2]] = range;
      }
    const after = `${JSON.stringify(json)}\n`;
    if (after !== before) {
      await writeFile(file, after);
      changed.set(`json/${CONTEST.id}/distrito/${name}`, Buffer.from(after));
    }
  }
  await resign(folder, changed, (manifest) => {
    const contest = manifest.contests.find((c) => c.csv === CSV)!;
    contest.actaMerkleRoot = rootFromLeafHashes(rows.map((row) => hashLeaf(Buffer.from(row)))).toString(
      'hex',
    );
  });
  await rezip(folder);
  return folder;
}

type EditableManifest = {
  files: { path: string; bytes: number; sha256: string }[];
  contests: { csv: string; actaMerkleRoot: string }[];
};

/** A new manifest for changed files, signed with the election's key. */
async function resign(
  folder: string,
  changed: ReadonlyMap<string, Buffer>,
  more: (manifest: EditableManifest) => void = () => {},
): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as EditableManifest;
  for (const [file, bytes] of changed) {
    const listed = manifest.files.find((f) => f.path === file)!;
    listed.bytes = bytes.length;
    listed.sha256 = sha(bytes);
  }
  more(manifest);
  const manifestBytes = Buffer.from(stableJson(manifest));
  await writeFile(path.join(folder, 'manifest.json'), manifestBytes);
  await writeFile(
    path.join(folder, 'manifest.sig'),
    signNote(`${signer.name}/cut\n${cutId}\nsha256 ${sha(manifestBytes)}\n`, signer),
  );
  // The key holder moves the signed pointer too (V16 compares it with the manifest).
  const latestPath = path.join(folder, '..', 'latest.json');
  const pointer = JSON.parse(await readFile(latestPath, 'utf8')) as Record<string, unknown>;
  pointer['manifestSha256'] = sha(manifestBytes);
  const latest = Buffer.from(stableJson(pointer));
  await writeFile(latestPath, latest);
  await writeFile(path.join(folder, '..', 'latest.sig'), signLatest(latest, cutId, signer));
}

const verify = (cut: string, extra: { catalog?: string } = {}) =>
  verifyCut({ cut, publicKey: key, ...extra });

describe('the cut the tests tamper with', () => {
  test('verifies, and so does its copy republished without a change', async () => {
    assert.deepEqual(failures(await verify(path.join(root, cutId))), []);
    assert.deepEqual(failures(await verify(await republish(() => {}))), []);
    const zipOnly = await verify(path.join(root, cutId, `${cutId}_PREP.zip`), {
      catalog: path.join(root, 'catalogo'),
    });
    assert.deepEqual(failures(zipOnly), []);
  });
});

describe('item 1: a missing or unreadable file is a numbered FAIL, never an exception', () => {
  test('a cut folder without its zip fails V14; the CLI prints the report and exits 1', async () => {
    const folder = await copyCut();
    await rm(path.join(folder, `${cutId}_PREP.zip`));
    const report = await verify(folder);
    assert.deepEqual(failedIds(report), ['V14']);
    assert.match(report.checks.find((c) => c.id === 'V14')!.detail, /_PREP\.zip is missing/);
    const cli = spawnSync(process.execPath, [MAIN, 'verify', folder, '--key', key], { encoding: 'utf8' });
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, /^V14 FAIL zip contents: .*_PREP\.zip is missing/m);
    assert.match(cli.stdout, /^FAILED V14 /m);
    assert.equal(cli.stderr, '');
  });

  test('a folder that is not a cut fails V01 and V03', async () => {
    const empty = path.join(work, 'not-a-cut');
    await mkdir(empty, { recursive: true });
    await writeFile(path.join(empty, 'notes.txt'), 'hello');
    assert.deepEqual(failedIds(await verify(empty)), ['V01', 'V03']);
  });

  test('a cut folder without manifest.json fails V01 and V03, not V01 alone', async () => {
    const folder = await copyCut();
    await rm(path.join(folder, 'manifest.json'));
    const report = await verify(folder);
    assert.deepEqual(failedIds(report), ['V01', 'V03']);
    assert.match(report.checks.find((c) => c.id === 'V01')!.detail, /manifest\.json is missing/);
  });

  test('a zip that cannot be opened fails V14; a path that does not exist fails V03', async () => {
    const garbage = path.join(work, 'garbage_PREP.zip');
    await writeFile(garbage, 'not a zip at all');
    assert.deepEqual(failedIds(await verify(garbage)), ['V14']);
    assert.deepEqual(failedIds(await verify(path.join(work, 'nowhere'))), ['V03']);
  });

  test('a zip whose contest zip is damaged fails V14, in both modes', async () => {
    const folder = await copyCut();
    const zipPath = path.join(folder, `${cutId}_PREP.zip`);
    const outer = await readZipEntries(await readFile(zipPath));
    assert.ok(outer.ok);
    const entries = [...outer.value].map(([name, data]): [string, Buffer] =>
      name.endsWith('.zip') ? [name, Buffer.from('damaged')] : [name, data],
    );
    await writeFile(zipPath, await zipWith(entries));
    assert.deepEqual(failedIds(await verify(folder)), ['V14']);
    assert.ok(failedIds(await verify(zipPath, { catalog: path.join(root, 'catalogo') })).includes('V14'));
  });

  test('an error inside a check becomes a FAIL of that check, and the other checks still run', async () => {
    const folder = await copyCut();
    const real = fsPromises.readFile;
    // A disk that fails under the verifier: reading LEEME.txt (V02) and the contest CSV
    // (V04, and V07 for the contest) throws something no check expects.
    mock.method(fsPromises, 'readFile', (async (file: unknown, ...rest: unknown[]) => {
      if (typeof file === 'string' && (file.endsWith('LEEME.txt') || file.endsWith(CSV)))
        throw new TypeError('simulated disk fault');
      return (real as (...args: unknown[]) => Promise<unknown>)(file, ...rest);
    }) as typeof fsPromises.readFile);
    syncBuiltinESMExports();
    let report: VerifyReport;
    try {
      report = await verify(folder);
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
    const failed = Object.fromEntries(
      report.checks.filter((c) => c.status === 'fail').map((c) => [c.id, c.detail]),
    );
    assert.deepEqual(Object.keys(failed).sort(), ['V02', 'V04', 'V07'], JSON.stringify(failed));
    for (const detail of Object.values(failed)) assert.match(detail, /simulated disk fault/);
    assert.equal(report.checks.find((c) => c.id === 'V14')!.status, 'pass');
    assert.equal(report.checks.find((c) => c.id === 'V11')!.status, 'pass');
  });
});

describe('item 3: a vote cell is "-" exactly where the column is not on the ballot (V08)', () => {
  test('a vote on the ballot turned into "-" fails V08 (the votes add up the same: it was 0)', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${BASICA.key}03`) {
          assert.equal(row[row.at('PAN')], '0');
          row[row.at('PAN')] = '-';
        }
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /PAN is "-" but the column is on this acta's ballot/);
  });

  test('a coalition on the ballot turned into "-" fails V08', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${CONTIGUA.key}03`) {
          assert.equal(row[row.at('PAN_MORENA')], '0');
          row[row.at('PAN_MORENA')] = '-';
        }
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /PAN_MORENA is "-"/);
  });

  test('a vote in a column that is not on the ballot fails V08', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${EXTRAORDINARIA.key}03`) row[row.at('PAN_MORENA')] = '0';
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /PAN_MORENA holds "0" but the column is not on this acta's ballot/);
  });

  test('a box of a counted acta turned into "-" fails V08', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${CONTIGUA.key}03`) row[row.at('TOTAL_VOTOS_ASENTADO')] = '-';
      }),
    );
    assert.ok(failedIds(report).includes('V08'), JSON.stringify(failures(report)));
    assert.ok(failures(report).some((f) => /TOTAL_VOTOS_ASENTADO holds "-"/.test(f)));
  });
});

describe('item 4: CODIGO_INTEGRIDAD is "-" exactly on Sin acta rows (V08)', () => {
  test('a counted acta without its image hash fails V08', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${BASICA.key}03`) row[row.at('CODIGO_INTEGRIDAD')] = '-';
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /CODIGO_INTEGRIDAD "-"/);
  });

  test('a fuera de catálogo row without its image hash fails V08', async () => {
    const report = await verify(
      await republish((row) => {
        if (row[row.at('CLAVE_CASILLA')] === '-') row[row.at('CODIGO_INTEGRIDAD')] = '-';
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
  });

  test('a hash that is not 64 lowercase hex, or an image on a Sin acta row, fails V08', async () => {
    const upper = await verify(
      await republish((row, clave) => {
        if (clave === `'${BASICA.key}03`)
          row[row.at('CODIGO_INTEGRIDAD')] = row[row.at('CODIGO_INTEGRIDAD')]!.toUpperCase();
      }),
    );
    assert.deepEqual(failedIds(upper), ['V08'], JSON.stringify(failures(upper)));
    const sinActa = await verify(
      await republish((row, clave) => {
        if (clave === `'${ESPECIAL.key}04`) row[row.at('CODIGO_INTEGRIDAD')] = 'a'.repeat(64);
      }),
    );
    assert.deepEqual(failedIds(sinActa), ['V08'], JSON.stringify(failures(sinActa)));
  });
});

describe('issue 16: actas con inconsistencias and the OBSERVACIONES texts as INE 2024 writes them', () => {
  test("a header that counts the sin acta row as an inconsistency (the 2024 generator's rule) fails V09", async () => {
    const honest = (await readFile(path.join(root, cutId, CSV), 'utf8')).split('\r')[4]!.split(',');
    assert.equal(honest[7], '0.0000', 'the cut has one sin acta row and no inconsistency');
    const report = await verify(
      await republish(
        () => {},
        (lines) => {
          const values = lines[4]!.split(',');
          values[7] = '20.0000'; // 1 of 5 esperadas
          lines[4] = values.join(',');
        },
      ),
    );
    assert.deepEqual(failedIds(report), ['V09'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /PORCENTAJE_ACTAS_INCONSISTENCIAS is 20\.0000, the rows give 0\.0000/);
  });

  test('an observation in the pre-2024 spelling fails V08, naming the 2024 one', async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${BASICA.key}03`) row[row.at('OBSERVACIONES')] = "['Excede lista nominal']";
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(
      failures(report)[0]!,
      /unknown item "Excede lista nominal" \(INE 2024 writes "Excede Lista Nominal"\)/,
    );
  });
});

describe('item 6: values outside their documented domains fail', () => {
  const cellEdit = (column: string, value: string) =>
    republish((row, clave) => {
      if (clave === `'${CONTIGUA.key}03`) row[row.at(column)] = value;
    });

  test('COTEJADA outside 0–3 fails V07', async () => {
    const report = await verify(await cellEdit('COTEJADA', '9'));
    assert.deepEqual(failedIds(report), ['V07'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /COTEJADA "9"/);
  });

  test('a date that does not exist, or a time out of range, fails V07', async () => {
    for (const bad of [
      '31/02/2024 22:01:00',
      '03/13/2024 22:01:00',
      '00/06/2024 22:01:00',
      '02/06/2024 24:00:00',
    ]) {
      const report = await verify(await cellEdit('FECHA_HORA_CAPTURA', bad));
      assert.deepEqual(failedIds(report), ['V07'], `${bad}: ${JSON.stringify(failures(report))}`);
      assert.match(failures(report)[0]!, /FECHA_HORA_CAPTURA/);
    }
    // 29 February exists in 2024.
    assert.deepEqual(
      failedIds(await verify(await cellEdit('FECHA_HORA_CAPTURA', '29/02/2024 23:59:59'))),
      [],
    );
  });

  test('other enumerated cells outside their domain fail V07', async () => {
    for (const [column, bad] of [
      ['UBICACION_CASILLA', '3'],
      ['MECANISMOS_TRASLADO', 'X'],
      ['ORIGEN', 'CALLE'],
      ['DIGITALIZACION', 'Fax'],
      ['TIPO_DOCUMENTO', 'Servilleta'],
      ['ID_DISTRITO_FEDERAL', '1'],
    ] as const) {
      const report = await verify(await cellEdit(column, bad));
      assert.ok(failedIds(report).includes('V07'), `${column}: ${JSON.stringify(failures(report))}`);
      assert.ok(
        failures(report).some((f) => f.startsWith('V07') && f.includes(column)),
        `${column}: ${JSON.stringify(failures(report))}`,
      );
    }
  });

  test('zip entries not dated 1980-01-01 00:00 fail V14, in the folder and as a zip', async () => {
    for (const dates of [{ outer: new Date(2024, 5, 3, 12) }, { inner: new Date(1980, 0, 1, 0, 2) }]) {
      const folder = await copyCut();
      await rezip(folder, dates);
      const report = await verify(folder);
      assert.deepEqual(failedIds(report), ['V14'], JSON.stringify(failures(report)));
      assert.match(failures(report)[0]!, /not dated 1980-01-01 00:00/);
      const zip = await verify(path.join(folder, `${cutId}_PREP.zip`), {
        catalog: path.join(path.dirname(folder), 'catalogo'),
      });
      assert.deepEqual(failedIds(zip), ['V14'], JSON.stringify(failures(zip)));
    }
  });

  test('the zip holds one inner zip per contest of this cut, each with its contest files (V14)', async () => {
    /** Rewrites the folder's outer zip: `edit` gets its entries (name → bytes) and returns new ones. */
    const rewrite = async (folder: string, edit: (entries: Map<string, Buffer>) => Promise<void> | void) => {
      const zipPath = path.join(folder, `${cutId}_PREP.zip`);
      const outer = await readZipEntries(await readFile(zipPath));
      assert.ok(outer.ok);
      const entries = new Map(outer.value);
      await edit(entries);
      await writeFile(zipPath, await zipWith([...entries]));
    };
    const honest = await readZipEntries(await readFile(path.join(root, cutId, `${cutId}_PREP.zip`)));
    assert.ok(honest.ok);
    const innerName = [...honest.value.keys()].find((name) => name.endsWith('.zip'))!;
    const tampers: [string, (entries: Map<string, Buffer>) => Promise<void> | void, RegExp][] = [
      ['left out', (e) => void e.delete(innerName), /_PREP_\w+\.zip is missing/],
      [
        'from another cut',
        (e) => {
          e.set(innerName.replace(cutId, '20240602_2000'), e.get(innerName)!);
          e.delete(innerName);
        },
        /is not the zip of a contest of cut/,
      ],
      [
        'without its LEEME.txt',
        async (e) => {
          const inner = await readZipEntries(e.get(innerName)!);
          assert.ok(inner.ok);
          e.set(innerName, await zipWith([...inner.value].filter(([name]) => name !== 'LEEME.txt')));
        },
        /does not hold LEEME\.txt/,
      ],
    ];
    for (const [what, edit, message] of tampers) {
      const folder = await copyCut();
      await rewrite(folder, edit);
      const report = await verify(folder);
      assert.deepEqual(failedIds(report), ['V14'], `${what}: ${JSON.stringify(failures(report))}`);
      assert.match(failures(report).join('\n'), message, what);
      const zip = await verify(path.join(folder, `${cutId}_PREP.zip`), {
        catalog: path.join(path.dirname(folder), 'catalogo'),
      });
      assert.ok(failedIds(zip).includes('V14'), `${what} (zip): ${JSON.stringify(failures(zip))}`);
      assert.match(failures(zip).join('\n'), message, `${what} (zip)`);
    }
  });
});

describe('issue 23: edges docs/verification.md states', () => {
  test("a CLAVE_ACTA without its leading ' fails V07", async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${BASICA.key}03`) row[row.at('CLAVE_ACTA')] = clave.slice(1);
      }),
    );
    assert.ok(failedIds(report).includes('V07'), JSON.stringify(failures(report)));
    assert.ok(failures(report).some((f) => /CLAVE_ACTA .* malformed or disagree/.test(f)));
  });

  test("a Sin acta row's LISTA_NOMINAL must still be the catalog's (V08)", async () => {
    const report = await verify(
      await republish((row, clave) => {
        if (clave === `'${ESPECIAL.key}04`) {
          assert.equal(row[row.at('LISTA_NOMINAL')], '0');
          row[row.at('LISTA_NOMINAL')] = '5';
        }
      }),
    );
    assert.deepEqual(failedIds(report), ['V08'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /LISTA_NOMINAL or REPRESENTANTES_PP_CI differ from the catalog/);
  });

  test('a distrito file that lists one sección twice and leaves another out fails V10', async () => {
    const folder = await copyCut();
    const relative = `json/${CONTEST.id}/distrito/01-002.json`;
    const json = JSON.parse(await readFile(path.join(folder, relative), 'utf8')) as {
      secciones: { seccion: number }[];
    };
    assert.deepEqual(
      json.secciones.map((s) => s.seccion),
      [512, 600],
    );
    json.secciones[1] = json.secciones[0]!;
    const bytes = Buffer.from(`${JSON.stringify(json)}\n`);
    await writeFile(path.join(folder, relative), bytes);
    await resign(folder, new Map([[relative, bytes]]));
    await rezip(folder);
    const report = await verify(folder);
    assert.deepEqual(failedIds(report), ['V10'], JSON.stringify(failures(report)));
    assert.match(failures(report)[0]!, /secciones differ from the catalog/);
  });

  test("a catalog row's entidad, distrito and ubicación are the catalog's (V08)", async () => {
    for (const [column, value] of [
      ['ENTIDAD', 'ZACATECAS'],
      ['ID_DISTRITO_FEDERAL', '002'],
      ['DISTRITO_FEDERAL', 'AGUASCALIENTES'],
      ['UBICACION_CASILLA', '2'],
    ] as const) {
      const report = await verify(
        await republish((row, clave) => {
          if (clave === `'${BASICA.key}03`) row[row.at(column)] = value;
        }),
      );
      assert.ok(failedIds(report).includes('V08'), `${column}: ${JSON.stringify(failures(report))}`);
      assert.ok(failures(report).some((f) => f.includes(`${column} "${value}" is not the catalog's`)));
    }
  });

  test("nacional.json's entidades and an entidad's distritos are recomputed too (V10)", async () => {
    for (const [relative, edit] of [
      [
        `json/${CONTEST.id}/nacional.json`,
        (json: Record<string, { aggregates: Record<string, number> }[]>) => {
          json['entidades']![0]!.aggregates['TOTAL_VOTOS_C_CS']! += 1;
        },
      ],
      [
        `json/${CONTEST.id}/entidad/01.json`,
        (json: Record<string, { aggregates: Record<string, number> }[]>) => {
          json['distritos']!.reverse();
        },
      ],
    ] as const) {
      const folder = await copyCut();
      const json = JSON.parse(await readFile(path.join(folder, relative), 'utf8'));
      edit(json);
      const bytes = Buffer.from(`${JSON.stringify(json)}\n`);
      await writeFile(path.join(folder, relative), bytes);
      await resign(folder, new Map([[relative, bytes]]));
      await rezip(folder);
      const report = await verify(folder);
      assert.deepEqual(failedIds(report), ['V10'], `${relative}: ${JSON.stringify(failures(report))}`);
    }
  });

  test("cut.time that is not cut.timeUtc at the cut's offset fails V03", async () => {
    const folder = await copyCut();
    await resign(folder, new Map(), (manifest) => {
      const cut = (manifest as unknown as { cut: { time: string } }).cut;
      cut.time = cut.time.replace('-06:00', '-05:00');
    });
    const report = await verify(folder);
    assert.ok(failedIds(report).includes('V03'), JSON.stringify(failures(report)));
    assert.ok(failures(report).some((f) => /cut\.time .* is not cut\.timeUtc/.test(f)));
  });
});

describe('issue 23: the cut line and times at any offset the definition allows (V03, V07, V11)', () => {
  for (const offset of [0, 330, -570, 840, -720]) {
    test(`UTC offset ${offset} minutes: the folder and the zip alone verify`, async () => {
      const election = { ...ELECTION, utcOffsetMinutes: offset };
      const catalogCsv = Buffer.from(catalogToCsv(CATALOG));
      const electionJson = Buffer.from(serializeElectionDefinition(election));
      const cutTime = Date.parse('2024-06-03T05:00:00.000Z');
      const cut = await buildCut({
        election,
        catalog: CATALOG,
        catalogCsv,
        electionJson,
        actas: new Map([[CONTEST.id, [published(BASICA, fields(BASICA, [0, 20, 5, 1, 4]))]]]),
        cutTime,
        sequence: 1,
        final: false,
        journal: {
          size: 0,
          rootHash: EMPTY_ROOT,
          checkpointNote: signCheckpoint(
            { origin: `${signer.name}/log`, size: 0, rootHash: EMPTY_ROOT },
            signer,
          ),
          consistencyProof: [],
        },
        previous: null,
        signer,
      });
      const cutsRoot = path.join(work, `offset-${offset}`);
      const written = await writeCut({
        cutsRoot,
        cut,
        electionId: election.id,
        catalogCsv,
        electionJson,
        cutTime: formatIsoLocal(cutTime, offset),
        signer,
      });
      assert.ok(written.ok);
      const csv = await readFile(path.join(written.value.folder, CSV), 'utf8');
      const label = { 0: 'UTC+0', 330: 'UTC+5:30', [-570]: 'UTC-9:30', 840: 'UTC+14', [-720]: 'UTC-12' }[
        offset
      ];
      assert.equal(csv.split('\r')[1]!.slice(-label!.length - 2), `(${label})`);
      assert.deepEqual(failures(await verify(written.value.folder)), []);
      // A zip alone has no election definition: the offset is the one cut.time states.
      assert.deepEqual(failures(await verify(path.join(written.value.folder, `${cut.cutId}_PREP.zip`))), []);
      // The same cut checked against a definition at another offset fails V11.
      const other = path.join(work, `offset-${offset}-other`);
      await mkdir(other, { recursive: true });
      await writeFile(path.join(other, `CATALOGO_CASILLAS_${ELECTION.id}.csv`), catalogCsv);
      await writeFile(
        path.join(other, `ELECCION_${ELECTION.id}.json`),
        serializeElectionDefinition({ ...election, utcOffsetMinutes: offset === 0 ? 60 : 0 }),
      );
      const mismatched = await verify(path.join(written.value.folder, `${cut.cutId}_PREP.zip`), {
        catalog: other,
      });
      assert.ok(failedIds(mismatched).includes('V11'), JSON.stringify(failures(mismatched)));
    });
  }
});
