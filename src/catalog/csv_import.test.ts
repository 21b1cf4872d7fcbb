import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Casilla, Catalog, Distrito, Entidad } from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import { compareCasillas } from '../domain/catalog.ts';
import { formatCasillaKey } from '../domain/keys.ts';
import {
  CATALOG_COLUMNS,
  type CatalogImportFailure,
  type CatalogImportResult,
  type CatalogProblem,
  catalogSha256,
  catalogToCsv,
  parseCatalogCsv,
} from './csv_import.ts';

const HEADER = CATALOG_COLUMNS.join(',');

interface RowFields {
  entidad?: string;
  entidadName?: string;
  distrito?: string;
  distritoName?: string;
  seccion?: string;
  tipo?: string;
  id?: string;
  ext?: string;
  ubicacion?: string;
  ln?: string;
  rep?: string;
  boletas?: string;
}

/** A canonical row; every cell can be overridden. Defaults: a básica in AGUASCALIENTES distrito 1. */
function row(f: RowFields = {}): string {
  return [
    f.entidad ?? '1',
    f.entidadName ?? 'AGUASCALIENTES',
    f.distrito ?? '1',
    f.distritoName ?? 'JESÚS MARÍA',
    f.seccion ?? '338',
    f.tipo ?? 'B',
    f.id ?? '1',
    f.ext ?? '0',
    f.ubicacion ?? '1',
    f.ln ?? '500',
    f.rep ?? '12',
    f.boletas ?? '0',
  ].join(',');
}

function csv(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\n')}\n`);
}

function expectFailure(result: CatalogImportResult): CatalogImportFailure {
  if (result.ok) assert.fail('expected the catalog to be rejected');
  assert.equal(result.code, 'catalog-invalid');
  assert.equal('value' in result, false, 'nothing partial is returned');
  return result;
}

function only(result: CatalogImportResult): CatalogProblem {
  const failure = expectFailure(result);
  assert.equal(failure.problems.length, 1, JSON.stringify(failure.problems, null, 1));
  return failure.problems[0]!;
}

function casilla(partial: Omit<Casilla, 'key'>): Casilla {
  const key = formatCasillaKey(partial);
  assert.ok(key.ok);
  return { key: key.value, ...partial };
}

