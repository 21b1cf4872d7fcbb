/**
 * A state-sized cut (~21,000 actas) packed in a worker thread, as national cuts are, must be
 * byte-identical to the same cut packed on the builder's own thread, and must verify.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { catalogToCsv } from '../catalog/csv_import.ts';
import { verifierKeyText } from '../journal/keys.ts';
import { testSigner } from '../journal/test_keys.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { publishedActas } from '../sim/published_actas.ts';
import { createRandom } from '../sim/random.ts';
import { verifyCut } from '../verify/verify.ts';
import { buildCut, type CutInput } from './cut_builder.ts';
import { writeCut } from './cut_writer.ts';

test('a cut packed in the worker thread equals the same cut packed here, and verifies', async () => {
  const catalog = generateCatalog({ scale: 'state', seed: 7 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const start = Date.parse(election.publicationStart);
  // Every 30th acta never arrives: casillas without rows get [key, 0, 0].
  const actas = publishedActas({
    catalog,
    election,
    random: createRandom('cut-builder-test'),
    missing: 1 / 30,
  });
  const total = [...actas.values()].reduce((sum, rows) => sum + rows.length, 0);
  assert.ok(total > 20_000, `${total} actas`);
  const signer = testSigner('openprep.PEF2024.simulacro');
  const catalogCsv = Buffer.from(catalogToCsv(catalog));
  const electionJson = Buffer.from(serializeElectionDefinition(election));
  const input: CutInput = {
    election,
    catalog,
    catalogCsv,
    electionJson,
    actas,
    cutTime: start + 24 * 3600 * 1000,
    sequence: 1,
    final: true,
    journal: { size: 0, rootHash: createHash('sha256').digest(), checkpointNote: '', consistencyProof: [] },
    previous: null,
    signer,
  };
  const inWorker = await buildCut({ ...input, packIn: 'worker' });
  const here = await buildCut({ ...input, packIn: 'thread' });
  assert.equal(inWorker.manifestSha256, here.manifestSha256);
  assert.ok(inWorker.zip.equals(here.zip), 'the zips differ');
  assert.deepEqual([...inWorker.files.keys()], [...here.files.keys()]);
  for (const [name, data] of inWorker.files) assert.ok(data.equals(here.files.get(name)!), name);

  const root = await mkdtemp(path.join(tmpdir(), 'openprep-cut-builder-'));
  try {
    const written = await writeCut({
      cutsRoot: root,
      cut: inWorker,
      electionId: election.id,
      catalogCsv,
      electionJson,
      // latest.json states the cut's local time, as the publisher writes it (V16 compares them).
      cutTime: formatIsoLocal(input.cutTime, election.utcOffsetMinutes),
      signer,
    });
    assert.ok(written.ok);
    const report = await verifyCut({ cut: written.value.folder, publicKey: verifierKeyText(signer) });
    // The journal here is a stand-in (no checkpoint note): V05 alone may object.
    const failed = report.checks.filter((c) => c.status === 'fail' && c.id !== 'V05');
    assert.deepEqual(failed, []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
