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
    // The final cut carries the reader's figures: json/reader.json pinned with values too.
    reader: {
      modelSha256: 'ab'.repeat(32),
      confident: 0.995,
      listed: 500,
      figures: {
        actasRead: 3,
        boxesRead: 39,
        readFailures: 1,
        failures: { marks_not_found: 1, decode_error: 0, image_missing: 0, no_layout: 0, reader_error: 0 },
        agreement: {
          actas: 2,
          actasExact: 1,
          boxes: 26,
          boxesRight: 25,
          confidentBoxes: 20,
          confidentRight: 20,
        },
        resolved: {
          actas: 1,
          actasExact: 1,
          boxes: 13,
          boxesRight: 13,
          confidentBoxes: 9,
          confidentRight: 9,
        },
        calibration: [
          { from: 0.9, to: 0.95, boxes: 6, right: 5 },
          { from: 0.995, to: 0.999, boxes: 20, right: 20 },
        ],
        disagreementsTotal: 1,
        disagreements: [
          {
            recordId: '010001B0102',
            actaKey: '010001B0102',
            box: 'vote:PAN',
            read: 117,
            verified: 17,
            confidence: 0.93,
            imageSha256: 'cd'.repeat(32),
            readAt: start + 3600_000,
            by: 'agreement',
          },
        ],
      },
    },
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
  'first.zip': 'ece2d82704120428c6b16e7e435dc3f80c24358d9fd398d921eb2be867fd4c1a',
  'first/LEEME.txt': '380845cb0a883d0c9bb9ab820e6830110ae6a109d27a7aea161dec54c4f92b10',
  'first/PRES_2024.csv': '65f56ebe0840298de72b6d83e5577091e3fecd768426194e980ea78091ad54d0',
  'first/PRES_CANDIDATURAS_2024.csv': '529a4aed0e9f2dfc6196afd8670be856ad344029a612e0d181b6829244a248a7',
  'first/json/PRES/nacional.json': '530c13ca5fd1bf36f9cdf1a5858d6db8573a06dc29c9f2c85b5eca9886cd9705',
  'first/json/PRES/entidad/01.json': '8c31a7e35720952dea2da4eefe1b0148b4bc607897476134029d3faa44326792',
  'first/json/PRES/distrito/01-001.json': 'aa971b34c564477df1dfb254a36c9ea0d0286e003c0e1acee515c115622b817e',
  'first/json/PRES/distrito/01-002.json': '6160c708319d1ef5963e424382f555fc8496f60b35c4f23beb36399082a92c1a',
  'first/SEN_2024.csv': '78fb25b582f343584f75b455c7de09e18cdebdb3d610fb5ad60d5c97e83820bb',
  'first/SEN_CANDIDATURAS_2024.csv': '764df51f4e15de8a819a75aef7bac83a28605c602c6d4dbe4bc82be01eb66101',
  'first/json/SEN/nacional.json': '51a93c45c2dbe32e2d6d9b10f36ea87b11144dd3a955092deb0bb39e0d50f2e1',
  'first/json/SEN/entidad/01.json': '8c11aa7e46f161a3869660a27116e1c18633c0ebb54d2c29206f99f53cbc8d36',
  'first/json/SEN/distrito/01-001.json': '51b08a6a1dc386a93112bb936de76b4d273883c7f2052864e61fe508de8976ac',
  'first/json/SEN/distrito/01-002.json': '83126cb0b02167dddeeb66ece348793c051f129be34af925f2fcc07c6e745f31',
  'first/DIP_FED_2024.csv': '41673d3c295fb0c1b2bed0d00cd46f800e1aa52b2098e7de120069cfd3b75b50',
  'first/DIP_FED_CANDIDATURAS_2024.csv': 'dd58b0a21a9204a3c741061ac647b871e6df9b8578c077aee0c2f81017bbb508',
  'first/json/DIP_FED/nacional.json': '344b38550b36518aaf7ebf7daad396abfcf6ee0cd013c8b0c96c06cf752b2016',
  'first/json/DIP_FED/entidad/01.json': '4577e0a178abee06fe0085bf6661e2a11e1ed5a732b61f02bb5b7d1b50214138',
  'first/json/DIP_FED/distrito/01-001.json':
    '00a1ef15c699651de8ec4fefdc4cc0b95afbfe6884b86829ddd8be567f570b63',
  'first/json/DIP_FED/distrito/01-002.json':
    'c8c0d039e5c9bb9022cc10c48f635bb53764c814bddd11f5d78c0632511aaab3',
  'first/json/index.json': 'b10b028dade961f670c42595a3b02064144d68dc79c3264eb6121c4684dce9dd',
  'first/json/historial.json': 'd3f116633b7cf0d27483ac794cde0a08acf1fe68aff6bdda7669188af8df0264',
  'first/json/cambios.json': 'e73a557bbbe2acdf4e88c113bba26c5985b9f613cda9ac5e630feb96b09481eb',
  // The acta reader's figures (issue 19): a new file of every cut; the CSVs and site files are unchanged.
  'first/json/reader.json': '9c55f652feb9464db12e140c2e0f07f26f764b1f45549aa50b265c736cdd3815',
  'first/manifest.json': '2aebf410ed3afc8c1a9eaae6751ff4cb9b5831a20652f9c3d71c6ab6a13dd496',
  'first/manifest.sig': '57893cc402f297cc9adca7aef5343a22d0f312851ba6119c6cc639ebb545ce27',
  'second.zip': '608939d63ceedd3b72e5864253fc566a1705a3a56457e3fc1098ce1873ef4d21',
  'legacy.zip': 'af39702bbc1e1c957c45eca228b1c9979ef4b1804a01608308181fffc6d251f3',
};