describe('parseCatalogCsv: accepted input', () => {
  test('reads the canonical columns, sorted output', async () => {
    const result = await parseCatalogCsv(
      csv(
        HEADER,
        row({ seccion: '339', tipo: 'C', id: '2', ln: '600' }),
        row({
          entidad: '2',
          entidadName: 'BAJA CALIFORNIA',
          distrito: '1',
          distritoName: 'MEXICALI',
          seccion: '1',
        }),
        row({ seccion: '339', tipo: 'S', id: '1', ln: '0', boletas: '1500', ubicacion: '2' }),
        row({ seccion: '339' }),
        row({
          distrito: '2',
          distritoName: 'AGUASCALIENTES',
          seccion: '400',
          tipo: 'E',
          id: '1',
          ext: '1',
          rep: '',
        }),
      ),
    );
    assert.ok(result.ok, result.ok ? '' : result.message);
    const common = { ubicacion: 'URBANA', representantes: 12, boletasAprobadas: 0, extension: 0 } as const;
    assert.deepEqual(result.value, {
      entidades: [
        { id: 1, name: 'AGUASCALIENTES' },
        { id: 2, name: 'BAJA CALIFORNIA' },
      ],
      distritos: [
        { entidad: 1, id: 1, name: 'JESÚS MARÍA' },
        { entidad: 1, id: 2, name: 'AGUASCALIENTES' },
        { entidad: 2, id: 1, name: 'MEXICALI' },
      ],
      casillas: [
        casilla({ ...common, entidad: 1, distrito: 1, seccion: 339, tipo: 'B', id: 1, listaNominal: 500 }),
        casilla({ ...common, entidad: 1, distrito: 1, seccion: 339, tipo: 'C', id: 2, listaNominal: 600 }),
        casilla({
          ...common,
          entidad: 1,
          distrito: 1,
          seccion: 339,
          tipo: 'S',
          id: 1,
          listaNominal: 0,
          boletasAprobadas: 1500,
          ubicacion: 'NO_URBANA',
        }),
        casilla({
          ...common,
          entidad: 1,
          distrito: 2,
          seccion: 400,
          tipo: 'E',
          id: 1,
          extension: 1,
          listaNominal: 500,
          representantes: 0,
        }),
        casilla({ ...common, entidad: 2, distrito: 1, seccion: 1, tipo: 'B', id: 1, listaNominal: 500 }),
      ],
    });
    assert.equal(result.value.casillas[0]!.key, '010339B0100');
  });

  test('header in any order and case, spaces trimmed, BOM, CRLF, optional columns absent', async () => {
    const header =
      ' lista_nominal ,Seccion,ID_Entidad,entidad,TIPO_CASILLA,ID_CASILLA,EXT_CONTIGUA,UBICACION_CASILLA,ID_DISTRITO_FEDERAL,DISTRITO_FEDERAL';
    const text = `\uFEFF${header}\r\n420, 0338 ,01,  AGUASCALIENTES ,b,01,00,2,001,JESÚS MARÍA\r\n`;
    const result = await parseCatalogCsv(Buffer.from(text));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(result.value.casillas, [
      casilla({
        entidad: 1,
        distrito: 1,
        seccion: 338,
        tipo: 'B',
        id: 1,
        extension: 0,
        ubicacion: 'NO_URBANA',
        listaNominal: 420,
        representantes: 0,
        boletasAprobadas: 0,
      }),
    ]);
    assert.equal(result.value.entidades[0]!.name, 'AGUASCALIENTES');
  });

  test('INE 2024 catalog labels and column names', async () => {
    const result = await parseCatalogCsv(
      csv(
        'ID_ESTADO,NOMBRE_ESTADO,DISTRITO,CABECERA_DISTRITAL,SECCION,TIPO_CASILLA,CASILLA,EXT_CONTIGUA,UBICACION,NUM_REG,BOLETAS_APROBADAS',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,338,BÁSICA,1,0,Urbana,500,0',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,338,CONTIGUA 1,,,URBANA,501,0',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,338,Contigua 2,2,0,urbana,502,0',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,340,EXTRAORDINARIA 1,1,0,No Urbana,120,0',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,340,EXTRAORDINARIA 1 CONTIGUA 2,,,NO_URBANA,121,0',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,338,ESPECIAL 1,,,no urbana,0,1500',
        '1,AGUASCALIENTES,1,JESÚS MARÍA,341,BASICA,1,0,1,90,0',
      ),
    );
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(
      result.value.casillas.map((c) => [c.key, c.ubicacion, c.listaNominal]),
      [
        ['010338B0100', 'URBANA', 500],
        ['010338C0100', 'URBANA', 501],
        ['010338C0200', 'URBANA', 502],
        ['010338S0100', 'NO_URBANA', 0],
        ['010340E0100', 'NO_URBANA', 120],
        ['010340E0102', 'NO_URBANA', 121],
        ['010341B0100', 'URBANA', 90],
      ],
    );
    assert.deepEqual(result.value.distritos, [{ entidad: 1, id: 1, name: 'JESÚS MARÍA' }]);
  });

  test('DISTRITO_FEDERAL is the number when a separate name column exists; ESTADO and LISTA_NOMINAL_CASILLA', async () => {
    const result = await parseCatalogCsv(
      csv(
        'ID_ESTADO,ESTADO,DISTRITO_FEDERAL,NOMBRE_DISTRITO,SECCION,TIPO_CASILLA,ID_CASILLA,EXT_CONTIGUA,UBICACION_CASILLA,LISTA_NOMINAL_CASILLA',
        '9,CIUDAD DE MÉXICO,22,LA MAGDALENA CONTRERAS,5000,B,1,0,1,700',
        ...Array.from({ length: 21 }, (_, i) => `9,CIUDAD DE MÉXICO,${i + 1},D${i + 1},${i + 1},B,1,0,1,700`),
      ),
    );
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.value.distritos.length, 22);
    assert.deepEqual(result.value.distritos.at(-1), { entidad: 9, id: 22, name: 'LA MAGDALENA CONTRERAS' });
  });

  test('an async iterable of chunks that split multi-byte characters', async () => {
    const bytes = csv(HEADER, row({ entidadName: 'MÉXICO', entidad: '15', distritoName: 'TECÁMAC' }));
    async function* oneByteAtATime() {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    }
    const result = await parseCatalogCsv(oneByteAtATime());
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(result.value.entidades, [{ id: 15, name: 'MÉXICO' }]);
    assert.equal(result.value.distritos[0]!.name, 'TECÁMAC');
  });

  test('blank lines and rows of empty cells are skipped', async () => {
    const result = await parseCatalogCsv(csv('', HEADER, '', ',,,,,,,,,,,', row(), ''));
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.value.casillas.length, 1);
  });
});

