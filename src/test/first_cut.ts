/**
 * The first cut of the fixtures' election (src/test/fixtures.ts) — an empty journal, no
 * previous cut — built and written to a cuts root as the publisher would, for the tests that
 * need a whole published cut on disk (the verifier's faults, the JSON Schemas, the pandas
 * example).
 */
import assert from 'node:assert/strict';
import { catalogToCsv } from '../catalog/csv_import.ts';
import type { PublishedActa } from '../domain/acta.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { signCheckpoint } from '../journal/checkpoint.ts';
import { EMPTY_ROOT } from '../journal/merkle.ts';
import type { NoteSigner } from '../journal/note.ts';
import { buildCut } from '../publish/cut_builder.ts';
import { writeCut } from '../publish/cut_writer.ts';
import { CATALOG, CONTEST, ELECTION } from './fixtures.ts';

export async function writeFirstCut(input: {
  readonly cutsRoot: string;
  readonly actas: readonly PublishedActa[];
  readonly cutTime: number;
  readonly signer: NoteSigner;
}): Promise<{ readonly cutId: string; readonly folder: string }> {
  const { signer } = input;
  const catalogCsv = Buffer.from(catalogToCsv(CATALOG));
  const electionJson = Buffer.from(serializeElectionDefinition(ELECTION));
  const cut = await buildCut({
    election: ELECTION,
    catalog: CATALOG,
    catalogCsv,
    electionJson,
    actas: new Map([[CONTEST.id, [...input.actas]]]),
    cutTime: input.cutTime,
    sequence: 1,
    final: false,
    journal: {
      size: 0,
      rootHash: EMPTY_ROOT,
      checkpointNote: signCheckpoint({ origin: `${signer.name}/log`, size: 0, rootHash: EMPTY_ROOT }, signer),
      consistencyProof: [],
    },
    previous: null,
    signer,
  });
  const written = await writeCut({
    cutsRoot: input.cutsRoot,
    cut,
    electionId: ELECTION.id,
    catalogCsv,
    electionJson,
    // latest.json states the cut's local time, as the publisher writes it (V16 compares them).
    cutTime: formatIsoLocal(input.cutTime, ELECTION.utcOffsetMinutes),
    signer,
  });
  assert.ok(written.ok, written.ok ? '' : written.message);
  return { cutId: cut.cutId, folder: written.value.folder };
}
