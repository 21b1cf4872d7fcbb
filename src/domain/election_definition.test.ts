import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { distritoKey } from './catalog.ts';
import { columnApplies, type ElectionDefinition } from './election.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import {
  countActasEsperadas,
  electionDefinitionProblems,
  parseElectionDefinition,
  READER_DEFAULTS,
  serializeElectionDefinition,
} from './election_definition.ts';
import { defaultElectionDefinition, TIPO_ACTA } from '../sim/default_election.ts';

const tiny = generateCatalog({ scale: 'tiny', seed: 1 });
const national = generateCatalog({ scale: 'national', seed: 1 });

/** A deep, mutable copy for building invalid documents. */
// biome-ignore lint/suspicious/noExplicitAny: the tests write deliberately ill-typed documents
function copy(definition: ElectionDefinition): any {
  return JSON.parse(JSON.stringify(definition));
}

function rejection(json: unknown, catalog = tiny): string {
  const result = parseElectionDefinition(json, { catalog });
  if (result.ok) assert.fail('expected the definition to be rejected');
  assert.equal(result.code, 'election-invalid');
  return result.message;
}

describe('defaultElectionDefinition', () => {
  const definition = defaultElectionDefinition(national, { mode: 'simulacro' });

  test('the 2024 federal election', () => {
    assert.equal(definition.id, 'PEF2024');
    assert.equal(definition.name, 'Proceso Electoral Federal 2023-2024');
    assert.equal(definition.year, 2024);
    assert.equal(definition.mode, 'simulacro');
    assert.equal(definition.publicationStart, '2024-06-03T02:00:00.000Z');
    assert.equal(definition.publicationHours, 24);
    assert.equal(definition.utcOffsetMinutes, -360);
    assert.equal(definition.cutIntervalMinutes, 5);
    assert.deepEqual(
      definition.contests.map((c) => [c.id, c.title]),
      [
        ['PRES', 'PRESIDENCIA DE LA REPÚBLICA'],
        ['SEN', 'SENADURÍAS'],
        ['DIP_FED', 'DIPUTACIONES FEDERALES'],
      ],
    );
    assert.deepEqual(
      definition.contests.map((c) => c.actaTypes.map((a) => [a.code, a.label, a.casillaTypes.join('')])),
      [
        [['01', 'MR', 'BCES']],
        [['02', 'MR', 'BCES']],
        [
          ['03', 'MR', 'BCES'],
          ['04', 'RP', 'S'],
        ],
      ],
    );
    assert.equal(TIPO_ACTA.DIP_FED_RP, '04');
  });

  test('options: live mode, id and year', () => {
    const live = defaultElectionDefinition(tiny, { mode: 'live', id: 'PEF2030', year: 2030 });
    assert.deepEqual(
      [live.mode, live.id, live.year, live.name],
      ['live', 'PEF2030', 2030, 'Proceso Electoral Federal 2029-2030'],
    );
  });

  test('parties, coalition combinations, NO_REGISTRADAS and NULOS last', () => {
    const pres = definition.contests[0]!;
    assert.deepEqual(
      pres.columns.map((c) => c.id),
      [
        'PAN',
        'PRI',
        'PRD',
        'PVEM',
        'PT',
        'MC',
        'MORENA',
        'PAN_PRI_PRD',
        'PAN_PRI',
        'PAN_PRD',
        'PRI_PRD',
        'PVEM_PT_MORENA',
        'PVEM_PT',
        'PVEM_MORENA',
        'PT_MORENA',
        'NO_REGISTRADAS',
        'NULOS',
      ],
    );
    assert.deepEqual(pres.columns.find((c) => c.id === 'PVEM_PT_MORENA')?.parties, ['PVEM', 'PT', 'MORENA']);
    assert.ok(pres.columns.every((c) => c.scope === undefined));
    for (const contest of definition.contests) {
      assert.deepEqual(
        contest.columns.slice(-2).map((c) => [c.id, c.kind]),
        [
          ['NO_REGISTRADAS', 'no_registradas'],
          ['NULOS', 'nulos'],
        ],
      );
    }
  });

  test('senate and deputy coalitions apply in some places only; an independent in a few distritos', () => {
    const [, sen, dip] = definition.contests;
    const senScoped = sen!.columns.filter((c) => c.scope !== undefined);
    assert.deepEqual(
      senScoped.map((c) => c.id),
      ['PVEM_PT_MORENA', 'PVEM_PT', 'PVEM_MORENA', 'PT_MORENA'],
    );
    assert.equal(senScoped[0]!.scope?.entidades?.length, 28);
    const keys = national.distritos.map((d) => distritoKey(d.entidad, d.id));
    const where = (id: string) =>
      keys.filter((k) => columnApplies(dip!.columns.find((c) => c.id === id)!, Number(k.slice(0, 2)), k));
    assert.equal(where('PAN_PRI_PRD').length, 270);
    assert.equal(where('PVEM_PT_MORENA').length, 250);
    assert.deepEqual(where('CAND_IND_1'), ['01-001', '13-004', '20-004']); // distritos 1, 101 and 201
  });

  test('deterministic', () => {
    assert.deepEqual(defaultElectionDefinition(national, { mode: 'simulacro' }), definition);
  });

  test('national actas esperadas ≈ 515,000: 3 per casilla plus the RP acta of each special', () => {
    const specials = national.casillas.filter((c) => c.tipo === 'S').length;
    const { total, byContest } = countActasEsperadas(national, definition);
    assert.deepEqual(byContest, { PRES: 170_648, SEN: 170_648, DIP_FED: 170_648 + specials });
    assert.equal(total, 170_648 * 3 + specials);
    assert.ok(total > 512_000 && total < 516_000, `${total}`);
  });

  test('the tiny catalog still has scoped columns', () => {
    const tinyDefinition = defaultElectionDefinition(tiny, { mode: 'simulacro' });
    const dip = tinyDefinition.contests[2]!;
    assert.deepEqual(dip.columns.find((c) => c.id === 'CAND_IND_1')?.scope, { distritos: ['01-001'] });
    assert.deepEqual(dip.columns.find((c) => c.id === 'PT_MORENA')?.scope, { distritos: ['01-001'] });
    assert.equal(
      countActasEsperadas(tiny, tinyDefinition).total,
      40 * 3 + tiny.casillas.filter((c) => c.tipo === 'S').length,
    );
  });
});

