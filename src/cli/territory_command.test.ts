import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeEntry } from '../journal/entries.ts';
import { openCenter } from '../center/node.ts';
import { initCenterWithCli, runCli } from '../test/center_process.ts';

let work: string;
let data: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-territory-cli-'));
  data = await initCenterWithCli(work, 1);
});

after(() => rm(work, { recursive: true, force: true }));

describe('openprep territory', () => {
  test('import: problems with file, line and column and nothing declared; then a good file, listed and journaled', async () => {
    const bad = path.join(work, 'bad.csv');
    await writeFile(
      bad,
      'UNIDAD,TIPO_UNIDAD,ID_ENTIDAD,ID_DISTRITO_FEDERAL,CLAVE_CASILLA\nCATD-01,CATD,1,7,\nCAE-1,CAE,1,1,\n',
    );
    const refused = await runCli(['territory', 'import', bad, '--data', data]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /nothing was imported/);
    assert.match(
      refused.stderr,
      /bad\.csv:2 column ID_DISTRITO_FEDERAL: distrito 7 of entidad 1 is not in the catalog/,
    );
    assert.match(refused.stderr, /bad\.csv:3 column CLAVE_CASILLA: a CAE is assigned casillas/);
    assert.equal((await runCli(['territory', 'list', '--data', data])).stdout, '');

    const enrolled = await runCli([
      'device',
      'enroll',
      '--data',
      data,
      '--id',
      'CATD-02-S1',
      '--origin',
      'CATD',
      '--bound-to',
      'CATD-02',
      '--generate-key',
      path.join(work, 's1.key'),
    ]);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(enrolled.stderr, /CATD-02 has no declared territory yet/);

    const good = path.join(work, 'good.csv');
    await writeFile(
      good,
      'UNIDAD,TIPO_UNIDAD,ID_ENTIDAD,ID_DISTRITO_FEDERAL,CLAVE_CASILLA\nCATD-01,CATD,1,1,\nCAE-1,CAE,,,010001B0100\n',
    );
    const imported = await runCli(['territory', 'import', good, '--data', data]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /territory of 2 units declared \(1 distritos, 1 casillas\)/);
    assert.match(imported.stderr, /warning: 1 active device\(s\).*CATD-02-S1 \(CATD-02\)/);
    assert.equal(
      (await runCli(['territory', 'list', '--data', data])).stdout,
      'CAE-1\tCAE\tcasilla\t010001B0100\nCATD-01\tCATD\tdistrito\t01-001\n',
    );
    const node = await openCenter({ root: data, clock: Date.now });
    assert.ok(node.ok);
    try {
      const store = node.value.journal;
      const head = await store.journalHead();
      const last = decodeEntry((await store.journalEntries(head.size - 1, head.size))[0]!);
      assert.ok(last.ok);
      assert.equal(last.value.type, 'TERRITORY_DECLARED');
      assert.equal(last.value['assignments'], 2);
      assert.match(String(last.value['territorySha256']), /^[0-9a-f]{64}$/);
    } finally {
      await node.value.close();
    }
  });
});
