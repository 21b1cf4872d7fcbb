/**
 * The rules room: each acta row recomputed from the PREP rules (V08: observations,
 * CONTABILIZADA, totals, the catalog's lista nominal), the header's 13 aggregates recomputed
 * from the rows (V09), and the counts the site JSON is checked against (V10). The rules come
 * from src/domain/classification.ts, the PREP's own vocabulary; the arithmetic over the
 * published cells is the verifier's, independent of the tabulation in src/publish/.
 */
import type { Observation } from '../../domain/acta.ts';
import { type Casilla, type Catalog, distritoKey } from '../../domain/catalog.ts';
import { expectedContabilizada, parseObservaciones, votesCap } from '../../domain/classification.ts';
import { type Contest, columnApplies } from '../../domain/election.ts';
import { formatPercent, truncatedPercent } from '../../domain/percent.ts';
import { AGGREGATE_NAMES, FIRST_ROW_LINE } from '../../domain/results_layout.ts';
import { numberCell, type Row } from './csv_cells.ts';
import type { ContestRows } from './csv_layout.ts';
import type { Failures } from './report.ts';

/** Esperadas of a contest by casilla key, from the catalog and the election definition. */
export function esperadasByCasilla(catalog: Catalog, contest: Contest): Map<string, number> {
  const out = new Map<string, number>();
  const byTipo = new Map<string, number>();
  for (const casilla of catalog.casillas) {
    let count = byTipo.get(casilla.tipo);
    if (count === undefined) {
      count = contest.actaTypes.filter((t) => t.casillaTypes.includes(casilla.tipo)).length;
      byTipo.set(casilla.tipo, count);
    }
    out.set(casilla.key, count);
  }
  return out;
}

export interface Counts {
  esperadas: number;
  fuera: number;
  capturadas: number;
  contabilizadas: number;
  inconsistentes: number;
  ln: number;
  cCs: number;
  sCs: number;
  votes: number[]; // by position among the CSV's vote columns
}

/** Adds everything but esperadas (which come from the catalog, not the rows). */
export function addCounts(total: Counts, c: Counts): void {
  total.fuera += c.fuera;
  total.capturadas += c.capturadas;
  total.contabilizadas += c.contabilizadas;
  total.inconsistentes += c.inconsistentes;
  total.ln += c.ln;
  total.cCs += c.cCs;
  total.sCs += c.sCs;
  for (let i = 0; i < c.votes.length; i++) total.votes[i] = (total.votes[i] ?? 0) + c.votes[i]!;
}

export function newCounts(columns = 0): Counts {
  return {
    esperadas: 0,
    fuera: 0,
    capturadas: 0,
    contabilizadas: 0,
    inconsistentes: 0,
    ln: 0,
    cCs: 0,
    sCs: 0,
    votes: new Array<number>(columns).fill(0),
  };
}

export function aggregatesOf(c: Counts, final: boolean): string[] {
  return [
    String(c.esperadas),
    String(c.capturadas + c.fuera),
    String(c.fuera),
    String(c.capturadas),
    formatPercent(truncatedPercent(c.capturadas, c.esperadas)),
    String(c.contabilizadas),
    formatPercent(truncatedPercent(c.contabilizadas, c.esperadas)),
    formatPercent(truncatedPercent(c.inconsistentes, c.esperadas)),
    String(c.capturadas - c.contabilizadas),
    String(c.ln),
    String(c.cCs),
    String(c.sCs),
    formatPercent(truncatedPercent(final ? c.cCs : c.sCs, c.ln)),
  ];
}

/** What one pass over a contest's rows accumulates for V09 and V10. */
export interface RowTotals {
  readonly national: Counts;
  readonly byCasilla: Map<string, Counts>;
  /** Where each casilla's rows lie in the CSV: [byte offset, byte length]; length -1 if they are not contiguous. */
  readonly rangeByCasilla: Map<string, [number, number]>;
}

/**
 * The OBSERVACIONES texts that make an acta one "con inconsistencias", as the LEEME defines it
 * and as INE's own QA of PRES_2024.csv filtered: written out here rather than taken from the
 * domain's classification, so that a slip in the builder's rule or spelling shows up in V09.
 * Sin acta and Fuera de catálogo are not among them.
 */
const INCONSISTENCY_TEXTS: ReadonlySet<string> = new Set([
  'Excede Lista Nominal',
  'Ilegible',
  'Sin dato',
  'Todos los campos ilegibles',
  'Todos los campos vacíos',
]);