describe('parseCatalogCsv: header problems', () => {
  test('missing required column', async () => {
    const header = CATALOG_COLUMNS.filter((c) => c !== 'SECCION').join(',');
    const problem = only(await parseCatalogCsv(csv(header, '1,A,1,B,B,1,0,1,500,0,0')));
    assert.deepEqual([problem.line, problem.column, problem.kind], [1, 'SECCION', 'missing-column']);
  });

  test('unknown column, listing the accepted names', async () => {
    const problem = only(await parseCatalogCsv(csv(`${HEADER},MUNICIPIO`, `${row()},AGUASCALIENTES`)));
    assert.deepEqual([problem.line, problem.column, problem.kind], [1, 'MUNICIPIO', 'unknown-column']);
    assert.match(problem.reason, /accepted columns: ID_ENTIDAD \(or ID_ESTADO\); ENTIDAD/);
    assert.match(problem.reason, /LISTA_NOMINAL \(or NUM_REG, LISTA_NOMINAL_CASILLA\)/);
  });

  test('duplicate column (two names for ENTIDAD)', async () => {
    const problem = only(await parseCatalogCsv(csv(`${HEADER},ESTADO`, `${row()},AGUASCALIENTES`)));
    assert.deepEqual([problem.line, problem.column, problem.kind], [1, 'ESTADO', 'duplicate-column']);
    assert.match(problem.reason, /repeats "ENTIDAD"/);
  });

  test('a semicolon-separated file says so', async () => {
    const failure = expectFailure(
      await parseCatalogCsv(csv(CATALOG_COLUMNS.join(';'), row().replaceAll(',', ';'))),
    );
    assert.equal(failure.problems[0]!.kind, 'unknown-column');
    assert.match(failure.problems[0]!.reason, /separated by semicolons/);
  });

  test('empty file, header without rows', async () => {
    assert.equal(only(await parseCatalogCsv(Buffer.alloc(0))).kind, 'empty-file');
    assert.equal(only(await parseCatalogCsv(Buffer.from('\n\n'))).kind, 'empty-file');
    const problem = only(await parseCatalogCsv(csv(HEADER)));
    assert.deepEqual([problem.line, problem.kind], [1, 'no-casillas']);
  });
});

