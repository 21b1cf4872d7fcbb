/**
 * The site JSON room (V10): every aggregate and vote of the site's JSON (nacional, entidad,
 * distrito, sección), recomputed from the CSV's rows and the catalog; each casilla's byte range
 * into the CSV; and json/index.json against the manifest. The verifier's own reading of
 * docs/publication-format.md, independent of the builder in src/publish/.
 */
import type { Catalog } from '../../domain/catalog.ts';
import type { ElectionDefinition } from '../../domain/election.ts';
import { formatPercent, truncatedPercent } from '../../domain/percent.ts';
import { AGGREGATE_NAMES } from '../../domain/results_layout.ts';
import { expectedCandidaturas, publishedCandidaturas } from './candidatura_votes.ts';
import type { ContestRows } from './csv_layout.ts';
import type { Manifest } from './manifest.ts';
import { type ReadFile, utf8 } from './ports.ts';
import type { Failures } from './report.ts';
import { addCounts, aggregatesOf, type Counts, newCounts, type RowTotals } from './rules.ts';

/**
 * Why a parsed site file does not match its published JSON Schema (docs/schemas/site.schema.json),
 * or null: the CLI's check (src/verify/schemas.ts). The browser has none — ajv's compiled
 * validators need `new Function` — and checks the values alone.
 */
export type JsonShapeCheck = (file: string, json: unknown) => string | null;

/**
 * V10 for one contest, from the counts its rows gave. A file that fails `shape` (or is no JSON
 * object) is that file's failure; its values are not compared, so a malformed file never stops
 * the check.
 */
