/**
 * Over random elections (parties, one coalition with some of its combinations, covering some
 * distritos, an independent somewhere), the national candidatura totals of the built cut equal a
 * recomputation from the published results CSV's rows and the definition's coalitions — done
 * here from the domain rule, by row, without the builder's code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { catalogToCsv } from '../catalog/csv_import.ts';
import { distritoKey } from '../domain/catalog.ts';
import type { Candidatura, Contest, ElectionDefinition, VoteColumn } from '../domain/election.ts';
import { parseElectionDefinition, serializeElectionDefinition } from '../domain/election_definition.ts';
import { testSigner } from '../journal/test_keys.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { publishedActas } from '../sim/published_actas.ts';
import { createRandom } from '../sim/random.ts';
import { buildCut } from './cut_builder.ts';

const catalog = generateCatalog({ scale: 'tiny', seed: 5 });
const keys = catalog.distritos.map((d) => distritoKey(d.entidad, d.id));
const base = defaultElectionDefinition(catalog, { mode: 'simulacro' });

/** Every combination of two or more of the parties, largest first. */
function combinations(parties: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let mask = 1; mask < 1 << parties.length; mask++) {
    const picked = parties.filter((_, i) => mask & (1 << i));
    if (picked.length >= 2) out.push(picked);
  }
  return out.sort((a, b) => b.length - a.length);
}

interface Shape {
  readonly parties: number;
  readonly coalition: readonly boolean[]; // which parties join it
  readonly combos: readonly boolean[]; // which smaller combinations are on the ballot
  readonly covered: readonly boolean[]; // which distritos the coalition covers
  readonly independent: readonly boolean[]; // where an independent runs
  readonly seed: string;
}

const shapes = fc.record({
  parties: fc.integer({ min: 2, max: 6 }),
  coalition: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  combos: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  covered: fc.array(fc.boolean(), { minLength: keys.length, maxLength: keys.length }),
  independent: fc.array(fc.boolean(), { minLength: keys.length, maxLength: keys.length }),
  seed: fc.string({ minLength: 1, maxLength: 8 }),
});

function contestOf(shape: Shape): Contest {
  const parties = Array.from({ length: shape.parties }, (_, i) => `P${i + 1}`);
  let members = parties.filter((_, i) => shape.coalition[i]);
  if (members.length < 2) members = parties.slice(0, 2);
  const inside = keys.filter((_, i) => shape.covered[i]);
  const where = inside.length === 0 ? [keys[0]!] : inside;
  const everywhere = where.length === keys.length;
  const scope = everywhere ? {} : { scope: { distritos: where } };
  const combos = combinations(members).filter((_, i) => i === 0 || shape.combos[i]);
  const independent = keys.filter((_, i) => shape.independent[i]);
  const columns: VoteColumn[] = [
    ...parties.map((id): VoteColumn => ({ id, kind: 'party', name: `Partido ${id}` })),
    ...combos.map(
      (c): VoteColumn => ({ id: c.join('_'), kind: 'coalition', name: c.join('-'), parties: c, ...scope }),
    ),
    ...(independent.length === 0
      ? []
      : [
          {
            id: 'IND',
            kind: 'independent',
            name: 'Independiente',
            scope: { distritos: independent },
          } as const,
        ]),
    { id: 'NO_REGISTRADAS', kind: 'no_registradas', name: 'No registradas' },
    { id: 'NULOS', kind: 'nulos', name: 'Nulos' },
  ];
  const named = (places: readonly string[], who: string) =>
    Object.fromEntries(places.map((p) => [p, `${who} en ${p}`]));
  const outside = keys.filter((k) => !where.includes(k));
  const candidaturas: Candidatura[] = [
    everywhere
      ? { id: 'COAL', name: 'Coalición', columns: members, candidate: 'Persona de la coalición' }
      : { id: 'COAL', name: 'Coalición', columns: members, candidates: named(where, 'COAL') },
    ...members.flatMap((p): Candidatura[] =>
      outside.length === 0
        ? []
        : [{ id: p, name: `Partido ${p}`, columns: [p], candidates: named(outside, p) }],
    ),
    ...parties
      .filter((p) => !members.includes(p))
      .map((p): Candidatura => ({ id: p, name: `Partido ${p}`, columns: [p], candidate: `Persona de ${p}` })),
    ...(independent.length === 0
      ? []
      : [{ id: 'IND', name: 'Independiente', columns: ['IND'], candidates: named(independent, 'IND') }]),
  ];
  return { ...base.contests[2]!, id: 'DIP_FED', columns, candidaturas };
}