describe('parseCatalogCsv: row problems, with their line and column', () => {
  const cases: readonly [string, RowFields, string, CatalogProblem['kind']][] = [
    ['entidad 33', { entidad: '33' }, 'ID_ENTIDAD', 'out-of-range'],
    ['entidad 0', { entidad: '0' }, 'ID_ENTIDAD', 'out-of-range'],
    ['decimal', { seccion: '1.5' }, 'SECCION', 'bad-number'],
    ['negative', { ln: '-1' }, 'LISTA_NOMINAL', 'bad-number'],
    ['thousands separator', { ln: '"1,200"' }, 'LISTA_NOMINAL', 'bad-number'],
    ['text', { distrito: 'uno' }, 'ID_DISTRITO_FEDERAL', 'bad-number'],
    ['sección 0', { seccion: '0' }, 'SECCION', 'out-of-range'],
    ['sección 10000', { seccion: '10000' }, 'SECCION', 'out-of-range'],
    ['id 0', { id: '0' }, 'ID_CASILLA', 'out-of-range'],
    ['id 100', { id: '100' }, 'ID_CASILLA', 'out-of-range'],
    ['extension 100', { ext: '100' }, 'EXT_CONTIGUA', 'out-of-range'],
    ['lista nominal 5001', { ln: '5001' }, 'LISTA_NOMINAL', 'out-of-range'],
    ['empty lista nominal', { ln: '' }, 'LISTA_NOMINAL', 'missing-value'],
    ['empty entidad name', { entidadName: '' }, 'ENTIDAD', 'missing-value'],
    ['formula in a name', { distritoName: '=SUM(A1)' }, 'DISTRITO_FEDERAL', 'bad-name'],
    ['control character in a name', { entidadName: 'AGUAS\u0007' }, 'ENTIDAD', 'bad-name'],
    ['tipo X', { tipo: 'X' }, 'TIPO_CASILLA', 'bad-tipo-casilla'],
    ['contigua label on a básica', { tipo: 'BASICA 1 CONTIGUA 2' }, 'TIPO_CASILLA', 'bad-tipo-casilla'],
    ['ubicación 3', { ubicacion: '3' }, 'UBICACION_CASILLA', 'bad-ubicacion'],
    ['label and ID_CASILLA disagree', { tipo: 'CONTIGUA 2', id: '3' }, 'ID_CASILLA', 'tipo-conflict'],
    [
      'label and EXT_CONTIGUA disagree',
      { tipo: 'EXTRAORDINARIA 1 CONTIGUA 2', ext: '1' },
      'EXT_CONTIGUA',
      'tipo-conflict',
    ],
    [
      'special with lista nominal',
      { tipo: 'S', ln: '10', boletas: '750' },
      'LISTA_NOMINAL',
      'special-lista-nominal',
    ],
    ['special without boletas', { tipo: 'S', ln: '0', boletas: '0' }, 'BOLETAS_APROBADAS', 'special-boletas'],
    [
      'special with empty boletas',
      { tipo: 'S', ln: '0', boletas: '' },
      'BOLETAS_APROBADAS',
      'special-boletas',
    ],
  ];
  for (const [name, fields, column, kind] of cases) {
    test(name, async () => {
      const problem = only(await parseCatalogCsv(csv(HEADER, row({ seccion: '1' }), row(fields))));
      assert.deepEqual([problem.line, problem.column, problem.kind], [3, column, kind], problem.reason);
    });
  }

  test('the column is named as the file names it', async () => {
    const header = HEADER.replace('LISTA_NOMINAL', 'NUM_REG');
    const problem = only(await parseCatalogCsv(csv(header, row({ ln: 'x' }))));
    assert.deepEqual([problem.column, problem.reason], ['NUM_REG', 'NUM_REG "x" is not a whole number']);
  });

  test('wrong number of fields', async () => {
    const problem = only(await parseCatalogCsv(csv(HEADER, row(), `${row({ seccion: '2' })},9`)));
    assert.deepEqual([problem.line, problem.column, problem.kind], [3, null, 'field-count']);
  });

  test('duplicate casilla names both lines', async () => {
    const problem = only(
      await parseCatalogCsv(csv(HEADER, row(), row({ tipo: 'C' }), row({ id: '01', ext: '00', ln: '300' }))),
    );
    assert.deepEqual([problem.line, problem.kind], [4, 'duplicate-casilla']);
    assert.match(problem.reason, /casilla 010338B0100 .* is also on line 2/);
  });

  test('an entidad with two names, a distrito with two names', async () => {
    const entidad = only(
      await parseCatalogCsv(csv(HEADER, row(), row({ seccion: '2', entidadName: 'AGS' }))),
    );
    assert.deepEqual([entidad.line, entidad.column, entidad.kind], [3, 'ENTIDAD', 'entidad-name-conflict']);
    assert.match(entidad.reason, /named "AGS" here but "AGUASCALIENTES" on line 2/);
    const distrito = only(
      await parseCatalogCsv(csv(HEADER, row(), row({ seccion: '2', distritoName: 'JESUS MARIA' }))),
    );
    assert.deepEqual(
      [distrito.line, distrito.column, distrito.kind],
      [3, 'DISTRITO_FEDERAL', 'distrito-name-conflict'],
    );
  });

  test('a sección in two distritos', async () => {
    const problem = only(
      await parseCatalogCsv(
        csv(HEADER, row(), row({ distrito: '2', distritoName: 'AGUASCALIENTES', tipo: 'C' })),
      ),
    );
    assert.deepEqual(
      [problem.line, problem.column, problem.kind],
      [3, 'ID_DISTRITO_FEDERAL', 'seccion-distrito-conflict'],
    );
  });

  test('distritos numbered with a gap', async () => {
    const failure = expectFailure(
      await parseCatalogCsv(
        csv(
          HEADER,
          row(),
          row({ distrito: '4', distritoName: 'D4', seccion: '5' }),
          row({ distrito: '4', distritoName: 'D4', seccion: '6' }),
        ),
      ),
    );
    assert.deepEqual(
      failure.problems.map((p) => [p.line, p.column, p.kind, p.reason]),
      [2, 3].map((missing) => [
        3,
        'ID_DISTRITO_FEDERAL',
        'distrito-numbering',
        `entidad 1 has distrito 4 but no distrito ${missing}; the distritos of an entidad are numbered 1..n without gaps`,
      ]),
    );
  });

  test('every problem of the file is reported, sorted by line', async () => {
    const failure = expectFailure(
      await parseCatalogCsv(
        csv(HEADER, row({ entidad: '40' }), row({ seccion: '2', ln: 'x', ubicacion: '9' }), row()),
      ),
    );
    assert.deepEqual(
      failure.problems.map((p) => [p.line, p.column]),
      [
        [2, 'ID_ENTIDAD'],
        [3, 'UBICACION_CASILLA'],
        [3, 'LISTA_NOMINAL'],
      ],
    );
    assert.equal(failure.truncated, false);
    assert.match(failure.message, /^catalog rejected, nothing imported: 3 problems\. line 2, ID_ENTIDAD: /);
  });

  test('stops at maxErrors and says so', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => row({ seccion: String(i + 1), ln: 'x' }));
    const failure = expectFailure(await parseCatalogCsv(csv(HEADER, ...lines), { maxErrors: 5 }));
    assert.equal(failure.problems.length, 5);
    assert.equal(failure.truncated, true);
    assert.deepEqual(
      failure.problems.map((p) => p.line),
      [2, 3, 4, 5, 6],
    );
  });

  test('an unclosed quote', async () => {
    const problem = only(
      await parseCatalogCsv(csv(HEADER, row(), row({ seccion: '2', entidadName: '"AGUAS' }))),
    );
    assert.equal(problem.kind, 'malformed-csv');
  });
});