export async function checkJson(
  checks: Failures,
  read: ReadFile,
  entry: Manifest['contests'][number],
  rows: ContestRows,
  catalog: Catalog,
  esperadas: ReadonlyMap<string, number> | null,
  final: boolean,
  fromRows: RowTotals,
  shape: JsonShapeCheck | null = null,
): Promise<void> {
  if (rows.contest === null || esperadas === null) return;
  const contestId = entry.id;
  const { byCasilla, rangeByCasilla } = fromRows;
  const contest = rows.contest;
  const position = new Map(rows.voteColumns.map((id, i) => [id, i]));
  const national: Counts = { ...fromRows.national, esperadas: 0 };
  const sum = (keys: Iterable<string>): Counts => {
    const total = newCounts(rows.voteColumns.length);
    for (const key of keys) {
      total.esperadas += esperadas.get(key) ?? 0;
      const c = byCasilla.get(key);
      if (c !== undefined) addCounts(total, c);
    }
    return total;
  };
  /** Larger units from smaller ones: each casilla is summed once, into its sección. */
  const merge = (parts: Iterable<Counts>): Counts => {
    const total = newCounts(rows.voteColumns.length);
    for (const part of parts) {
      total.esperadas += part.esperadas;
      addCounts(total, part);
    }
    return total;
  };
  for (const n of esperadas.values()) national.esperadas += n;
  const compare = (where: string, level: { aggregates?: unknown; votes?: unknown }, counts: Counts): void => {
    const expected = aggregatesOf(counts, final);
    const got = level.aggregates as Record<string, unknown> | undefined;
    AGGREGATE_NAMES.forEach((name, i) => {
      const value = got?.[name];
      if (String(value) !== expected[i])
        checks.fail('V10', `${where}: ${name} is ${String(value)}, the CSV gives ${expected[i]}`);
    });
    const votes = level.votes as { column: string; votes: number; percent: string }[] | undefined;
    for (const column of contest.columns) {
      const entry = votes?.find((v) => v.column === column.id);
      const v = counts.votes[position.get(column.id) ?? -1] ?? 0;
      if (
        entry === undefined ||
        entry.votes !== v ||
        entry.percent !== formatPercent(truncatedPercent(v, counts.cCs))
      )
        checks.fail('V10', `${where}: votes of ${column.id} differ from the CSV`);
    }
  };
  /** A file's headline candidaturas, from the counts of the distritos it covers. */
  const compareCandidaturas = (
    where: string,
    file: Record<string, unknown>,
    distritos: readonly string[],
    counts: Counts,
  ): void => {
    const votesOf = (distrito: string, column: string): number =>
      distritoCounts.get(distrito)?.votes[position.get(column) ?? -1] ?? 0;
    const expected = JSON.stringify(expectedCandidaturas(contest, distritos, votesOf, counts.cCs));
    if (publishedCandidaturas(file['candidaturas']) !== expected)
      checks.fail('V10', `${where}: candidaturas differ from the CSV and the election definition`);
  };
  const readJson = async (relative: string): Promise<Record<string, unknown> | null> => {
    const file = `json/${contestId}/${relative}`;
    const data = await read(file);
    if (data === null) {
      checks.fail('V10', `${file} is missing`);
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(utf8(data));
    } catch {
      checks.fail('V10', `${file} is not JSON`);
      return null;
    }
    const problem = shape?.(file, json) ?? null;
    if (problem !== null) {
      checks.fail('V10', problem);
      return null;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      checks.fail('V10', `${file} is not a JSON object`);
      return null;
    }
    return json as Record<string, unknown>;
  };
  const nacional = await readJson('nacional.json');
  if (nacional !== null) compare(`${contestId} nacional`, nacional, national);
  /**
   * A level's list of its parts (nacional's entidades, an entidad's distritos): the catalog's,
   * in catalog order, by id, each with the aggregates and votes of that part.
   */
  const compareParts = (where: string, listed: unknown, parts: readonly (readonly [number, Counts])[]) => {
    const items = Array.isArray(listed) ? (listed as Record<string, unknown>[]) : [];
    if (JSON.stringify(items.map((item) => item?.id)) !== JSON.stringify(parts.map(([id]) => id))) {
      checks.fail('V10', `${where}: its list is not the catalog's, in order`);
      return;
    }
    for (const [i, [id, counts]] of parts.entries()) compare(`${where} ${id}`, items[i] ?? {}, counts);
  };
  // Casilla keys by distrito and sección, in catalog order.
  const byDistrito = new Map<string, Map<number, string[]>>();
  for (const casilla of catalog.casillas) {
    const key = `${String(casilla.entidad).padStart(2, '0')}-${String(casilla.distrito).padStart(3, '0')}`;
    let secciones = byDistrito.get(key);
    if (secciones === undefined) {
      secciones = new Map();
      byDistrito.set(key, secciones);
    }
    const list = secciones.get(casilla.seccion);
    if (list === undefined) secciones.set(casilla.seccion, [casilla.key]);
    else list.push(casilla.key);
  }
  const seccionCounts = new Map<string, Map<number, Counts>>();
  const distritoCounts = new Map<string, Counts>();
  for (const [key, secciones] of byDistrito) {
    const counts = new Map([...secciones].map(([seccion, keys]) => [seccion, sum(keys)] as const));
    seccionCounts.set(key, counts);
    distritoCounts.set(key, merge(counts.values()));
  }
  const entidadCounts: [number, Counts][] = [];
  for (const entidad of catalog.entidades) {
    const file = await readJson(`entidad/${String(entidad.id).padStart(2, '0')}.json`);
    const distritos = catalog.distritos
      .filter((d) => d.entidad === entidad.id)
      .map((d) =>
        distritoCounts.get(`${String(d.entidad).padStart(2, '0')}-${String(d.id).padStart(3, '0')}`),
      )
      .filter((c) => c !== undefined);
    if (file !== null) {
      compare(`${contestId} entidad ${entidad.id}`, file, merge(distritos));
      compareCandidaturas(
        `${contestId} entidad ${entidad.id}`,
        file,
        catalog.distritos
          .filter((d) => d.entidad === entidad.id)
          .map((d) => `${String(d.entidad).padStart(2, '0')}-${String(d.id).padStart(3, '0')}`),
        merge(distritos),
      );
    }
    entidadCounts.push([entidad.id, merge(distritos)]);
    if (file !== null)
      compareParts(
        `${contestId} entidad ${entidad.id}: distritos`,
        file['distritos'],
        catalog.distritos
          .filter((d) => d.entidad === entidad.id)
          .map((d) => [
            d.id,
            distritoCounts.get(`${String(d.entidad).padStart(2, '0')}-${String(d.id).padStart(3, '0')}`) ??
              newCounts(rows.voteColumns.length),
          ]),
      );
  }
  const keyOf = (d: { entidad: number; id: number }) =>
    `${String(d.entidad).padStart(2, '0')}-${String(d.id).padStart(3, '0')}`;
  if (nacional !== null) {
    compareParts(`${contestId} nacional: entidades`, nacional['entidades'], entidadCounts);
    compareCandidaturas(`${contestId} nacional`, nacional, catalog.distritos.map(keyOf), national);
  }
  for (const distrito of catalog.distritos) {
    const key = `${String(distrito.entidad).padStart(2, '0')}-${String(distrito.id).padStart(3, '0')}`;
    const file = await readJson(`distrito/${key}.json`);
    if (file === null) continue;
    compare(
      `${contestId} distrito ${key}`,
      file,
      distritoCounts.get(key) ?? newCounts(rows.voteColumns.length),
    );
    compareCandidaturas(
      `${contestId} distrito ${key}`,
      file,
      [key],
      distritoCounts.get(key) ?? newCounts(rows.voteColumns.length),
    );
    if (JSON.stringify(file['actaHeader']) !== JSON.stringify(rows.csv.header))
      checks.fail('V10', `${contestId} distrito ${key}: actaHeader differs from the CSV header`);
    if (file['actaCsv'] !== entry.csv)
      checks.fail('V10', `${contestId} distrito ${key}: actaCsv is not ${entry.csv}`);
    const bySeccion = byDistrito.get(key) ?? new Map<number, string[]>();
    const countsBySeccion = seccionCounts.get(key) ?? new Map<number, Counts>();
    const secciones =
      (file['secciones'] as
        | {
            seccion: number;
            aggregates: unknown[];
            votes: number[];
            casillas: unknown[];
          }[]
        | undefined) ?? [];
    // The catalog's secciones of the distrito, each once, in catalog order.
    if (JSON.stringify(secciones.map((s) => s?.seccion)) !== JSON.stringify([...bySeccion.keys()]))
      checks.fail('V10', `${contestId} distrito ${key}: secciones differ from the catalog`);
    for (const seccion of secciones) {
      const keys = bySeccion.get(seccion.seccion) ?? [];
      const counts = countsBySeccion.get(seccion.seccion) ?? newCounts(rows.voteColumns.length);
      const expected = aggregatesOf(counts, final);
      if (JSON.stringify((seccion.aggregates ?? []).map(String)) !== JSON.stringify(expected))
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: aggregates differ from the CSV`,
        );
      const votes = contest.columns.map((c) => counts.votes[position.get(c.id) ?? -1] ?? 0);
      if (JSON.stringify(seccion.votes) !== JSON.stringify(votes))
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: votes differ from the CSV`,
        );
      const listed = Array.isArray(seccion.casillas) ? seccion.casillas : [];
      if (listed.length !== keys.length)
        checks.fail(
          'V10',
          `${contestId} sección ${distrito.entidad}-${seccion.seccion}: casillas differ from the catalog`,
        );
      listed.forEach((casilla, i) => {
        const expectedKey = keys[i];
        if (expectedKey === undefined) return;
        if (!Array.isArray(casilla) || casilla[0] !== expectedKey) {
          checks.fail(
            'V10',
            `${contestId} sección ${distrito.entidad}-${seccion.seccion}: casilla ${i + 1} is not ${expectedKey} of the catalog`,
          );
          return;
        }
        const range = rangeByCasilla.get(expectedKey) ?? [0, 0];
        if (range[1] < 0)
          checks.fail(
            'V10',
            `${contestId} casilla ${expectedKey}: its acta rows are not contiguous in the CSV`,
          );
        else if (casilla.length !== 3 || casilla[1] !== range[0] || casilla[2] !== range[1])
          checks.fail(
            'V10',
            `${contestId} casilla ${expectedKey}: byte range [${String(casilla[1])}, ${String(casilla[2])}] is not its rows in the CSV, [${range[0]}, ${range[1]}]`,
          );
      });
    }
  }
}

/** V10: json/index.json states the manifest's election, cut and contests, byte for byte. */
export async function checkSiteIndex(
  checks: Failures,
  read: ReadFile,
  manifest: Manifest,
  election: ElectionDefinition | null,
): Promise<void> {
  const index = await read('json/index.json');
  const expected = {
    election: {
      id: manifest.election.id,
      name: manifest.election.name,
      mode: manifest.election.mode,
      year: manifest.election.year,
    },
    cut: { id: manifest.cut.id, time: manifest.cut.time, final: manifest.cut.final },
    contests: manifest.contests.map((c) => ({
      id: c.id,
      title: election?.contests.find((e) => e.id === c.id)?.title ?? null,
      csv: c.csv,
    })),
  };
  if (index === null) checks.fail('V10', 'json/index.json is missing');
  else if (utf8(index) !== `${JSON.stringify(expected)}\n`)
    checks.fail('V10', "json/index.json does not state the manifest's election, cut and contests");
}