/** The items of an OBSERVACIONES list, read the way INE's QA read them: every `'…'`. */
const QUOTED_ITEM = /'([^']*)'/g;

function isInconsistentRow(observaciones: string): boolean {
  if (observaciones === '-') return false;
  for (const match of observaciones.matchAll(QUOTED_ITEM))
    if (INCONSISTENCY_TEXTS.has(match[1]!)) return true;
  return false;
}

export function addRow(counts: Counts, rows: ContestRows, row: Row): void {
  const at = rows.at;
  const contabilizada = row[at.contabilizada];
  if (contabilizada === '2') {
    counts.fuera++;
    return;
  }
  counts.capturadas++;
  if (isInconsistentRow(row[at.observaciones] ?? '')) counts.inconsistentes++;
  if (contabilizada !== '1') return;
  counts.contabilizadas++;
  counts.ln += numberCell(row[at.listaNominal]!) ?? 0;
  const total = numberCell(row[at.calculado]!) ?? 0;
  counts.cCs += total;
  if (row[at.tipoCasilla] !== 'S') counts.sCs += total;
  const indexes = rows.voteIndexes;
  for (let i = 0; i < indexes.length; i++) {
    const v = numberCell(row[indexes[i]!]!);
    if (v !== null) counts.votes[i] = (counts.votes[i] ?? 0) + v;
  }
}

/**
 * The acta's box cells: the four ballot counts and TOTAL_VOTOS_ASENTADO. They are on every
 * ballot, so they are never `-` except on a sin acta row, and they enter no sum.
 */
const BOX_COLUMNS = [
  'TOTAL_BOLETAS_SOBRANTES',
  'TOTAL_PERSONAS_VOTARON',
  'TOTAL_REP_PARTIDO_CI_VOTARON',
  'TOTAL_VOTOS_SACADOS',
  'TOTAL_VOTOS_ASENTADO',
] as const;

/** The cells that come from the acta's image: `-` exactly on a sin acta row, which has none. */
const IMAGE_COLUMNS = ['CODIGO_INTEGRIDAD', 'ORIGEN', 'DIGITALIZACION', 'TIPO_DOCUMENTO'] as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Catalog text as the CSV publishes it: a leading = + - @ TAB CR or NUL gets a `'` (a lone `-` does not). */
const guarded = (text: string): string => (text !== '-' && /^[=+\-@\t\r\0]/.test(text) ? `'${text}` : text);

const isCapturedCell = (cell: string): boolean =>
  numberCell(cell) !== null || cell === 'Ilegible' || cell === 'Sin dato';

/**
 * Which of the contest's vote columns are on the ballot in a distrito, by `EE-DDD`, from the
 * election definition's scopes; cached, since a night has ~300 distritos and ~170,000 rows.
 * Null without the definition, or when the CSV's vote columns are not the definition's (V07
 * fails then): the ballot is unknown, and only the cells' form is checked.
 */
function ballotOf(rows: ContestRows): ((entidad: number, distrito: number) => readonly boolean[]) | null {
  const contest = rows.contest;
  if (contest === null || contest.columns.map((c) => c.id).join(',') !== rows.voteColumns.join(','))
    return null;
  const cache = new Map<string, boolean[]>();
  return (entidad, distrito) => {
    const key = distritoKey(entidad, distrito);
    let applies = cache.get(key);
    if (applies === undefined) {
      applies = contest.columns.map((column) => columnApplies(column, entidad, key));
      cache.set(key, applies);
    }
    return applies;
  };
}

