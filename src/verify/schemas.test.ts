/**
 * The published JSON Schemas (docs/schemas/) against the real thing: every JSON file the
 * builder publishes must match them, they must compile as strict draft 2020-12, the election
 * definition's schema must agree with the parser, and `openprep verify` must fail the named
 * check — never crash — when a key holder publishes a file of another shape.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildNight } from '../../tools/conformance.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { parseElectionDefinition, serializeElectionDefinition } from '../domain/election_definition.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { verifierKeyText } from '../journal/keys.ts';
import { testSigner } from '../journal/test_keys.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import {
  BASICA,
  CONTEST,
  CONTIGUA,
  ELECTION,
  ESPECIAL,
  EXTRAORDINARIA,
  fields,
  published,
} from '../test/fixtures.ts';
import { writeFirstCut } from '../test/first_cut.ts';
import { type ManifestJson, resignCut, sha256Hex, signLatest } from '../test/resigned_cut.ts';
import {
  newAjv,
  readSchema,
  SCHEMA_FILES,
  SCHEMA_TARGETS,
  type SchemaTarget,
  schemaFailure,
  siteSchemaTarget,
} from './schemas.ts';
import { type VerifyReport, verifyCut } from './verify.ts';

const signer = testSigner('openprep.TEST2024.simulacro');
const key = verifierKeyText(signer);
const CUT_TIME = Date.parse('2024-06-03T05:00:00.000Z');
let work: string;
let root: string; // the honest cuts root: catalogo/, one cut, latest.json
let cutId: string;

const failedIds = (report: VerifyReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
const detail = (report: VerifyReport, id: string) => report.checks.find((c) => c.id === id)?.detail ?? '';

async function listFiles(folder: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(folder, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(folder, child)));
    else out.push(child);
  }
  return out;
}

/** The schema a published file of the cuts root is checked against, or null for a non-JSON file. */
function targetOf(relative: string): SchemaTarget | null {
  if (relative === 'latest.json') return 'latest';
  if (/^catalogo\/ELECCION_.*\.json$/.test(relative)) return 'election';
  const inCut = relative.replace(/^[0-9]{8}_[0-9]{4}\//, '');
  if (inCut === 'manifest.json') return 'manifest';
  if (inCut.endsWith('.json')) {
    const site = siteSchemaTarget(inCut);
    assert.ok(site !== null, `${relative} is JSON the schemas do not describe`);
    return site;
  }
  return null;
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-schemas-'));
  root = path.join(work, 'honest');
  ({ cutId } = await writeFirstCut({
    cutsRoot: root,
    // Every kind of row: counted, a coalition in one distrito only, special, sin acta, fuera de catálogo.
    actas: [
      published(BASICA, fields(BASICA, [0, 20, 5, 1, 4])),
      published(CONTIGUA, fields(CONTIGUA, [7, 8, 0, 3, 1])),
      published(EXTRAORDINARIA, fields(EXTRAORDINARIA, [10, 0, 2, 3])),
      published(ESPECIAL, fields(ESPECIAL, [1, 2, 0, 0])),
      published(ESPECIAL, null, { tipoActa: '04', sinActaReason: 'CASILLA_NO_INSTALADA' }),
      published(null, fields(BASICA, [1, 2, 3, 0, 0])),
    ],
    cutTime: CUT_TIME,
    signer,
  }));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

let copies = 0;
/** A fresh copy of the honest cuts root; returns the cut folder. */
async function copyCut(): Promise<string> {
  const copyRoot = path.join(work, `copy-${++copies}`);
  await cp(root, copyRoot, { recursive: true });
  return path.join(copyRoot, cutId);
}

/** As the key holder: edits files and the manifest, re-signs, and moves latest.json to the new manifest. */
async function publishTampered(
  folder: string,
  edits: Parameters<typeof resignCut>[2],
): Promise<VerifyReport> {
  await resignCut(folder, signer, edits);
  const manifest = await readFile(path.join(folder, 'manifest.json'));
  const latest = Buffer.from(
    stableJson({
      cut: cutId,
      manifestSha256: sha256Hex(manifest),
      time: formatIsoLocal(CUT_TIME, ELECTION.utcOffsetMinutes),
    }),
  );
  await writeFile(path.join(folder, '..', 'latest.json'), latest);
  await writeFile(path.join(folder, '..', 'latest.sig'), signLatest(latest, cutId, signer));
  return verifyCut({ cut: folder, publicKey: key });
}

async function readJson(file: string): Promise<ManifestJson> {
  return JSON.parse(await readFile(file, 'utf8'));
}

const siteJson = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);

describe('the schemas themselves', () => {
  test('every schema is draft 2020-12 and compiles in ajv strict mode, each $defs entry the verifier uses too', () => {
    for (const file of SCHEMA_FILES) {
      const schema = readSchema(file);
      assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema', file);
      assert.equal(schema['$id'], `https://openprep.example/schemas/${file}`, file);
    }
    // newAjv is strict: an unknown keyword, a keyword on a type it cannot apply to, a `required`
    // property no `properties` names, or a bad regular expression throws while compiling.
    const ajv = newAjv();
    for (const file of SCHEMA_FILES) assert.ok(ajv.getSchema(`https://openprep.example/schemas/${file}`));
    for (const target of Object.values(SCHEMA_TARGETS))
      assert.ok(ajv.getSchema(`https://openprep.example/schemas/${target}`), target);
  });

  test('every field of every schema says what it is', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string, defs: Record<string, { description?: string }>): void => {
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
      for (const [name, property] of Object.entries(properties ?? {})) {
        if (typeof property !== 'object') continue; // a boolean schema
        const ref = typeof property['$ref'] === 'string' ? property['$ref'].replace('#/$defs/', '') : null;
        if (property['description'] === undefined && (ref === null || defs[ref]?.description === undefined))
          missing.push(`${where}/properties/${name}`);
      }
      for (const [keyword, child] of Object.entries(schema)) {
        // Conditions restate fields described where they are declared.
        if (['if', 'then', 'else', 'allOf'].includes(keyword)) continue;
        if (Array.isArray(child))
          for (const [i, c] of child.entries()) walk(c, `${where}/${keyword}/${i}`, defs);
        else if (typeof child === 'object') walk(child, `${where}/${keyword}`, defs);
      }
    };
    for (const file of SCHEMA_FILES) {
      const schema = readSchema(file);
      walk(schema, file, (schema['$defs'] ?? {}) as Record<string, { description?: string }>);
    }
    assert.deepEqual(missing, []);
  });
});

