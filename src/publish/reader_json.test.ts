import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActaRecord } from '../domain/acta_lifecycle.ts';
import { readerFigures } from '../domain/reader_score.ts';
import { schemaFailure } from '../verify/schemas.ts';
import { READER_NOTICE, readerJson } from './reader_json.ts';

const sha = (c: string) => c.repeat(64);

test('json/reader.json matches its published schema, with figures and without, and says the reader publishes nothing', () => {
  const record = {
    recordId: '010001B0102',
    actaKey: '010001B0102',
    submission: { imageSha256: sha('a') },
    published: {
      fields: {
        boletasSobrantes: 10,
        personasVotaron: 20,
        representantesVotaron: 1,
        votosSacados: 21,
        votes: { PAN: 17, NULOS: 'sin_dato' },
        totalAsentado: 21,
      },
      resolvedBy: null,
    },
  } as unknown as ActaRecord;
  const figures = readerFigures({
    readings: [
      {
        recordId: record.recordId,
        imageSha256: sha('a'),
        modelSha256: sha('e'),
        boxes: [
          { key: 'boletasSobrantes', value: 10, confidence: 0.999 },
          { key: 'vote:PAN', value: 117, confidence: 0.97 },
          { key: 'vote:NULOS', value: 'ilegible', confidence: 0.9 },
        ],
        failure: null,
        readAt: Date.UTC(2024, 5, 3, 5),
      },
      {
        recordId: 'X',
        imageSha256: sha('b'),
        modelSha256: sha('e'),
        boxes: [],
        failure: 'decode_error',
        readAt: 1,
      },
    ],
    records: new Map([[record.recordId, record]]),
    confident: 0.995,
    limit: 500,
  });
  for (const report of [null, { modelSha256: sha('e'), confident: 0.995, listed: 500, figures }]) {
    const json = JSON.parse(readerJson({ cutId: 'CUT', report }).toString('utf8')) as Record<string, unknown>;
    assert.equal(schemaFailure('reader', json, 'json/reader.json'), null);
    assert.equal(json['publishesValues'], false);
    assert.equal(json['notice'], READER_NOTICE);
  }
  const json = JSON.parse(
    readerJson({
      cutId: 'CUT',
      report: { modelSha256: sha('e'), confident: 0.995, listed: 500, figures },
    }).toString(),
  ) as { disagreementsTotal: number; disagreements: { box: string; read: unknown; verified: unknown }[] };
  assert.equal(json.disagreementsTotal, 2);
  assert.deepEqual(
    json.disagreements.map((d) => [d.box, d.read, d.verified]),
    [
      ['vote:NULOS', 'ilegible', 'sin_dato'],
      ['vote:PAN', 117, 17],
    ],
  );
  // A field the format does not have is refused by the schema.
  assert.notEqual(schemaFailure('reader', { ...json, extra: 1 }, 'json/reader.json'), null);
});
