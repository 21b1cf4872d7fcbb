/**
 * The election definition's schema and the parser for `election.json` files
 * (`catalogo/ELECCION_<ID>.json`); the default definition modelled on 2024 is in
 * src/sim/default_election.ts.
 */
import { z } from 'zod';
import { type Catalog, distritoKey } from './catalog.ts';
import { TIPOS_CASILLA, type TipoCasilla } from './keys.ts';
import {
  type ActaType,
  candidateIn,
  candidaturaCounts,
  columnApplies,
  type Contest,
  type ElectionDefinition,
  type ReaderPolicy,
  type VoteColumn,
} from './election.ts';
import { err, ok, type Result } from './result.ts';
import { FIXED_LEADING_COLUMNS, FIXED_TRAILING_COLUMNS, LEGACY_NAMES } from './results_layout.ts';

/** Actas esperadas: every casilla × every acta type of the contest that its casilla type produces. */
export function countActasEsperadas(
  catalog: Catalog,
  definition: ElectionDefinition,
): { readonly total: number; readonly byContest: Readonly<Record<string, number>> } {
  const byTipo: Record<TipoCasilla, number> = { B: 0, C: 0, E: 0, S: 0 };
  for (const casilla of catalog.casillas) byTipo[casilla.tipo]++;
  const byContest: Record<string, number> = {};
  let total = 0;
  for (const contest of definition.contests) {
    let count = 0;
    for (const actaType of contest.actaTypes) for (const tipo of actaType.casillaTypes) count += byTipo[tipo];
    byContest[contest.id] = count;
    total += count;
  }
  return { total, byContest };
}

// ---------------------------------------------------------------------------------------------
// election.json

/** Column names of the results table that a vote column must not reuse (the CSV header would repeat). */
export const RESERVED_COLUMN_IDS: readonly string[] = [
  ...FIXED_LEADING_COLUMNS,
  ...FIXED_TRAILING_COLUMNS,
  // legacy 2018/2021 spellings
  ...Object.values(LEGACY_NAMES),
];

const IDENTIFIER = /^[A-Z][A-Z0-9_]{0,39}$/;
const ELECTION_ID = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
const TIPO_ACTA_CODE = /^[0-9A-Z]{1,5}$/; // as keys.ts: the suffix of CLAVE_ACTA
const DISTRITO_KEY = /^(\d{2})-(\d{3})$/;

const scopeSchema = z.strictObject({
  entidades: z.array(z.number().int().min(1).max(32)).min(1).optional(),
  distritos: z.array(z.string().regex(DISTRITO_KEY, 'must be "EE-DDD"')).min(1).optional(),
});

