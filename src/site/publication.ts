/**
 * What the public site reads, parsed at the boundary: the `latest` pointer, the cut's index and
 * the site JSON of each level (docs/publication-format.md). A mirror serving a damaged or
 * foreign file gets a named error on the page, never a page built from half a file.
 */
import * as z from 'zod/mini';
import { err, ok, type Result } from '../domain/result.ts';

const count = z.number().check(z.int(), z.nonnegative());
const percent = z.string().check(z.regex(/^\d{1,3}\.\d{4}$/));
const cutId = z.string().check(z.regex(/^\d{8}_\d{4}$/));

export const latestSchema = z.object({ cut: cutId, manifestSha256: z.string(), time: z.string() });
export type Latest = z.infer<typeof latestSchema>;

export const cutIndexSchema = z.object({
  election: z.object({
    id: z.string(),
    name: z.string(),
    mode: z.enum(['simulacro', 'live']),
    year: z.number(),
  }),
  cut: z.object({ id: cutId, time: z.string(), final: z.boolean() }),
  contests: z.array(z.object({ id: z.string(), title: z.string(), csv: z.string() })),
});
export type CutIndex = z.infer<typeof cutIndexSchema>;

const column = z.object({
  id: z.string(),
  kind: z.enum(['party', 'coalition', 'independent', 'no_registradas', 'nulos']),
  name: z.string(),
  parties: z.nullable(z.array(z.string())),
  // Cuts published before colours and candidaturas have neither.
  color: z.optional(z.nullable(z.string())),
});
export type Column = z.infer<typeof column>;

const candidatura = z.object({
  id: z.string(),
  name: z.string(),
  candidate: z.nullable(z.string()),
  columns: z.array(z.string()),
  votes: count,
  percent,
});
export type Candidatura = z.infer<typeof candidatura>;

/** The 13 aggregates by their CSV names; counts are numbers, percentages 4-decimal text. */
const aggregates = z.object({
  ACTAS_ESPERADAS: count,
  ACTAS_REGISTRADAS: count,
  ACTAS_FUERA_CATALOGO: count,
  ACTAS_CAPTURADAS: count,
  PORCENTAJE_ACTAS_CAPTURADAS: percent,
  ACTAS_CONTABILIZADAS: count,
  PORCENTAJE_ACTAS_CONTABILIZADAS: percent,
  PORCENTAJE_ACTAS_INCONSISTENCIAS: percent,
  ACTAS_NO_CONTABILIZADAS: count,
  LISTA_NOMINAL_ACTAS_CONTABILIZADAS: count,
  TOTAL_VOTOS_C_CS: count,
  TOTAL_VOTOS_S_CS: count,
  PORCENTAJE_PARTICIPACION_CIUDADANA: percent,
});
export type Aggregates = z.infer<typeof aggregates>;
export const AGGREGATE_NAMES = Object.keys(aggregates.shape) as (keyof Aggregates)[];

const votes = z.array(z.object({ column: z.string(), votes: count, percent }));
export type Votes = z.infer<typeof votes>;

const common = {
  contest: z.string(),
  title: z.string(),
  mode: z.enum(['simulacro', 'live']),
  cut: z.object({ id: cutId, time: z.string() }),
  final: z.boolean(),
  columns: z.array(column),
  aggregates,
  votes,
  candidaturas: z.optional(z.array(candidatura)),
};
const unit = z.object({ id: z.number(), name: z.string(), aggregates, votes });
export type Unit = z.infer<typeof unit>;
const named = z.object({ id: z.number(), name: z.nullable(z.string()) });

export const nacionalSchema = z.object({ ...common, level: z.literal('nacional'), entidades: z.array(unit) });
export const entidadSchema = z.object({
  ...common,
  level: z.literal('entidad'),
  entidad: named,
  distritos: z.array(unit),
});
export const distritoSchema = z.object({
  ...common,
  level: z.literal('distrito'),
  entidad: named,
  distrito: named,
  aggregateNames: z.array(z.string()),
  actaCsv: z.string(),
  actaHeader: z.array(z.string()),
  secciones: z.array(
    z.object({
      seccion: z.number(),
      aggregates: z.array(z.union([z.number(), z.string()])),
      votes: z.array(count),
      casillas: z.array(z.tuple([z.string(), count, count])),
    }),
  ),
});
export type Nacional = z.infer<typeof nacionalSchema>;
export type Entidad = z.infer<typeof entidadSchema>;
export type Distrito = z.infer<typeof distritoSchema>;
export type Level = Nacional | Entidad | Distrito;

export type FetchError = 'not-found' | 'unreachable' | 'malformed';

/** Fetches and parses one JSON file of the publication. */
export async function fetchJson<T>(
  url: string,
  schema: z.ZodMiniType<T>,
  init?: RequestInit,
): Promise<Result<T, FetchError>> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    return err('unreachable', `${url}: ${(error as Error).message}`);
  }
  if (response.status === 404) return err('not-found', `${url}: not published`);
  if (!response.ok) return err('unreachable', `${url}: HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return err('malformed', `${url}: not JSON`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(
      'malformed',
      `${url}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'does not match'}`.trim(),
    );
  }
  return ok(parsed.data);
}
