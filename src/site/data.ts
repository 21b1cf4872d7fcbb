/**
 * Where each view's data lies in the publication, and reading it. Paths are relative to the
 * page, so the same build works at the root of a CDN, in a mirror's sub-folder or from a
 * laptop's folder served by any static server.
 */
import { err, ok, type Result } from '../domain/result.ts';
import { type ActaRow, parseActaRows } from './acta_rows.ts';
import {
  type CutIndex,
  cutIndexSchema,
  type Distrito,
  distritoSchema,
  type Entidad,
  entidadSchema,
  type FetchError,
  fetchJson,
  type Latest,
  latestSchema,
  type Nacional,
  nacionalSchema,
} from './publication.ts';
import type { Route } from './routes.ts';

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The pointer changes with every cut: always asked of the server (and its 5-second cache). */
export function fetchLatest(): Promise<Result<Latest, FetchError>> {
  return fetchJson('latest.json', latestSchema, { cache: 'no-cache' });
}

export function fetchCutIndex(cut: string): Promise<Result<CutIndex, FetchError>> {
  return fetchJson(`${cut}/json/index.json`, cutIndexSchema);
}

export type LevelData =
  | { readonly level: 'nacional'; readonly data: Nacional }
  | { readonly level: 'entidad'; readonly data: Entidad }
  | { readonly level: 'distrito'; readonly data: Distrito };

/** The one JSON file a route's view is drawn from. */
export async function fetchLevel(
  cut: string,
  contest: string,
  route: Route,
): Promise<Result<LevelData, FetchError>> {
  const base = `${cut}/json/${contest}`;
  switch (route.view) {
    case 'entidad': {
      const data = await fetchJson(`${base}/entidad/${pad(route.entidad, 2)}.json`, entidadSchema);
      return data.ok ? ok({ level: 'entidad', data: data.value }) : data;
    }
    case 'distrito':
    case 'seccion':
    case 'casilla': {
      const data = await fetchJson(
        `${base}/distrito/${pad(route.entidad, 2)}-${pad(route.distrito, 3)}.json`,
        distritoSchema,
      );
      return data.ok ? ok({ level: 'distrito', data: data.value }) : data;
    }
    default: {
      const data = await fetchJson(`${base}/nacional.json`, nacionalSchema);
      return data.ok ? ok({ level: 'nacional', data: data.value }) : data;
    }
  }
}

/**
 * One casilla's acta rows: only its bytes of the contest CSV, by an HTTP range. A server that
 * ignores ranges answers the whole file (200), from which the same bytes are cut.
 */
export async function fetchCasillaRows(
  cut: string,
  distrito: Distrito,
  casilla: string,
): Promise<Result<ActaRow[], FetchError>> {
  const entry = distrito.secciones.flatMap((s) => s.casillas).find(([key]) => key === casilla);
  if (entry === undefined) return err('not-found', `casilla ${casilla} is not in this distrito`);
  const [, offset, length] = entry;
  if (length === 0) return ok([]);
  const url = `${cut}/${distrito.actaCsv}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { range: `bytes=${offset}-${offset + length - 1}` } });
  } catch (error) {
    return err('unreachable', `${url}: ${(error as Error).message}`);
  }
  if (response.status !== 206 && response.status !== 200)
    return err('unreachable', `${url}: HTTP ${response.status}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status === 200) bytes = bytes.subarray(offset, offset + length);
  if (bytes.length !== length)
    return err('malformed', `${url}: ${bytes.length} bytes where ${length} were expected`);
  const rows = parseActaRows(bytes, distrito.actaHeader);
  if (!rows.ok) return err('malformed', `${url}: ${rows.message}`);
  const key = `'${casilla}`;
  if (rows.value.some((row) => row['CLAVE_CASILLA'] !== key))
    return err('malformed', `${url}: the rows at ${offset} are not those of casilla ${casilla}`);
  return rows;
}