const voteColumnSchema = z.strictObject({
  id: z.string().regex(IDENTIFIER, 'must be capital letters, digits and _, starting with a letter'),
  kind: z.enum(['party', 'coalition', 'independent', 'no_registradas', 'nulos']),
  name: z.string().min(1).max(200),
  parties: z.array(z.string()).optional(),
  candidate: z.string().min(1).max(200).optional(),
  scope: scopeSchema.optional(),
  color: z
    .string()
    .regex(/^#[0-9A-F]{6}$/, 'must be #RRGGBB (capital hex digits)')
    .optional(),
});

const PLACE = /^\d{2}(-\d{3})?$/;

const candidaturaSchema = z.strictObject({
  id: z.string().regex(IDENTIFIER, 'must be capital letters, digits and _, starting with a letter'),
  name: z.string().min(1).max(200),
  columns: z.array(z.string()).min(1),
  candidate: z.string().min(1).max(200).optional(),
  candidates: z
    .record(
      z.string().regex(PLACE, 'must be an entidad "EE" or a distrito "EE-DDD"'),
      z.string().min(1).max(200),
    )
    .optional(),
});

const actaTypeSchema = z.strictObject({
  code: z.string().regex(TIPO_ACTA_CODE, 'must be 1 to 5 digits or capital letters (CLAVE_ACTA suffix)'),
  label: z.string().min(1).max(40),
  casillaTypes: z.array(z.enum(TIPOS_CASILLA)).min(1),
});

const contestSchema = z.strictObject({
  id: z.string().regex(IDENTIFIER, 'must be capital letters, digits and _, starting with a letter'),
  title: z.string().min(1).max(200),
  actaTypes: z.array(actaTypeSchema).min(1),
  columns: z.array(voteColumnSchema).min(3),
  candidaturas: z.array(candidaturaSchema).min(1).optional(),
});

/** The reader's setting where `election.json` leaves it out (docs/catalog.md). */
export const READER_DEFAULTS: ReaderPolicy = {
  mode: 'shadow',
  agreementThreshold: 0.98,
  window: 200,
  minScored: 200,
};

// A witness key's shape; its key id and type byte are checked where it is used (src/journal/cosignature.ts).
const WITNESS_KEY = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/;

/** The shape of `election.json`; cross-field rules are checked by `parseElectionDefinition`. */
export const electionDefinitionSchema: z.ZodType<ElectionDefinition> = z.strictObject({
  id: z.string().regex(ELECTION_ID, 'must be capital letters, digits, _ or -'),
  name: z.string().min(1).max(200),
  year: z.number().int().min(1990).max(2999),
  mode: z.enum(['simulacro', 'live']),
  utcOffsetMinutes: z.number().int().min(-720).max(840),
  publicationStart: z.iso.datetime({ offset: true }),
  publicationHours: z.number().int().min(1).max(168),
  // Anexo 13: at least three cuts an hour.
  cutIntervalMinutes: z.number().int().min(1).max(20),
  contests: z.array(contestSchema).min(1),
  witnesses: z
    .strictObject({
      keys: z
        .array(z.string().regex(WITNESS_KEY, 'must be <name>+<8 hex digits>+<base64 of 33 bytes>'))
        .max(32),
      required: z.number().int().min(0).max(32),
      waitSeconds: z.number().int().min(0).max(600),
    })
    .optional(),
  // The acta reader (docs/reader.md): shadow unless an election asks for assist.
  reader: z
    .strictObject({
      mode: z.enum(['shadow', 'assist']).default(READER_DEFAULTS.mode),
      agreementThreshold: z.number().min(0.5).max(1).default(READER_DEFAULTS.agreementThreshold),
      window: z.number().int().min(1).max(100_000).default(READER_DEFAULTS.window),
      minScored: z.number().int().min(1).max(1_000_000).default(READER_DEFAULTS.minScored),
    })
    .optional(),
});

export interface ParseElectionOptions {
  /** When given, scopes must name entidades and distritos of this catalog. */
  readonly catalog?: Catalog;
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return [...repeated];
}

function checkScope(
  column: VoteColumn,
  where: string,
  catalog: Catalog | undefined,
  problems: string[],
): void {
  const scope = column.scope;
  if (scope === undefined) return;
  if (column.kind === 'no_registradas' || column.kind === 'nulos')
    problems.push(`${where}: ${column.kind} applies everywhere and cannot have a scope`);
  if (scope.entidades === undefined && scope.distritos === undefined)
    problems.push(`${where}: an empty scope; leave "scope" out for a column that applies everywhere`);
  for (const d of duplicates((scope.entidades ?? []).map(String)))
    problems.push(`${where}: entidad ${d} repeated`);
  for (const d of duplicates(scope.distritos ?? [])) problems.push(`${where}: distrito ${d} repeated`);
  const entidades = catalog === undefined ? null : new Set(catalog.entidades.map((e) => e.id));
  const distritos =
    catalog === undefined ? null : new Set(catalog.distritos.map((d) => distritoKey(d.entidad, d.id)));
  for (const entidad of scope.entidades ?? [])
    if (entidades !== null && !entidades.has(entidad))
      problems.push(`${where}: entidad ${entidad} is not in the catalog`);
  for (const key of scope.distritos ?? []) {
    const match = DISTRITO_KEY.exec(key);
    const entidad = Number(match?.[1]);
    const distrito = Number(match?.[2]);
    if (entidad < 1 || entidad > 32 || distrito < 1 || distrito > 99)
      problems.push(`${where}: distrito "${key}" is not a valid EE-DDD key`);
    else if (distritos !== null && !distritos.has(key))
      problems.push(`${where}: distrito ${key} is not in the catalog`);
    if (scope.entidades !== undefined && !scope.entidades.includes(entidad))
      problems.push(
        `${where}: distrito ${key} lies outside the scope's entidades, so the column never applies there`,
      );
  }
}

function checkColumns(
  contest: Contest,
  where: string,
  catalog: Catalog | undefined,
  problems: string[],
): void {
  const { columns } = contest;
  for (const id of duplicates(columns.map((c) => c.id)))
    problems.push(`${where}: column ${id} appears twice`);
  const parties = new Set(columns.filter((c) => c.kind === 'party').map((c) => c.id));
  for (const color of duplicates(columns.flatMap((c) => (c.color === undefined ? [] : [c.color]))))
    problems.push(`${where}: colour ${color} is given to two columns`);
  columns.forEach((column, i) => {
    const at = `${where}.columns[${i}] (${column.id})`;
    if (RESERVED_COLUMN_IDS.includes(column.id))
      problems.push(`${at}: ${column.id} is a fixed column of the results CSV`);
    const last = i === columns.length - 1;
    const secondLast = i === columns.length - 2;
    if (secondLast && (column.id !== 'NO_REGISTRADAS' || column.kind !== 'no_registradas'))
      problems.push(`${at}: the second-last column must be NO_REGISTRADAS (kind no_registradas)`);
    if (last && (column.id !== 'NULOS' || column.kind !== 'nulos'))
      problems.push(`${at}: the last column must be NULOS (kind nulos)`);
    if (!last && !secondLast && (column.kind === 'no_registradas' || column.kind === 'nulos'))
      problems.push(`${at}: ${column.kind} must come last (NO_REGISTRADAS, then NULOS)`);
    if (column.kind === 'coalition') {
      const members = column.parties ?? [];
      if (members.length < 2) problems.push(`${at}: a coalition combination needs at least two parties`);
      for (const party of members)
        if (!parties.has(party)) problems.push(`${at}: party ${party} is not a party column of this contest`);
      for (const party of duplicates(members)) problems.push(`${at}: party ${party} repeated`);
    } else if (column.parties !== undefined) {
      problems.push(`${at}: only coalition columns list parties`);
    }
    if (column.color !== undefined && column.kind !== 'party' && column.kind !== 'independent')
      problems.push(`${at}: only party and independent columns have a colour`);
    checkScope(column, at, catalog, problems);
  });
}

/**
 * Candidaturas: each names its candidate once (everywhere, or by entidad / distrito), joins
 * party columns or one independent column, and on every ballot the candidaturas that run share
 * out the vote columns on it, each to exactly one of them. Ballots are the catalog's distritos
 * when one is given, else the distritos the definition names.
 */
function checkCandidaturas(
  contest: Contest,
  where: string,
  catalog: Catalog | undefined,
  problems: string[],
): void {
  const candidaturas = contest.candidaturas;
  if (candidaturas === undefined) return;
  for (const id of duplicates(candidaturas.map((c) => c.id)))
    problems.push(`${where}: candidatura ${id} appears twice`);
  const byId = new Map(contest.columns.map((c) => [c.id, c]));
  const places: string[] = [];
  candidaturas.forEach((candidatura, i) => {
    const at = `${where}.candidaturas[${i}] (${candidatura.id})`;
    const kinds = candidatura.columns.map((id) => byId.get(id)?.kind);
    for (const [j, id] of candidatura.columns.entries())
      if (kinds[j] !== 'party' && kinds[j] !== 'independent')
        problems.push(`${at}: ${id} is not a party or independent column of this contest`);
    if (kinds.includes('independent') && candidatura.columns.length > 1)
      problems.push(`${at}: an independent candidatura has its one column alone`);
    for (const id of duplicates(candidatura.columns)) problems.push(`${at}: column ${id} repeated`);
    if ((candidatura.candidate === undefined) === (candidatura.candidates === undefined))
      problems.push(`${at}: give either "candidate" (everywhere) or "candidates" (by entidad or distrito)`);
    const keys = Object.keys(candidatura.candidates ?? {});
    if (candidatura.candidates !== undefined && keys.length === 0)
      problems.push(`${at}: "candidates" names no entidad or distrito`);
    for (const key of keys) {
      if (key.length > 2 && keys.includes(key.slice(0, 2)))
        problems.push(`${at}: distrito ${key} lies in entidad ${key.slice(0, 2)}, also listed`);
      if (key.length > 2) places.push(key);
      const entidad = Number(key.slice(0, 2));
      if (entidad < 1 || entidad > 32) problems.push(`${at}: "${key}" is not an entidad 01–32`);
    }
  });
  for (const column of contest.columns) places.push(...(column.scope?.distritos ?? []));
  const ballots =
    catalog === undefined
      ? [...new Set(places)].sort()
      : catalog.distritos.map((d) => distritoKey(d.entidad, d.id));
  // One line per problem, naming the first distrito it happens in, not one line per distrito.
  const found = new Map<string, string[]>();
  const report = (problem: string, ballot: string): void => {
    const list = found.get(problem);
    if (list === undefined) found.set(problem, [ballot]);
    else list.push(ballot);
  };
  for (const ballot of ballots) {
    const entidad = Number(ballot.slice(0, 2));
    const running = candidaturas.filter((c) => candidateIn(c, ballot) !== null);
    const onBallot = contest.columns.filter(
      (c) => c.kind !== 'no_registradas' && c.kind !== 'nulos' && columnApplies(c, entidad, ballot),
    );
    for (const column of onBallot) {
      const claims = running.filter((c) => candidaturaCounts(c, column)).map((c) => c.id);
      if (claims.length === 0) report(`${where}: column ${column.id} counts toward no candidatura`, ballot);
      if (claims.length > 1)
        report(`${where}: column ${column.id} counts toward ${claims.join(' and ')}`, ballot);
    }
    for (const candidatura of running) {
      if (candidatura.columns.length < 2) continue;
      if (!onBallot.some((c) => c.kind === 'coalition' && candidaturaCounts(candidatura, c)))
        report(
          `${where}: candidatura ${candidatura.id} runs where no coalition of its parties is on the ballot`,
          ballot,
        );
    }
  }
  for (const [problem, at] of found)
    problems.push(`${problem} in distrito ${at[0]}${at.length > 1 ? ` and ${at.length - 1} more` : ''}`);
}

function checkActaTypes(actaTypes: readonly ActaType[], where: string, problems: string[]): void {
  actaTypes.forEach((actaType, i) => {
    for (const tipo of duplicates(actaType.casillaTypes))
      problems.push(`${where}.actaTypes[${i}]: casilla type ${tipo} repeated`);
  });
}

/** Cross-field rules a schema cannot say; empty when the definition is sound. */
export function electionDefinitionProblems(
  definition: ElectionDefinition,
  options: ParseElectionOptions = {},
): string[] {
  const problems: string[] = [];
  for (const id of duplicates(definition.contests.map((c) => c.id)))
    problems.push(`contest ${id} appears twice`);
  // CLAVE_ACTA must identify an acta across the whole election, so codes are unique election-wide.
  const codes = definition.contests.flatMap((c) => c.actaTypes.map((a) => a.code));
  for (const code of duplicates(codes)) problems.push(`TIPO_ACTA ${code} is used twice`);
  definition.contests.forEach((contest, i) => {
    const where = `contests[${i}] (${contest.id})`;
    checkActaTypes(contest.actaTypes, where, problems);
    checkColumns(contest, where, options.catalog, problems);
    checkCandidaturas(contest, where, options.catalog, problems);
  });
  const witnesses = definition.witnesses;
  if (witnesses !== undefined) {
    const names = witnesses.keys.map((key) => key.slice(0, key.indexOf('+')));
    for (const name of duplicates(names)) problems.push(`witnesses: ${name} is listed twice`);
    if (witnesses.required > witnesses.keys.length)
      problems.push(
        `witnesses: ${witnesses.required} cosignatures required of ${witnesses.keys.length} witnesses`,
      );
  }
  return problems;
}

/** Reads an `election.json` document (already JSON-parsed). */
export function parseElectionDefinition(
  json: unknown,
  options: ParseElectionOptions = {},
): Result<ElectionDefinition, 'election-invalid'> {
  const parsed = electionDefinitionSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    return err('election-invalid', `election definition invalid: ${issues.join('; ')}`);
  }
  const problems = electionDefinitionProblems(parsed.data, options);
  if (problems.length > 0)
    return err('election-invalid', `election definition invalid: ${problems.join('; ')}`);
  return ok(parsed.data);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  return value;
}

/** `election.json` bytes: sorted keys, two-space indentation, trailing newline (stable for hashing). */
export function serializeElectionDefinition(definition: ElectionDefinition): string {
  return `${JSON.stringify(sortKeys(definition), null, 2)}\n`;
}