describe('every JSON file a built cut publishes matches its schema', () => {
  test('the fixture cut written to disk: manifest, site JSON, election definition, latest.json', async () => {
    const cutsRoot = path.dirname(path.join(root, cutId));
    const files = await listFiles(cutsRoot);
    const checked: string[] = [];
    const rootSite = newAjv().getSchema('https://openprep.example/schemas/site.schema.json')!;
    for (const relative of files) {
      const target = targetOf(relative);
      if (target === null) continue;
      const json = await readJson(path.join(cutsRoot, relative));
      assert.equal(schemaFailure(target, json, relative), null);
      // The root of site.schema.json tells the kinds apart by `level` and accepts each.
      if (target.startsWith('site-'))
        assert.ok(rootSite(json), `${relative}: ${JSON.stringify(rootSite.errors)}`);
      checked.push(target);
    }
    for (const target of Object.keys(SCHEMA_TARGETS))
      assert.ok(checked.includes(target), `no ${target} file`);
  });

  test("the conformance night's two cuts (three contests, coalitions by scope, a previous cut)", async () => {
    const night = await buildNight();
    assert.equal(
      schemaFailure('election', JSON.parse(night.electionJson.toString('utf8')), 'ELECCION'),
      null,
    );
    let count = 0;
    for (const cut of [night.first, night.second])
      for (const [relative, data] of cut.files) {
        const target = relative === 'manifest.json' ? 'manifest' : siteSchemaTarget(relative);
        if (target === null) continue;
        assert.equal(schemaFailure(target, JSON.parse(data.toString('utf8')), relative), null);
        count++;
      }
    assert.ok(count > 20, `${count} files`);
    const second = JSON.parse(night.second.files.get('manifest.json')!.toString('utf8'));
    assert.ok(second.previous !== null && second.journal.consistencyProof.length > 0);
  });
});

