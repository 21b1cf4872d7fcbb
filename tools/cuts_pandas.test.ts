/**
 * docs/cuts.md's pandas example (docs/examples/read_csv.py) against a real cut: the builder
 * writes a small contest (a counted acta with an Ilegible vote, a Sin acta one, a fuera de
 * catálogo one, a coalition that is `-` off its ballot) and Debian's python3-pandas must read
 * it back as the CSV says — as many rows, the same keys without their `'`, the same totals,
 * `Ilegible` and `-` kept as text. Debian's python is /usr/bin/python3, not the first on PATH.
 * Without pandas the test skips, unless OPENPREP_REQUIRE_PANDAS=1 (CI) makes that a failure.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { testSigner } from '../src/journal/test_keys.ts';
import { BASICA, CONTIGUA, ESPECIAL, EXTRAORDINARIA, fields, published } from '../src/test/fixtures.ts';
import { writeFirstCut } from '../src/test/first_cut.ts';
import { splitCells } from '../src/verify/core/csv_cells.ts';

// Debian's python3 by default; OPENPREP_TEST_PYTHON names another (e.g. one without pandas, to see the skip).
const PYTHON = process.env['OPENPREP_TEST_PYTHON'] ?? '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, '..', 'docs', 'examples', 'read_csv.py');
const pandas = spawnSync(PYTHON, ['-c', 'import pandas'], { encoding: 'utf8' });
const hasPandas = pandas.status === 0;
const required = process.env['OPENPREP_REQUIRE_PANDAS'] === '1';
const skip =
  hasPandas || required
    ? false
    : `${PYTHON} cannot import pandas (apt-get install python3-pandas); OPENPREP_REQUIRE_PANDAS=1 makes this a failure`;

let work: string | undefined;
after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test("docs/examples/read_csv.py reads a real cut's results CSV as the CSV says", { skip }, async () => {
  assert.ok(hasPandas, `${PYTHON} -c 'import pandas' failed: ${pandas.stderr || pandas.error?.message}`);
  work = await mkdtemp(path.join(tmpdir(), 'openprep-pandas-'));
  const signer = testSigner('openprep.TEST2024.simulacro');
  const { folder } = await writeFirstCut({
    cutsRoot: work,
    actas: [
      published(BASICA, fields(BASICA, ['ilegible', 120, 5, 1, 4])),
      published(CONTIGUA, fields(CONTIGUA, [7, 8, 0, 3, 1])),
      published(EXTRAORDINARIA, fields(EXTRAORDINARIA, [10, 0, 2, 3])),
      published(ESPECIAL, fields(ESPECIAL, [1, 2, 0, 0])),
      published(ESPECIAL, null, { tipoActa: '04', sinActaReason: 'CASILLA_NO_INSTALADA' }),
      published(null, fields(BASICA, [1, 2, 3, 0, 0])),
    ],
    cutTime: Date.parse('2024-06-03T05:00:00.000Z'),
    signer,
  });
  const csvPath = path.join(folder, 'DIP_FED_2024.csv');

  // What the CSV says, read here without pandas.
  const lines = (await readFile(csvPath, 'utf8'))
    .replace(/^\uFEFF/, '')
    .split('\r')
    .slice(0, -1);
  const cells = (line: string) => {
    const split = splitCells(line, ',');
    assert.ok(split.ok);
    return split.value;
  };
  const aggregates = Object.fromEntries(cells(lines[3]!).map((name, i) => [name, cells(lines[4]!)[i]!]));
  const header = cells(lines[6]!);
  const rows = lines.slice(7).map(cells);
  const at = (name: string) => header.indexOf(name);
  const counted = rows.filter((row) => row[at('CONTABILIZADA')] === '1');
  assert.equal(rows.length, 6);
  assert.ok(counted.length >= 2 && counted.length < rows.length);

  const run = spawnSync(PYTHON, [SCRIPT, csvPath], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const read = JSON.parse(run.stdout) as Record<string, unknown>;
  assert.deepEqual(read, {
    rows: rows.length,
    columns: header.length,
    first_key: rows[0]![0]!.slice(1),
    contabilizadas: counted.length,
    total_votos_calculado_contabilizadas: counted.reduce(
      (s, row) => s + Number(row[at('TOTAL_VOTOS_CALCULADO')]),
      0,
    ),
    header_total_votos_c_cs: Number(aggregates['TOTAL_VOTOS_C_CS']),
    header_actas_contabilizadas: Number(aggregates['ACTAS_CONTABILIZADAS']),
    first_vote_column: 'PAN',
    first_vote_column_votes: counted.reduce((s, row) => s + (Number(row[at('PAN')]) || 0), 0),
    texts_in_first_vote_column: ['-', 'Ilegible'].filter((t) => rows.some((row) => row[at('PAN')] === t)),
  });
  // The example's totals are the header's: the rows add up to what the cut publishes.
  assert.equal(read['total_votos_calculado_contabilizadas'], read['header_total_votos_c_cs']);
  assert.deepEqual(read['texts_in_first_vote_column'], ['-', 'Ilegible']);
});