describe('parseCatalogCsv: encoding', () => {
  test('a Latin-1 byte names its line', async () => {
    const bytes = Buffer.concat([
      csv(HEADER, row()),
      Buffer.from('1,AGUASCALIENTES,1,JES'),
      Buffer.from([0xda]), // Ú in Latin-1
      Buffer.from(`S MARIA,2,B,1,0,1,500,12,0\n${row({ seccion: '3' })}\n`),
    ]);
    const failure = expectFailure(await parseCatalogCsv(bytes));
    const problem = failure.problems.find((p) => p.kind === 'not-utf8');
    assert.ok(problem);
    assert.equal(problem.line, 3);
    assert.match(problem.reason, /byte 0xDA at byte offset \d+ is not valid UTF-8/);
  });

  test('an invalid sequence across a chunk boundary is found; a valid one is not flagged', async () => {
    const good = csv(HEADER, row({ distritoName: 'TECÁMAC' }));
    const at = good.indexOf(0xc3); // first byte of "Á"
    async function* split(bytes: Buffer, cut: number) {
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut);
    }
    assert.ok((await parseCatalogCsv(split(good, at + 1))).ok);
    const bad = Buffer.from(good);
    bad[at + 1] = 0x41; // C3 followed by "A": a broken two-byte sequence
    const problem = only(await parseCatalogCsv(split(bad, at + 1)));
    assert.deepEqual([problem.line, problem.kind], [2, 'not-utf8']);
  });

  test('a file ending inside a character', async () => {
    const failure = expectFailure(
      await parseCatalogCsv(Buffer.concat([csv(HEADER, row()), Buffer.from([0xe2, 0x82])])),
    );
    assert.ok(
      failure.problems.some((p) => p.kind === 'not-utf8' && /ends inside a UTF-8 character/.test(p.reason)),
    );
  });

  test('UTF-16 is named as such', async () => {
    const problem = only(await parseCatalogCsv(Buffer.from(`\uFEFF${HEADER}\n`, 'utf16le')));
    assert.equal(problem.kind, 'not-utf8');
    assert.match(problem.reason, /UTF-16/);
  });
});

