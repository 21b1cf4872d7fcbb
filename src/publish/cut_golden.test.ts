/**
 * The cut's bytes are pinned: a cut built from the same seeded night, the same catalog, the same
 * definition and the same key must be byte-identical across refactorings of the code that builds
 * it (the layout renovation of issue 22 was held to this). A change to the published format
 * changes these digests on purpose — then update them in the same commit and say why.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { catalogToCsv } from '../catalog/csv_import.ts';
import { testSigner } from '../journal/test_keys.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { serializeElectionDefinition } from '../domain/election_definition.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { publishedActas } from '../sim/published_actas.ts';
import { createRandom } from '../sim/random.ts';
import { buildCut, earlierFromBuilt, type CutInput } from './cut_builder.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function goldenCuts(): Promise<Record<string, string>> {
  const catalog = generateCatalog({ scale: 'tiny', seed: 22 });
  const election = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const start = Date.parse(election.publicationStart);
  const actas = publishedActas({ catalog, election, random: createRandom('cut-golden'), missing: 1 / 7 });
  const signer = testSigner('openprep.PEF2024.simulacro');
  const catalogCsv = Buffer.from(catalogToCsv(catalog));
  const electionJson = Buffer.from(serializeElectionDefinition(election));
  const base: CutInput = {
    election,
    catalog,
    catalogCsv,
    electionJson,
    actas,
    cutTime: start + 3 * 3600 * 1000,
    sequence: 1,
    final: false,
    journal: {
      size: 12,
      rootHash: createHash('sha256').update('journal').digest(),
      checkpointNote: '',
      consistencyProof: [],
    },
    previous: null,
    signer,
  };
  const first = await buildCut({ ...base, packIn: 'thread' });
  const digests: Record<string, string> = { 'first.zip': sha256(first.zip) };
  for (const [name, data] of first.files) digests[`first/${name}`] = sha256(data);
  const second = await buildCut({
    ...base,
    packIn: 'thread',
    sequence: 2,
    final: true,
    cutTime: start + 24 * 3600 * 1000,
    previous: { id: first.cutId, journalSize: 12, manifestSha256: first.manifestSha256 },
    earlier: earlierFromBuilt(first),
    journal: { ...base.journal, size: 20 },
  });
  digests['second.zip'] = sha256(second.zip);
  digests['legacy.zip'] = sha256((await buildCut({ ...base, packIn: 'thread', legacyCsv: true })).zip);
  return digests;
}

test('the same night builds the same cut, byte for byte (pinned digests)', async () => {
  const digests = await goldenCuts();
  if (process.env.OPENPREP_PRINT_GOLDEN === '1') console.log(JSON.stringify(digests, null, 2));
  assert.deepEqual(digests, GOLDEN);
});

const GOLDEN: Record<string, string> = {
  'first.zip': '38709c1f46fe23d7b89ce09fec725296e620fb221073f4b0d07e43bd2c136e47',
  'first/LEEME.txt': '380845cb0a883d0c9bb9ab820e6830110ae6a109d27a7aea161dec54c4f92b10',
  'first/PRES_2024.csv': '65f56ebe0840298de72b6d83e5577091e3fecd768426194e980ea78091ad54d0',
  'first/PRES_CANDIDATURAS_2024.csv': 'fe7f645d6d8cd925ce731bcffb6691838378ba639ad84d2a30bf0b61b4ae62a2',
  'first/json/PRES/nacional.json': 'eb94b571b2f9d94484e776905317d7b777bf50d29ee3e05a74920f8d90c2dc54',
  'first/json/PRES/entidad/01.json': 'b56de1d14ef07debbb4a8b22eb2c53cd6cd4c1478adefa3b0778a2a1bf15d5b1',
  'first/json/PRES/distrito/01-001.json': 'c77850532fd5d7d495c3bdf499fd9b80264e197bd22f6bf5409597f85190d30d',
  'first/json/PRES/distrito/01-002.json': '2e14701f6410e0fcf5f2f1d62a913cf3bc0221d9fbc0aadbdaeda0e177b8b571',
  'first/SEN_2024.csv': '78fb25b582f343584f75b455c7de09e18cdebdb3d610fb5ad60d5c97e83820bb',
  'first/SEN_CANDIDATURAS_2024.csv': '9bb3e13b56a99de683e9bda14a229b62b22db275133d2ace8ebd6fb2add53022',
  'first/json/SEN/nacional.json': '1c0fbf551dd161bce793fe08642def252c48dd2941056bc8296c43af8e28cd75',
  'first/json/SEN/entidad/01.json': '439ac8353ceb6d675a6f1ec1b3bd11e80afbf2ba1213b0133a14995f62bc5eb8',
  'first/json/SEN/distrito/01-001.json': 'af33690b15ad7c04636ec65541b885a9166ca10538f096f213f93d9cbaa072ee',
  'first/json/SEN/distrito/01-002.json': '3cb74869dbb2c5441b8acdbfb69c5eebb9d6d3de6624a7c6f93eaa11c69ea3d7',
  'first/DIP_FED_2024.csv': '41673d3c295fb0c1b2bed0d00cd46f800e1aa52b2098e7de120069cfd3b75b50',
  'first/DIP_FED_CANDIDATURAS_2024.csv': 'eacacc463eb3f8ec21cacbccf41223fe100417ef6f8364e62239e657b79685fe',
  'first/json/DIP_FED/nacional.json': '415fef609fc1fa8ad9167f3a4ecffc7e3dcf13e9db603b21198f7c7f9f4e3e44',
  'first/json/DIP_FED/entidad/01.json': 'ec9ce51289cf8fd4735eb51eb939be17982a66b4e2f43a91c184ee76dd2195ab',
  'first/json/DIP_FED/distrito/01-001.json':
    '868271ba0e6bc90cf050e542995e3c9270ccca3e9d4f968a72f76563b2bdb1db',
  'first/json/DIP_FED/distrito/01-002.json':
    '50f5bca100f715773138945f0892683a30394260a312f1794b88332807111c93',
  'first/json/index.json': 'b10b028dade961f670c42595a3b02064144d68dc79c3264eb6121c4684dce9dd',
  'first/json/historial.json': 'd3f116633b7cf0d27483ac794cde0a08acf1fe68aff6bdda7669188af8df0264',
  'first/json/cambios.json': 'e73a557bbbe2acdf4e88c113bba26c5985b9f613cda9ac5e630feb96b09481eb',
  'first/manifest.json': '116c6d7518b6095c18f54b069f995fcbd9427ded1e86a1a4dc998678119fdb5f',
  'first/manifest.sig': '2685e79f73e6f36db7d71d8793d2995228340e73b0432fc592983490d8a31db5',
  'second.zip': '6206e597c8d8d8b3d98111f6d1a47bfed9e6a3ccaaa47b8564b66c2f429fdcc8',
  'legacy.zip': 'c1b628dab90814d57258dbd821893bdb9d8b3cc878c2834486d5a6d64ed05357',
};
