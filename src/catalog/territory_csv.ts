/**
 * The territory CSV (docs/territory.md): which distritos or casillas each CATD and each CAE
 * serves. All or nothing, checked against the election's catalog, every problem named by line
 * and column like the catalog import's.
 *
 *   UNIDAD,TIPO_UNIDAD,ID_ENTIDAD,ID_DISTRITO_FEDERAL,CLAVE_CASILLA
 *   CATD-01,CATD,1,1,            a whole distrito
 *   CATD-02,CATD,1,2,010338B0100 one casilla (a distrito split among CATDs)
 *   CAE-0101-07,CAE,,,010339B0100 a casilla of a CAE's ARE
 */
import { createHash } from 'node:crypto';
import { CsvError, parse } from 'csv-parse/sync';
import { type Catalog, distritoKey } from '../domain/catalog.ts';
import { parseCasillaKey } from '../domain/keys.ts';
import { type Ok, ok } from '../domain/result.ts';
import { type TerritoryRow, UNIT_ID, UNIT_KINDS, type UnitKind } from '../domain/territory.ts';

export const TERRITORY_COLUMNS = [
  'UNIDAD',
  'TIPO_UNIDAD',
  'ID_ENTIDAD',
  'ID_DISTRITO_FEDERAL',
  'CLAVE_CASILLA',
] as const;
type Column = (typeof TERRITORY_COLUMNS)[number];

/** A national ARE assignment is ~170,000 lines of ~40 bytes; far more is a wrong file. */
export const MAX_TERRITORY_BYTES = 64 * 1024 * 1024;
export const MAX_TERRITORY_ERRORS = 100;

export interface TerritoryProblem {
  /** Line of the file (1 = the header). 0: the file as a whole. */
  readonly line: number;
  readonly column: Column | null;
  readonly reason: string;
}

export interface Territory {
  readonly rows: readonly TerritoryRow[];
  /** SHA-256 of the territory in canonical form (sorted rows), for the journal. */
  readonly sha256: string;
  readonly units: number;
}

export type TerritoryFailure = {
  readonly ok: false;
  readonly code: 'territory-invalid';
  readonly message: string;
  readonly problems: readonly TerritoryProblem[];
  readonly truncated: boolean;
};

function failure(problems: TerritoryProblem[], truncated = false): TerritoryFailure {
  return {
    ok: false,
    code: 'territory-invalid',
    message: `the territory file has ${problems.length}${truncated ? '+' : ''} problem${problems.length === 1 ? '' : 's'}; nothing was imported`,
    problems,
    truncated,
  };
}

const NUMBER = /^[0-9]{1,3}$/;