describe('parseElectionDefinition', () => {
  const definition = defaultElectionDefinition(tiny, { mode: 'simulacro' });

  test('reads back what serializeElectionDefinition writes', () => {
    const text = serializeElectionDefinition(definition);
    assert.ok(text.endsWith('}\n'));
    assert.ok(text.indexOf('"contests"') < text.indexOf('"cutIntervalMinutes"'), 'keys sorted');
    const result = parseElectionDefinition(JSON.parse(text), { catalog: tiny });
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(result.value, definition);
    assert.deepEqual(electionDefinitionProblems(definition), []);
  });

  test('the national default is valid against its catalog', () => {
    const result = parseElectionDefinition(copy(defaultElectionDefinition(national, { mode: 'live' })), {
      catalog: national,
    });
    assert.ok(result.ok, result.ok ? '' : result.message);
  });

  test('shape errors name the path', () => {
    const doc = copy(definition);
    doc.mode = 'drill';
    doc.contests[0].actaTypes[0].code = '1-A';
    doc.extra = true;
    const message = rejection(doc);
    assert.match(message, /mode: /);
    assert.match(message, /contests\.0\.actaTypes\.0\.code: must be 1 to 5 digits or capital letters/);
    assert.match(message, /Unrecognized key/);
    assert.match(rejection('not an object'), /\(root\)/);
  });

  test('contest ids and TIPO_ACTA codes are unique', () => {
    const doc = copy(definition);
    doc.contests[1].id = 'PRES';
    doc.contests[1].actaTypes[0].code = '01';
    const message = rejection(doc);
    assert.match(message, /contest PRES appears twice/);
    assert.match(message, /TIPO_ACTA 01 is used twice/);
  });

  test('column ids are unique and not fixed CSV columns', () => {
    const doc = copy(definition);
    doc.contests[0].columns[1].id = 'PAN';
    doc.contests[0].columns[2].id = 'LISTA_NOMINAL';
    const message = rejection(doc);
    assert.match(message, /column PAN appears twice/);
    assert.match(message, /LISTA_NOMINAL is a fixed column of the results CSV/);
  });

  test('NO_REGISTRADAS then NULOS come last', () => {
    const doc = copy(definition);
    const columns = doc.contests[0].columns;
    columns.push(columns.shift());
    assert.match(rejection(doc), /the last column must be NULOS/);
    const swapped = copy(definition);
    const cols = swapped.contests[0].columns;
    [cols[cols.length - 1], cols[cols.length - 2]] = [cols[cols.length - 2], cols[cols.length - 1]];
    assert.match(rejection(swapped), /second-last column must be NO_REGISTRADAS/);
  });

  test('coalitions combine parties of the contest', () => {
    const doc = copy(definition);
    const coalition = doc.contests[0].columns.find((c: { id: string }) => c.id === 'PAN_PRI');
    coalition.parties = ['PAN', 'XYZ'];
    doc.contests[0].columns[0].parties = ['PAN'];
    const message = rejection(doc);
    assert.match(message, /party XYZ is not a party column of this contest/);
    assert.match(message, /only coalition columns list parties/);
  });

  test('scopes name entidades and distritos of the catalog', () => {
    const doc = copy(definition);
    const dip = doc.contests[2].columns;
    dip.find((c: { id: string }) => c.id === 'CAND_IND_1').scope = { distritos: ['01-009', '01-000'] };
    dip.find((c: { id: string }) => c.id === 'PT_MORENA').scope = { entidades: [5] };
    dip.find((c: { id: string }) => c.id === 'NULOS').scope = { entidades: [1] };
    const message = rejection(doc);
    assert.match(message, /distrito 01-009 is not in the catalog/);
    assert.match(message, /distrito "01-000" is not a valid EE-DDD key/);
    assert.match(message, /entidad 5 is not in the catalog/);
    assert.match(message, /nulos applies everywhere and cannot have a scope/);
    const bad = copy(definition);
    bad.contests[2].columns[0].scope = { distritos: ['1-1'] };
    assert.match(rejection(bad), /must be "EE-DDD"/);
  });

  test('at least three cuts an hour', () => {
    const doc = copy(definition);
    doc.cutIntervalMinutes = 30;
    assert.match(rejection(doc), /cutIntervalMinutes/);
  });

  test('colours: #RRGGBB, on parties and independents only, never shared', () => {
    const doc = copy(definition);
    const lower = copy(definition);
    lower.contests[0].columns[0].color = '#00539f';
    assert.match(rejection(lower), /columns\.0\.color: must be #RRGGBB/);
    doc.contests[0].columns[2].color = doc.contests[0].columns[1].color;
    doc.contests[0].columns.at(-1).color = '#777777';
    const message = rejection(doc);
    assert.match(message, /colour #008C45 is given to two columns/);
    assert.match(message, /\(NULOS\): only party and independent columns have a colour/);
  });

  test('candidaturas name their candidate once and join party or independent columns', () => {
    const doc = copy(definition);
    const [fuerza, sigamos, mc] = doc.contests[0].candidaturas;
    fuerza.candidates = { '01': 'Nadie' };
    sigamos.columns = ['PVEM', 'PT', 'MORENA', 'PT_MORENA'];
    mc.id = 'FCM';
    const message = rejection(doc);
    assert.match(message, /\(FCM\): give either "candidate" \(everywhere\) or "candidates"/);
    assert.match(message, /\(SHH\): PT_MORENA is not a party or independent column/);
    assert.match(message, /candidatura FCM appears twice/);
  });

  test('on every ballot each column counts toward exactly one candidatura', () => {
    const doc = copy(defaultElectionDefinition(national, { mode: 'simulacro' }));
    const deputies = doc.contests[2];
    // PAN's own candidatura now also runs where Fuerza y Corazón does; PT's runs nowhere.
    const pan = deputies.candidaturas.find((c: { id: string }) => c.id === 'PAN');
    pan.candidates = Object.fromEntries(
      national.distritos.map((d) => [distritoKey(d.entidad, d.id), 'Alguien']),
    );
    deputies.candidaturas = deputies.candidaturas.filter((c: { id: string }) => c.id !== 'PT');
    const message = rejection(doc, national);
    assert.match(message, /column PAN counts toward FCM and PAN in distrito 01-001 and 269 more/);
    assert.match(message, /column PT counts toward no candidatura in distrito 01-002 and 49 more/);
    // A coalition candidatura where its coalition is not on the ballot.
    const sen = copy(defaultElectionDefinition(national, { mode: 'simulacro' }));
    const shh = sen.contests[1].candidaturas.find((c: { id: string }) => c.id === 'SHH');
    shh.candidates['08'] = 'Alguien';
    assert.match(
      rejection(sen, national),
      /candidatura SHH runs where no coalition of its parties is on the ballot/,
    );
  });
});

describe('witnesses', () => {
  const base = defaultElectionDefinition(tiny, { mode: 'simulacro' });
  const key = (name: string) => `${name}+82bca4dd+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea`;

  test('absent: none; present: keys, required and the wait are kept', () => {
    assert.equal(base.witnesses, undefined);
    const json = { ...copy(base), witnesses: { keys: [key('a'), key('b')], required: 2, waitSeconds: 30 } };
    const parsed = parseElectionDefinition(json, { catalog: tiny });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.deepEqual(parsed.value.witnesses, json.witnesses);
    assert.match(serializeElectionDefinition(parsed.value), /"required": 2/);
  });

  test('refused: more required than listed, a name twice, a key of another shape, a long wait', () => {
    const with_ = (witnesses: unknown) => ({ ...copy(base), witnesses });
    assert.match(
      rejection(with_({ keys: [key('a')], required: 2, waitSeconds: 5 })),
      /2 cosignatures required of 1/,
    );
    assert.match(
      rejection(with_({ keys: [key('a'), key('a')], required: 1, waitSeconds: 5 })),
      /a is listed twice/,
    );
    assert.match(
      rejection(with_({ keys: ['a+zz+AAAA'], required: 1, waitSeconds: 5 })),
      /witnesses\.keys\.0/,
    );
    assert.match(rejection(with_({ keys: [key('a')], required: 1, waitSeconds: 3600 })), /waitSeconds/);
    assert.match(rejection(with_({ keys: [key('a')], required: 1 })), /waitSeconds/);
  });
});

describe('reader', () => {
  const base = defaultElectionDefinition(tiny, { mode: 'simulacro' });

  test('absent: shadow; given: kept, with the defaults filled in', () => {
    assert.equal(base.reader, undefined);
    const json = { ...copy(base), reader: { mode: 'assist', window: 50 } };
    const parsed = parseElectionDefinition(json, { catalog: tiny });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.deepEqual(parsed.value.reader, { ...READER_DEFAULTS, mode: 'assist', window: 50 });
    const again = parseElectionDefinition(JSON.parse(serializeElectionDefinition(parsed.value)), {
      catalog: tiny,
    });
    assert.ok(again.ok);
    assert.deepEqual(again.value.reader, parsed.value.reader);
  });

  test('refused: another mode, a threshold above 1, an empty window, an unknown key', () => {
    const with_ = (reader: unknown) => ({ ...copy(base), reader });
    assert.match(rejection(with_({ mode: 'publish' })), /reader\.mode/);
    assert.match(rejection(with_({ agreementThreshold: 1.5 })), /reader\.agreementThreshold/);
    assert.match(rejection(with_({ window: 0 })), /reader\.window/);
    assert.match(rejection(with_({ mode: 'assist', alone: true })), /reader/);
  });
});