describe('parseCatalogCsv: garbage is rejected fast, reading little', () => {
  const TWO_GB = 2 * 1024 * 1024 * 1024;
  const CHUNK = 64 * 1024;

  /** Up to 2 GB made of one repeated 64 KiB chunk (after an optional prefix); counts what was pulled. */
  function endless(chunk: Buffer, prefix?: Buffer) {
    const stats = { bytes: 0, closed: false };
    async function* generate() {
      try {
        if (prefix !== undefined) {
          stats.bytes += prefix.length;
          yield prefix;
        }
        while (stats.bytes < TWO_GB) {
          stats.bytes += chunk.length;
          yield chunk;
        }
      } finally {
        stats.closed = true;
      }
    }
    return { stats, source: generate() };
  }

  function repeatTo(text: string): Buffer {
    return Buffer.from(text.repeat(Math.ceil(CHUNK / text.length)).slice(0, CHUNK));
  }

  let seed = 12345;
  const random = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    random[i] = seed >>> 24;
  }

  const garbage: readonly [string, Buffer, Buffer | undefined, CatalogProblem['kind']][] = [
    ['random bytes', random, undefined, 'not-utf8'],
    ['one endless line', Buffer.alloc(CHUNK, 'A'), undefined, 'line-too-long'],
    ['an endless quoted field', Buffer.alloc(CHUNK, 'A'), Buffer.from(`${HEADER}\n1,"`), 'line-too-long'],
    ['a CSV of something else', repeatTo('a,b,c\n'), undefined, 'unknown-column'],
    ['rows of nonsense under a good header', repeatTo('x,y,z\n'), Buffer.from(`${HEADER}\n`), 'field-count'],
    ['blank lines', Buffer.alloc(CHUNK, '\n'), Buffer.from(`${HEADER}\n`), 'malformed-csv'],
    ['blank CRLF lines', repeatTo('\r\n'), Buffer.from(`${HEADER}\r\n`), 'malformed-csv'],
    ['rows of empty cells', repeatTo(',,,,,,,,,,,\n'), Buffer.from(`${HEADER}\n`), 'malformed-csv'],
    ['lines of spaces', repeatTo('   \n'), Buffer.from(`${HEADER}\n`), 'malformed-csv'],
    ['carriage returns', Buffer.alloc(CHUNK, '\r'), Buffer.from(`${HEADER}\n`), 'malformed-csv'],
    ['NUL bytes', Buffer.alloc(CHUNK, 0), undefined, 'line-too-long'],
    ['the same good row forever', repeatTo(`${row()}\n`), Buffer.from(`${HEADER}\n`), 'duplicate-casilla'],
  ];
  for (const [name, chunk, prefix, kind] of garbage) {
    test(name, async () => {
      const { stats, source } = endless(chunk, prefix);
      const failure = expectFailure(await parseCatalogCsv(source));
      assert.equal(failure.problems[0]!.kind, kind, failure.message);
      // The parser gives up early: bounded by what it read, not by a clock (a loaded CI machine
      // made a 2 s limit fail while the work done was the same).
      assert.ok(stats.bytes < 8 * 1024 * 1024, `read ${stats.bytes} bytes`);
      assert.ok(stats.closed, 'the source is closed, not left hanging');
    });
  }

  test('maxBytes stops reading at once', async () => {
    const rows = Array.from({ length: 9_999 }, (_, i) => row({ seccion: String(i + 1) }));
    const bytes = csv(HEADER, ...rows);
    let pulled = 0;
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += CHUNK) {
        pulled += CHUNK;
        yield bytes.subarray(at, at + CHUNK);
      }
    }
    assert.ok(bytes.length > 256 * 1024);
    const problem = only(await parseCatalogCsv(chunks(), { maxBytes: 256 * 1024 }));
    assert.equal(problem.kind, 'too-large');
    assert.ok(pulled <= 256 * 1024 + CHUNK, `pulled ${pulled}`);
    assert.ok((await parseCatalogCsv(bytes, { maxBytes: bytes.length })).ok);
  });

  test('maxRows', async () => {
    const lines = Array.from({ length: 11 }, (_, i) => row({ seccion: String(i + 1) }));
    const problem = only(await parseCatalogCsv(csv(HEADER, ...lines), { maxRows: 10 }));
    assert.deepEqual([problem.line, problem.kind], [12, 'too-many-rows']);
    assert.ok((await parseCatalogCsv(csv(HEADER, ...lines.slice(0, 10)), { maxRows: 10 })).ok);
  });
});