/** V08 for one row at a time. */
export function rulesChecker(
  checks: Failures,
  file: string,
  rows: ContestRows,
  catalog: Catalog | null,
): (row: Row, i: number) => void {
  const casillas = new Map((catalog?.casillas ?? []).map((c) => [c.key as string, c]));
  const ballot = ballotOf(rows);
  const boxes = BOX_COLUMNS.map((column) => [column, rows.col(column)] as const);
  const imageCells = IMAGE_COLUMNS.map((column) => [column, rows.col(column)] as const);
  const atIdEntidad = rows.col('ID_ENTIDAD');
  const atIdDistrito = rows.col('ID_DISTRITO_FEDERAL');
  // Column positions once, not per row.
  const atContabilizada = rows.col('CONTABILIZADA');
  const atListaNominal = rows.col('LISTA_NOMINAL');
  const atObservaciones = rows.col('OBSERVACIONES');
  const atRepresentantesPpCi = rows.col('REPRESENTANTES_PP_CI');
  const atTipoCasilla = rows.col('TIPO_CASILLA');
  const atTotalVotosCalculado = rows.col('TOTAL_VOTOS_CALCULADO');
  // Where the catalog places a casilla, as the CSV writes it (names with the formula guard).
  const entidadNames = new Map((catalog?.entidades ?? []).map((e) => [e.id, e.name]));
  const distritoNames = new Map(
    (catalog?.distritos ?? []).map((d) => [distritoKey(d.entidad, d.id), d.name]),
  );
  const placeColumns = ['ENTIDAD', 'ID_DISTRITO_FEDERAL', 'DISTRITO_FEDERAL', 'UBICACION_CASILLA'].map(
    (column) => [column, rows.col(column)] as const,
  );
  // Once per distrito (a national CSV has ~513,000 rows in 300 distritos), not per row.
  const places = new Map<number, Record<string, string>>();
  const placeCells = (casilla: Casilla): Record<string, string> => {
    const id = casilla.entidad * 1000 + casilla.distrito;
    let place = places.get(id);
    if (place === undefined) {
      place = {
        ENTIDAD: guarded(entidadNames.get(casilla.entidad) ?? ''),
        ID_DISTRITO_FEDERAL: String(casilla.distrito).padStart(3, '0'),
        DISTRITO_FEDERAL: guarded(distritoNames.get(distritoKey(casilla.entidad, casilla.distrito)) ?? ''),
      };
      places.set(id, place);
    }
    return place;
  };
  return (row, i) => {
    const line = i + FIRST_ROW_LINE;
    const where = `${file} line ${line}`;
    let total = 0;
    let values = 0;
    let illegible = 0;
    let empty = 0;
    let dashes = 0;
    for (let v = 0; v < rows.voteIndexes.length; v++) {
      const cell = row[rows.voteIndexes[v]!]!;
      if (numberCell(cell) === null && cell !== '-' && cell !== 'Ilegible' && cell !== 'Sin dato') {
        checks.fail('V08', `${where}: ${rows.voteColumns[v]} holds "${cell}"`);
        return;
      }
      if (cell === '-') dashes++;
      else {
        values++;
        if (cell === 'Ilegible') illegible++;
        else if (cell === 'Sin dato') empty++;
        else total += Number(cell);
      }
    }
    const observaciones = parseObservaciones(row[atObservaciones]!);
    if (!observaciones.ok) {
      checks.fail('V08', `${where}: ${observaciones.message}`);
      return;
    }
    const given = observaciones.value.observations;
    const clave = row[rows.at.clave]!;
    const expected = new Set<Observation>();
    if (clave === '-') expected.add('FUERA_DE_CATALOGO');
    const sinActa = given.includes('SIN_ACTA');
    const calculated = row[atTotalVotosCalculado]!;
    // Box cells and image cells: present exactly when the acta is (not sin acta).
    for (const [column, at] of boxes) {
      const cell = row[at]!;
      if (sinActa ? cell !== '-' : !isCapturedCell(cell))
        checks.fail('V08', `${where}: ${sinActa ? 'a sin acta row: ' : ''}${column} holds "${cell}"`);
    }
    for (const [column, at] of imageCells) {
      const cell = row[at]!;
      if (sinActa && cell !== '-')
        checks.fail('V08', `${where}: ${column} "${cell}" on a sin acta row, which has no image`);
      else if (!sinActa && (column === 'CODIGO_INTEGRIDAD' ? !SHA256_HEX.test(cell) : cell === '-'))
        checks.fail(
          'V08',
          `${where}: ${column} "${cell}": every acta but a sin acta one is published from its image${column === 'CODIGO_INTEGRIDAD' ? ', named by its SHA-256 (64 lowercase hex)' : ''}`,
        );
    }
    // A catalog row, sin acta or not, names a catalog casilla and states its catalog facts.
    const casilla = clave === '-' ? undefined : casillas.get(clave.slice(1));
    if (
      casilla !== undefined &&
      (String(casilla.listaNominal) !== row[atListaNominal] ||
        String(casilla.representantes) !== row[atRepresentantesPpCi])
    )
      checks.fail('V08', `${where}: LISTA_NOMINAL or REPRESENTANTES_PP_CI differ from the catalog`);
    if (casilla !== undefined) {
      const place = placeCells(casilla);
      for (const [column, at] of placeColumns) {
        const expectedCell =
          column === 'UBICACION_CASILLA' ? (casilla.ubicacion === 'URBANA' ? '1' : '2') : place[column];
        if (row[at] !== expectedCell)
          checks.fail('V08', `${where}: ${column} "${row[at]}" is not the catalog's "${expectedCell}"`);
      }
    }
    if (catalog !== null && clave !== '-' && casilla === undefined)
      checks.fail('V08', `${where}: ${clave} is not in the catalog`);
    if (sinActa && clave === '-')
      checks.fail(
        'V08',
        `${where}: a fuera de catálogo row cannot be sin acta: it exists because an image came`,
      );
    if (sinActa) {
      expected.add('SIN_ACTA');
      if (values > 0 || calculated !== '-') checks.fail('V08', `${where}: a sin acta row holds votes`);
    } else {
      if (calculated !== String(total))
        checks.fail(
          'V08',
          `${where}: TOTAL_VOTOS_CALCULADO ${calculated} is not the sum of the votes (${total})`,
        );
      if (illegible > 0) expected.add('ILEGIBLE');
      if (empty > 0) expected.add('SIN_DATO');
      if (values > 0 && illegible + empty === values) {
        if (illegible > 0) expected.add('TODOS_ILEGIBLES');
        if (empty > 0) expected.add('TODOS_VACIOS');
      }
      if (clave !== '-') {
        const ln = numberCell(row[atListaNominal]!);
        const reps = numberCell(row[atRepresentantesPpCi]!);
        const special = row[atTipoCasilla] === 'S';
        // The ballot: a vote cell is `-` exactly where its column is not on it. A fuera de
        // catálogo row is left out: its claimed key is unverified, and it is captured in
        // whichever of the contest's columns its image shows.
        const entidad = casilla?.entidad ?? numberCell(row[atIdEntidad]!);
        const distritoCell = row[atIdDistrito]!;
        const distrito = casilla?.distrito ?? (/^[0-9]{3}$/.test(distritoCell) ? Number(distritoCell) : null);
        if (ballot !== null && entidad !== null && distrito !== null) {
          const applies = ballot(entidad, distrito);
          for (let v = 0; v < rows.voteIndexes.length; v++) {
            const cell = row[rows.voteIndexes[v]!]!;
            if (applies[v] === true && cell === '-')
              checks.fail(
                'V08',
                `${where}: ${rows.voteColumns[v]} is "-" but the column is on this acta's ballot`,
              );
            else if (applies[v] === false && cell !== '-')
              checks.fail(
                'V08',
                `${where}: ${rows.voteColumns[v]} holds "${cell}" but the column is not on this acta's ballot`,
              );
          }
        }
        if (ln === null || reps === null)
          checks.fail('V08', `${where}: LISTA_NOMINAL or REPRESENTANTES_PP_CI missing`);
        else if (!special && total > ln + reps) expected.add('EXCEDE_LISTA_NOMINAL');
        else if (special && casilla !== undefined && total > votesCap(casilla))
          expected.add('EXCEDE_LISTA_NOMINAL');
        else if (special && casilla === undefined && given.includes('EXCEDE_LISTA_NOMINAL'))
          expected.add('EXCEDE_LISTA_NOMINAL');
      }
    }
    void dashes;
    const expectedList = [...expected];
    const same = given.length === expectedList.length && given.every((o) => expected.has(o));
    if (!same)
      checks.fail(
        'V08',
        `${where}: OBSERVACIONES ${given.join('+') || '-'}, the rules give ${expectedList.join('+') || '-'}`,
      );
    const contabilizada = row[atContabilizada];
    if (contabilizada !== String(expectedContabilizada(given)))
      checks.fail('V08', `${where}: CONTABILIZADA ${contabilizada} does not follow from its observations`);
  };
}

/** V09: the header's 13 aggregates, from the rows (esperadas from the catalog when there is one). */
export function checkHeader(
  checks: Failures,
  file: string,
  rows: ContestRows,
  final: boolean,
  esperadas: ReadonlyMap<string, number> | null,
  fromRows: Counts,
): void {
  const counts: Counts = { ...fromRows, esperadas: 0 };
  if (esperadas !== null) {
    for (const n of esperadas.values()) counts.esperadas += n;
  } else counts.esperadas = numberCell(rows.csv.aggregateValues[0] ?? '') ?? 0;
  const expected = aggregatesOf(counts, final);
  expected.forEach((value, i) => {
    if (rows.csv.aggregateValues[i] !== value)
      checks.fail(
        'V09',
        `${file}: ${AGGREGATE_NAMES[i]} is ${rows.csv.aggregateValues[i]}, the rows give ${value}`,
      );
  });
}
