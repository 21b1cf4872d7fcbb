/**
 * The history of the night as the site reads it (docs/publication-format.md, "The history of
 * the night"): `json/historial.json` and `json/cambios.json` of a cut, parsed at the boundary.
 * Fetched only when the reader opens the history, never on the first load.
 */
import * as z from 'zod/mini';
import type { Result } from '../domain/result.ts';
import { type FetchError, fetchJson, type Latest, latestSchema } from './publication.ts';

const count = z.number().check(z.int(), z.nonnegative());
const percent = z.string().check(z.regex(/^\d{1,3}\.\d{4}$/));
const cutId = z.string().check(z.regex(/^\d{8}_\d{4}$/));
const acta = z.string().check(z.regex(/^\d{6}[BCES]\d{4}[0-9A-Z]{1,5}$/));

export const historySchema = z.object({
  contests: z.array(z.string()),
  aggregateNames: z.array(z.string()),
  cuts: z.array(
    z.object({
      id: cutId,
      sequence: count,
      time: z.string(),
      final: z.boolean(),
      manifestSha256: z.nullable(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
      aggregates: z.array(z.tuple([count, count, percent, percent])),
    }),
  ),
});
export type History = z.infer<typeof historySchema>;
export type HistoryCut = History['cuts'][number];

export const changesSchema = z.object({
  cut: cutId,
  previous: z.nullable(cutId),
  contests: z.array(
    z.object({
      id: z.string(),
      added: z.array(z.tuple([acta, count, count, count])),
      changed: z.array(z.tuple([acta, count, count, count, z.array(z.string())])),
    }),
  ),
});
export type Changes = z.infer<typeof changesSchema>;

export function fetchHistory(cut: string): Promise<Result<History, FetchError>> {
  return fetchJson(`${cut}/json/historial.json`, historySchema);
}

export function fetchChanges(cut: string): Promise<Result<Changes, FetchError>> {
  return fetchJson(`${cut}/json/cambios.json`, changesSchema);
}

/** The pointer again: the newest cut's manifest hash is in it, not in the cut's own history. */
export function fetchPointer(): Promise<Result<Latest, FetchError>> {
  return fetchJson('latest.json', latestSchema, { cache: 'no-cache' });
}

/** The address of an acta's casilla page: the distrito's file holds its rows. */
export function casillaHash(contest: string, acta: string, entidad: number, distrito: number): string {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `#/${contest}/distrito/${pad(entidad, 2)}-${pad(distrito, 3)}/casilla/${acta.slice(0, 11)}`;
}

/**
 * The chart's points: per cut, x from 0 to `width` by its position in the night (by time, so
 * irregular cuts are spaced as they happened) and y from `height` (0 %) to 0 (100 %).
 */
export function chartPoints(
  cuts: readonly HistoryCut[],
  contest: number,
  figure: 2 | 3,
  width: number,
  height: number,
): [number, number][] {
  const times = cuts.map((c) => Date.parse(c.time));
  const first = times[0] ?? 0;
  const span = (times.at(-1) ?? 0) - first;
  return cuts.map((c, i) => {
    const x = span > 0 ? (((times[i] ?? first) - first) / span) * width : cuts.length === 1 ? width / 2 : 0;
    const value = Number(c.aggregates[contest]?.[figure] ?? 0);
    const y = height - (Math.min(100, Math.max(0, value)) / 100) * height;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  });
}