/** The national candidaturas recomputed from the CSV's rows: by row, its distrito's candidaturas. */
function fromCsv(csv: Buffer, contest: Contest): Map<string, number> {
  const rows: string[][] = parse(csv.subarray(3), { relaxColumnCount: true, record_delimiter: '\r' });
  const header = rows.find((r) => r.includes('CLAVE_CASILLA') && r.includes('CONTABILIZADA'))!;
  const at = (name: string) => header.indexOf(name);
  const totals = new Map<string, number>((contest.candidaturas ?? []).map((c) => [c.id, 0]));
  for (const row of rows.slice(rows.indexOf(header) + 1)) {
    if (row[at('CONTABILIZADA')] !== '1') continue;
    const distrito = `${row[at('ID_ENTIDAD')]!.padStart(2, '0')}-${row[at('ID_DISTRITO_FEDERAL')]}`;
    for (const candidatura of contest.candidaturas ?? []) {
      const runs =
        candidatura.candidate !== undefined || Object.hasOwn(candidatura.candidates ?? {}, distrito);
      if (!runs) continue;
      for (const column of contest.columns) {
        const mine =
          column.kind === 'coalition'
            ? column.parties!.every((p) => candidatura.columns.includes(p))
            : candidatura.columns.includes(column.id);
        const cell = row[at(column.id)]!;
        if (mine && /^\d+$/.test(cell))
          totals.set(candidatura.id, totals.get(candidatura.id)! + Number(cell));
      }
    }
  }
  return totals;
}

test('national candidatura totals equal a recomputation from the CSV rows and the coalitions', async () => {
  await fc.assert(
    fc.asyncProperty(shapes, async (shape) => {
      const contest = contestOf(shape);
      const election: ElectionDefinition = { ...base, contests: [contest] };
      const parsed = parseElectionDefinition(JSON.parse(serializeElectionDefinition(election)), { catalog });
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
      const actas = publishedActas({ catalog, election, random: createRandom(shape.seed), missing: 1 / 5 });
      const cut = await buildCut({
        election,
        catalog,
        catalogCsv: Buffer.from(catalogToCsv(catalog)),
        electionJson: Buffer.from(serializeElectionDefinition(election)),
        actas,
        cutTime: Date.parse(election.publicationStart) + 3600_000,
        sequence: 1,
        final: false,
        journal: {
          size: 1,
          rootHash: createHash('sha256').digest(),
          checkpointNote: '',
          consistencyProof: [],
        },
        previous: null,
        signer: testSigner('openprep.PEF2024.simulacro'),
        packIn: 'thread',
      });
      const nacional = JSON.parse(cut.files.get('json/DIP_FED/nacional.json')!.toString()) as {
        aggregates: { TOTAL_VOTOS_C_CS: number };
        votes: { column: string; votes: number }[];
        candidaturas: { id: string; votes: number; percent: string }[];
      };
      const expected = fromCsv(cut.files.get('DIP_FED_2024.csv')!, contest);
      assert.deepEqual(new Map(nacional.candidaturas.map((c) => [c.id, c.votes])), expected);
      const total = nacional.aggregates.TOTAL_VOTOS_C_CS;
      for (const c of nacional.candidaturas) {
        const percent = total === 0 ? 0 : Math.floor((c.votes * 1_000_000) / total);
        assert.equal(c.percent, (percent / 10_000).toFixed(4));
      }
      // The candidaturas share out every vote but the unregistered and null ones.
      const closing = nacional.votes
        .filter((v) => v.column === 'NO_REGISTRADAS' || v.column === 'NULOS')
        .reduce((sum, v) => sum + v.votes, 0);
      assert.equal(nacional.candidaturas.reduce((sum, c) => sum + c.votes, 0) + closing, total);
    }),
    { numRuns: 25 },
  );
});