describe('parseCatalogCsv: failures of the input itself are thrown', () => {
  test('a failing stream', async () => {
    async function* failing() {
      yield csv(HEADER);
      throw new Error('EIO: disk failed');
    }
    await assert.rejects(parseCatalogCsv(failing()), /EIO: disk failed/);
  });

  test('a stream of strings is a programming error', async () => {
    async function* strings() {
      yield HEADER as unknown as Buffer;
    }
    await assert.rejects(parseCatalogCsv(strings()), TypeError);
  });
});

describe('catalogToCsv', () => {
  const catalog: Catalog = {
    entidades: [{ id: 1, name: 'AGUASCALIENTES' }],
    distritos: [{ entidad: 1, id: 1, name: 'JESÚS MARÍA, "CENTRO"' }],
    casillas: [
      casilla({
        entidad: 1,
        distrito: 1,
        seccion: 338,
        tipo: 'S',
        id: 1,
        extension: 0,
        ubicacion: 'NO_URBANA',
        listaNominal: 0,
        representantes: 14,
        boletasAprobadas: 1500,
      }),
      casilla({
        entidad: 1,
        distrito: 1,
        seccion: 338,
        tipo: 'B',
        id: 1,
        extension: 0,
        ubicacion: 'URBANA',
        listaNominal: 575,
        representantes: 12,
        boletasAprobadas: 0,
      }),
    ],
  };

  test('writes the canonical format in publication order', () => {
    assert.equal(
      catalogToCsv(catalog),
      `${HEADER}\n` +
        '1,AGUASCALIENTES,001,"JESÚS MARÍA, ""CENTRO""",0338,B,01,00,1,575,12,0\n' +
        '1,AGUASCALIENTES,001,"JESÚS MARÍA, ""CENTRO""",0338,S,01,00,2,0,14,1500\n',
    );
  });

  test('catalogSha256 is the SHA-256 of that file', () => {
    const expected = createHash('sha256')
      .update(Buffer.from(catalogToCsv(catalog)))
      .digest('hex');
    assert.equal(catalogSha256(catalog), expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip: any valid catalog survives catalogToCsv → parseCatalogCsv unchanged.

const NAME_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ ÁÉÍÓÚÑÜ.,"\'()-ñ0123456789'];
const nameArbitrary = fc
  .array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 24 })
  .map((chars) => chars.join(''))
  .filter((name) => name.trim() === name && name.length > 0 && !'=+-@'.includes(name[0]!));

const casillaSpecArbitrary = fc.record({
  seccionOffset: fc.integer({ min: 1, max: 30 }),
  tipo: fc.constantFrom<TipoCasilla>('B', 'C', 'E', 'S'),
  id: fc.integer({ min: 1, max: 99 }),
  extension: fc.integer({ min: 0, max: 99 }),
  urbana: fc.boolean(),
  listaNominal: fc.integer({ min: 0, max: 5000 }),
  representantes: fc.integer({ min: 0, max: 999 }),
  boletas: fc.integer({ min: 1, max: 10_000 }),
});

const distritoArbitrary = fc.record({
  name: nameArbitrary,
  casillas: fc.uniqueArray(casillaSpecArbitrary, {
    minLength: 1,
    maxLength: 12,
    selector: (c) => `${c.seccionOffset}/${c.tipo}/${c.id}/${c.extension}`,
  }),
});

const catalogArbitrary: fc.Arbitrary<Catalog> = fc
  .uniqueArray(
    fc.record({
      id: fc.integer({ min: 1, max: 32 }),
      name: nameArbitrary,
      distritos: fc.array(distritoArbitrary, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3, selector: (e) => e.id },
  )
  .map((specs) => {
    const entidades: Entidad[] = [];
    const distritos: Distrito[] = [];
    const casillas: Casilla[] = [];
    for (const spec of specs) {
      entidades.push({ id: spec.id, name: spec.name });
      spec.distritos.forEach((d, index) => {
        const distrito = index + 1;
        distritos.push({ entidad: spec.id, id: distrito, name: d.name });
        for (const c of d.casillas) {
          const special = c.tipo === 'S';
          casillas.push(
            casilla({
              entidad: spec.id,
              distrito,
              seccion: index * 100 + c.seccionOffset, // a sección lies in one distrito
              tipo: c.tipo,
              id: c.id,
              extension: c.extension,
              ubicacion: c.urbana ? 'URBANA' : 'NO_URBANA',
              listaNominal: special ? 0 : c.listaNominal,
              representantes: c.representantes,
              boletasAprobadas: special ? c.boletas : c.boletas % 2 === 0 ? 0 : c.boletas,
            }),
          );
        }
      });
    }
    entidades.sort((a, b) => a.id - b.id);
    distritos.sort((a, b) => a.entidad - b.entidad || a.id - b.id);
    casillas.sort(compareCasillas);
    return { entidades, distritos, casillas };
  });

test('round trip: catalog → CSV → parse gives the same catalog', async () => {
  await fc.assert(
    fc.asyncProperty(catalogArbitrary, async (catalog) => {
      const result = await parseCatalogCsv(Buffer.from(catalogToCsv(catalog)));
      assert.ok(result.ok, result.ok ? '' : result.message);
      assert.deepEqual(result.value, catalog);
    }),
    { numRuns: 150 },
  );
});