describe('openprep verify fails the named check on a file of another shape, re-signed', () => {
  test('a manifest with an extra field: V03, naming the field', async () => {
    const report = await publishTampered(await copyCut(), {
      editManifest: (m) => {
        m.cut.note = 'added';
      },
    });
    assert.deepEqual(failedIds(report), ['V03']);
    assert.match(
      detail(report, 'V03'),
      /manifest\.json does not match manifest\.schema\.json: \/cut has a field the format does not have: "note"/,
    );
  });

  test('a manifest whose timeUtc is not the format: V03 names /cut/timeUtc, and every other check still runs', async () => {
    const report = await publishTampered(await copyCut(), {
      editManifest: (m) => {
        // The same instant (the CSV's cut line still agrees), but not as toISOString writes it.
        m.cut.timeUtc = '2024-06-03T05:00:00Z';
      },
    });
    assert.deepEqual(failedIds(report), ['V03']);
    assert.match(detail(report, 'V03'), /\/cut\/timeUtc is "2024-06-03T05:00:00Z", which does not match/);
    assert.equal(report.checks.find((c) => c.id === 'V10')?.status, 'pass');
  });

  test("a distrito file whose level is not its path's: V10, naming file and pointer", async () => {
    const folder = await copyCut();
    const file = `json/${CONTEST.id}/distrito/01-001.json`;
    const value = await readJson(path.join(folder, file));
    value.level = 'entidad';
    const report = await publishTampered(folder, { files: { [file]: siteJson(value) } });
    assert.deepEqual(failedIds(report), ['V10']);
    assert.match(
      detail(report, 'V10'),
      /json\/DIP_FED\/distrito\/01-001\.json does not match site\.schema\.json#\/\$defs\/distrito: \/level must be "distrito", not "entidad"/,
    );
  });

  test('a number published as text (which a comparison by String() let through): V10', async () => {
    const folder = await copyCut();
    const file = `json/${CONTEST.id}/nacional.json`;
    const value = await readJson(path.join(folder, file));
    value.aggregates.ACTAS_ESPERADAS = String(value.aggregates.ACTAS_ESPERADAS);
    const distritoFile = `json/${CONTEST.id}/distrito/01-002.json`;
    const distrito = await readJson(path.join(folder, distritoFile));
    distrito.secciones[0].seccion = String(distrito.secciones[0].seccion).padStart(4, '0');
    const report = await publishTampered(folder, {
      files: { [file]: siteJson(value), [distritoFile]: siteJson(distrito) },
    });
    assert.deepEqual(failedIds(report), ['V10']);
    assert.match(
      detail(report, 'V10'),
      /nacional\.json .*\/aggregates\/ACTAS_ESPERADAS must be integer, not "/,
    );
    assert.match(detail(report, 'V10'), /01-002\.json .*\/secciones\/0\/seccion must be integer, not "0/);
  });

  test('site files that are not JSON, or JSON of another kind, fail V10 without stopping the check', async () => {
    const folder = await copyCut();
    const report = await publishTampered(folder, {
      files: {
        [`json/${CONTEST.id}/nacional.json`]: Buffer.from('{"contest": '),
        [`json/${CONTEST.id}/entidad/01.json`]: Buffer.from('null\n'),
        [`json/${CONTEST.id}/distrito/01-001.json`]: Buffer.from('[1, 2]\n'),
        'json/index.json': siteJson({
          ...(await readJson(path.join(folder, 'json/index.json'))),
          generator: 'x',
        }),
      },
    });
    assert.deepEqual(failedIds(report), ['V10']);
    const v10 = detail(report, 'V10');
    assert.match(v10, /nacional\.json is not JSON/);
    assert.match(
      v10,
      /entidad\/01\.json does not match site\.schema\.json#\/\$defs\/entidad: \/ must be object, not null/,
    );
    assert.match(v10, /distrito\/01-001\.json does not match .*: \/ must be object, not \[1,2\]/);
    assert.match(
      v10,
      /json\/index\.json does not match site\.schema\.json#\/\$defs\/index: \/ has a field the format does not have: "generator"/,
    );
  });

  test('an election definition missing a required field: V11, naming it', async () => {
    const folder = await copyCut();
    const electionFile = path.join(folder, '..', 'catalogo', `ELECCION_${ELECTION.id}.json`);
    const definition = await readJson(electionFile);
    delete definition.cutIntervalMinutes;
    definition.contests[0].columns[0].parties = ['PRI'];
    const bytes = Buffer.from(stableJson(definition));
    await writeFile(electionFile, bytes);
    const report = await publishTampered(folder, {
      editManifest: (m) => {
        m.catalog.electionSha256 = sha256Hex(bytes);
      },
    });
    assert.ok(failedIds(report).includes('V11'), JSON.stringify(report.checks));
    assert.match(
      detail(report, 'V11'),
      /ELECCION_TEST2024\.json does not match election\.schema\.json: \/ lacks "cutIntervalMinutes"; \/contests\/0\/columns\/0\/parties is not allowed here/,
    );
    assert.ok(!failedIds(report).includes('V07') && !failedIds(report).includes('V03'));
  });

  test('latest.json with a field of its own, signed by the key holder: V16', async () => {
    const folder = await copyCut();
    const latestFile = path.join(folder, '..', 'latest.json');
    const latest = Buffer.from(stableJson({ ...(await readJson(latestFile)), next: null }));
    await writeFile(latestFile, latest);
    await writeFile(path.join(folder, '..', 'latest.sig'), signLatest(latest, cutId, signer));
    const report = await verifyCut({ cut: folder, publicKey: key });
    assert.deepEqual(failedIds(report), ['V16']);
    assert.match(
      detail(report, 'V16'),
      /latest\.json does not match latest\.schema\.json: \/ has a field the format does not have: "next"/,
    );
  });
});

describe('the election definition: its schema and parseElectionDefinition agree', () => {
  const catalog = generateCatalog({ scale: 'tiny', seed: 7 });
  const base = defaultElectionDefinition(catalog, { mode: 'simulacro' });
  const valid = (json: unknown) => schemaFailure('election', json, 'ELECCION') === null;
  const parses = (json: unknown) => parseElectionDefinition(json).ok;
  const edited = (edit: (d: ManifestJson) => void): unknown => {
    const copy = JSON.parse(serializeElectionDefinition(base));
    edit(copy);
    return copy;
  };
  const column = (d: ManifestJson, id: string) =>
    d.contests
      .flatMap((c: ElectionDefinition['contests'][number]) => c.columns)
      .find((c: { id: string }) => c.id === id);

  test('the default definitions, live and drill, and the fixtures, pass both', () => {
    for (const definition of [
      base,
      defaultElectionDefinition(catalog, { mode: 'live', id: 'PEF2030', year: 2030 }),
      defaultElectionDefinition(generateCatalog({ scale: 'state', seed: 1 }), { mode: 'simulacro' }),
      ELECTION,
    ]) {
      const json = JSON.parse(serializeElectionDefinition(definition));
      assert.equal(schemaFailure('election', json, 'ELECCION'), null);
      assert.ok(parses(json));
    }
    assert.ok(
      base.contests.some((c) => c.columns.some((col) => col.scope !== undefined)),
      'no scope tried',
    );
  });

  const shapeErrors: [string, (d: ManifestJson) => void][] = [
    ['a required field missing', (d) => delete d.publicationHours],
    ['a field of its own', (d) => (d.comment = 'x')],
    ['the year as text', (d) => (d.year = '2024')],
    ['cuts 30 minutes apart', (d) => (d.cutIntervalMinutes = 30)],
    ['an id in lowercase', (d) => (d.id = 'pef2024')],
    ['publication starting on 30 February', (d) => (d.publicationStart = '2024-02-30T02:00:00Z')],
    ['publication start without seconds', (d) => (d.publicationStart = '2024-06-03T02:00Z')],
    ['no contests', (d) => (d.contests = [])],
    ['a column of an unknown kind', (d) => (d.contests[0].columns[0].kind = 'alliance')],
    ['an acta type code of six characters', (d) => (d.contests[0].actaTypes[0].code = '010203')],
    ['a casilla type repeated', (d) => (d.contests[0].actaTypes[0].casillaTypes = ['B', 'B'])],
    ['parties on a party column', (d) => (column(d, 'PAN').parties = ['PRI', 'PRD'])],
    ['a coalition without parties', (d) => delete column(d, 'PAN_PRI').parties],
    ['a coalition of one party', (d) => (column(d, 'PAN_PRI').parties = ['PAN'])],
    ['a scope on NULOS', (d) => (column(d, 'NULOS').scope = { entidades: [1] })],
    ['an empty scope', (d) => (column(d, 'PAN_PRI').scope = {})],
    ['entidad 33 in a scope', (d) => (column(d, 'PAN_PRI').scope = { entidades: [33] })],
    ['distrito 100 in a scope', (d) => (column(d, 'PAN_PRI').scope = { distritos: ['01-100'] })],
    ['an entidad repeated in a scope', (d) => (column(d, 'PAN_PRI').scope = { entidades: [1, 1] })],
  ];
  for (const [what, edit] of shapeErrors)
    test(`${what}: both refuse`, () => {
      const json = edited(edit);
      assert.equal(valid(json), false, `the schema accepts ${what}`);
      assert.equal(parses(json), false, `the parser accepts ${what}`);
    });

  // What the schema cannot say (it names them in its description): the parser alone refuses.
  const crossField: [string, (d: ManifestJson) => void][] = [
    ['a column id twice', (d) => d.contests[0].columns.splice(1, 0, { ...d.contests[0].columns[0] })],
    ['NULOS not last', (d) => d.contests[0].columns.reverse()],
    ['a fixed CSV column as a vote column', (d) => (column(d, 'MC').id = 'SECCION')],
    ['a coalition of a party not in the contest', (d) => (column(d, 'PAN_PRI').parties = ['PAN', 'XYZ'])],
    [
      'a TIPO_ACTA code in two contests',
      (d) => (d.contests[1].actaTypes[0].code = d.contests[0].actaTypes[0].code),
    ],
  ];
  for (const [what, edit] of crossField)
    test(`${what}: the schema's shape allows it, the parser refuses`, () => {
      const json = edited(edit);
      assert.equal(valid(json), true);
      assert.equal(parses(json), false);
    });
});