/** Parses a territory CSV against the catalog: every row names a distrito or a casilla that exists. */
export function parseTerritoryCsv(bytes: Uint8Array, catalog: Catalog): Ok<Territory> | TerritoryFailure {
  if (bytes.length === 0) return failure([{ line: 0, column: null, reason: 'the file is empty' }]);
  if (bytes.length > MAX_TERRITORY_BYTES)
    return failure([
      {
        line: 0,
        column: null,
        reason: `the file is larger than ${MAX_TERRITORY_BYTES} bytes: not a territory`,
      },
    ]);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failure([{ line: 0, column: null, reason: 'the file is not UTF-8 text' }]);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = error instanceof CsvError ? Number((error as CsvError & { lines?: number }).lines ?? 0) : 0;
    return failure([{ line, column: null, reason: `not valid CSV: ${(error as Error).message}` }]);
  }
  const header = records[0];
  if (header === undefined) return failure([{ line: 0, column: null, reason: 'the file has no header' }]);
  const problems: TerritoryProblem[] = [];
  const index = new Map<string, number>();
  header.record.forEach((name, i) => {
    const column = name.toUpperCase();
    if (!(TERRITORY_COLUMNS as readonly string[]).includes(column))
      problems.push({ line: header.info.lines, column: null, reason: `unknown column "${name}"` });
    else if (index.has(column))
      problems.push({
        line: header.info.lines,
        column: column as Column,
        reason: 'the column appears twice',
      });
    else index.set(column, i);
  });
  for (const column of TERRITORY_COLUMNS)
    if (!index.has(column))
      problems.push({ line: header.info.lines, column, reason: `the header lacks the column ${column}` });
  if (problems.length > 0) return failure(problems);

  const distritos = new Set(catalog.distritos.map((d) => distritoKey(d.entidad, d.id)));
  const casillas = new Map(catalog.casillas.map((c) => [c.key as string, c]));
  const kinds = new Map<string, { kind: UnitKind; line: number }>();
  const seen = new Map<string, number>();
  const rows: TerritoryRow[] = [];
  let truncated = false;
  for (const { record, info } of records.slice(1)) {
    if (problems.length >= MAX_TERRITORY_ERRORS) {
      truncated = true;
      break;
    }
    const line = info.lines;
    const problem = (column: Column | null, reason: string) => problems.push({ line, column, reason });
    if (record.length !== header.record.length) {
      problem(null, `${record.length} fields where the header has ${header.record.length}`);
      continue;
    }
    const value = (column: Column) => record[index.get(column)!] ?? '';
    const unit = value('UNIDAD');
    if (!UNIT_ID.test(unit)) {
      problem(
        'UNIDAD',
        `"${unit}" is not a CATD or CAE id (1 to 64 letters, digits, dots, dashes, underscores)`,
      );
      continue;
    }
    const kindText = value('TIPO_UNIDAD').toUpperCase();
    if (!(UNIT_KINDS as readonly string[]).includes(kindText)) {
      problem('TIPO_UNIDAD', `"${value('TIPO_UNIDAD')}" is not CATD or CAE`);
      continue;
    }
    const unitKind = kindText as UnitKind;
    const declared = kinds.get(unit);
    if (declared !== undefined && declared.kind !== unitKind) {
      problem('TIPO_UNIDAD', `${unit} was declared a ${declared.kind} on line ${declared.line}`);
      continue;
    }
    kinds.set(unit, { kind: unitKind, line });
    const entidadText = value('ID_ENTIDAD');
    const distritoText = value('ID_DISTRITO_FEDERAL');
    for (const [column, text] of [
      ['ID_ENTIDAD', entidadText],
      ['ID_DISTRITO_FEDERAL', distritoText],
    ] as const)
      if (text !== '' && !NUMBER.test(text)) problem(column, `"${text}" is not a number`);
    if (problems.at(-1)?.line === line) continue;
    const casillaText = value('CLAVE_CASILLA');
    let row: TerritoryRow;
    if (casillaText === '') {
      if (unitKind === 'CAE') {
        problem(
          'CLAVE_CASILLA',
          'a CAE is assigned casillas (its ARE), not a whole distrito: name the casilla',
        );
        continue;
      }
      if (entidadText === '' || distritoText === '') {
        problem(
          entidadText === '' ? 'ID_ENTIDAD' : 'ID_DISTRITO_FEDERAL',
          'a row without CLAVE_CASILLA names a whole distrito: give ID_ENTIDAD and ID_DISTRITO_FEDERAL',
        );
        continue;
      }
      const key = distritoKey(Number(entidadText), Number(distritoText));
      if (!distritos.has(key)) {
        problem(
          'ID_DISTRITO_FEDERAL',
          `distrito ${distritoText} of entidad ${entidadText} is not in the catalog`,
        );
        continue;
      }
      row = { unit, unitKind, areaKind: 'distrito', area: key };
    } else {
      const parsed = parseCasillaKey(casillaText);
      if (!parsed.ok) {
        problem('CLAVE_CASILLA', parsed.message);
        continue;
      }
      const casilla = casillas.get(parsed.value.key);
      if (casilla === undefined) {
        problem('CLAVE_CASILLA', `casilla ${parsed.value.key} is not in the catalog`);
        continue;
      }
      if (entidadText !== '' && Number(entidadText) !== casilla.entidad) {
        problem('ID_ENTIDAD', `casilla ${casilla.key} is in entidad ${casilla.entidad}, not ${entidadText}`);
        continue;
      }
      if (distritoText !== '' && Number(distritoText) !== casilla.distrito) {
        problem(
          'ID_DISTRITO_FEDERAL',
          `casilla ${casilla.key} is in distrito ${casilla.distrito}, not ${distritoText}`,
        );
        continue;
      }
      row = { unit, unitKind, areaKind: 'casilla', area: casilla.key };
    }
    const id = `${unit}\u0000${row.area}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problem(null, `${unit} is given ${row.area} already on line ${first}`);
      continue;
    }
    seen.set(id, line);
    rows.push(row);
  }
  if (problems.length > 0) return failure(problems.slice(0, MAX_TERRITORY_ERRORS), truncated);
  if (rows.length === 0) return failure([{ line: 0, column: null, reason: 'the file assigns nothing' }]);
  return ok(territoryOf(rows));
}

/** Sorted rows, their digest and unit count: the same assignment always has the same SHA-256. */
export function territoryOf(unsorted: readonly TerritoryRow[]): Territory {
  const rows = [...unsorted].sort((a, b) =>
    a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : a.area < b.area ? -1 : a.area > b.area ? 1 : 0,
  );
  const canonical = rows.map((r) => `${r.unit},${r.unitKind},${r.areaKind},${r.area}\n`).join('');
  return {
    rows,
    sha256: createHash('sha256').update(canonical).digest('hex'),
    units: new Set(rows.map((r) => r.unit)).size,
  };
}
