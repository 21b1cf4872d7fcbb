/**
 * Decoys, canaries and the leak check end to end: the real `openprep` commands on a real
 * center's data folder, sign-ins and packages over real HTTP to a real server on the same
 * store, and the journal they leave.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { CenterNode } from '../center/node.ts';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { readEntry } from '../journal/entries.ts';
import type { JournalEntry } from '../journal/entry_types.ts';
import { typedJournal } from '../test/journal.ts';
import { makeDevice, makePng, packageFor, postPackageRaw } from '../test/packages.ts';
import { PASSWORD, type ServedCenter, startServedCenter, tinySimulacro } from '../test/served_center.ts';
import { DECOY_REPEAT_MS } from './tripwire.ts';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'openprep.js');
const { catalog, election } = tinySimulacro(5);
let now = Date.parse(election.publicationStart) + 3_600_000;
const clock = () => now;

let center: ServedCenter;
let work: string;
let node: CenterNode;
let base: string;

async function openprep(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args, '--data', work]);
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function journal(): Promise<JournalEntry[]> {
  const head = await node.journal.journalHead();
  return (await node.journal.journalEntries(0, head.size)).map((bytes) => {
    const entry = readEntry(bytes);
    assert.ok(entry.ok);
    return entry.value;
  });
}

const decoyUses = async () =>
  (await journal()).filter(
    (e): e is Extract<JournalEntry, { type: 'DECOY_USED' }> => e.type === 'DECOY_USED',
  );

function signIn(username: string, password = PASSWORD) {
  return fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, code: '123456' }),
  });
}

before(async () => {
  center = await startServedCenter({
    catalog,
    election,
    clock,
    folder: 'openprep-decoys-',
    config: { intake: { qualityGate: 'off' } },
  });
  ({ node, base } = center);
  // The commands' data folder; the test's own files go there too.
  work = center.root;
  for (const [username, name] of [
    ['ana.lopez', 'Ana López Ruiz'],
    ['jorge.diaz', 'Jorge Díaz Cruz'],
    ['rosa.mendez', 'Rosa Méndez Flores'],
  ] as const)
    await center.addOperator(username, 'capturista', 'catd:CATD-1', name);
});

after(async () => {
  await center?.close();
});

describe('decoys', () => {
  test('a decoy operator: listed like any account, a sign-in naming it fails as any other and is journaled, a flood counted', async () => {
    const made = await openprep('decoy', 'create', '--kind', 'operator', '--label', 'carpeta de RH');
    assert.equal(made.status, 0, made.stderr);
    const username = /operator ([a-z0-9._-]+) /.exec(made.stdout)?.[1];
    assert.ok(username !== undefined, made.stdout);
    const list = await openprep('operator', 'list');
    const line = list.stdout.split('\n').find((l) => l.startsWith(`${username}\t`));
    assert.match(line ?? '', /\tcapturista\tcatd:CATD-1\tactive$/, 'its line looks like the real ones');
    const decoys = await openprep('decoy', 'list');
    assert.match(
      decoys.stdout,
      new RegExp(
        `^dcy-[0-9a-f]+\\toperator ${username.replace('.', '\\.')}\\tdecoy\\t.*\\tcarpeta de RH$`,
        'm',
      ),
    );

    now += 10_000; // the server's list of decoys is stale after 5 s
    const decoy = await signIn(username);
    const unknown = await signIn('nadie.conocido');
    const wrong = await signIn('ana.lopez', 'otra frase equivocada');
    assert.equal(decoy.status, 401);
    const body = await decoy.text();
    assert.equal(body, await unknown.text(), 'same answer as a name that does not exist');
    assert.equal(body, await wrong.text(), 'same answer as a wrong password');
    let uses = await decoyUses();
    assert.equal(uses.length, 1);
    assert.deepEqual(
      { ...uses[0], at: 0, decoyId: '' },
      { type: 'DECOY_USED', at: 0, decoyId: '', kind: 'operator', via: 'sign-in', address: '127.0.0.1' },
    );

    // Replayed from the same address: counted, then carried by the next entry.
    for (let i = 0; i < 3; i++) await signIn(username, `intento ${i} equivocado`);
    assert.equal((await decoyUses()).length, 1);
    now += DECOY_REPEAT_MS;
    await signIn(username);
    uses = await decoyUses();
    assert.equal(uses.length, 2);
    assert.equal(uses[1]?.unjournaledBefore, 3);
    // Five failures in a row throttle it exactly as they throttle a real account.
    for (let i = 0; i < 5; i++) await signIn('jorge.diaz', `equivocada ${i} otra vez`);
    const [decoyThrottled, realThrottled] = [await signIn(username), await signIn('jorge.diaz')];
    assert.equal(decoyThrottled.status, 429);
    assert.equal(realThrottled.status, 429);
    assert.equal(await decoyThrottled.text(), await realThrottled.text());
    assert.equal(decoyThrottled.headers.get('retry-after'), realThrottled.headers.get('retry-after'));
    now += 60 * 60_000; // past the accounts' throttling
  });

  test('a decoy device: its bait key is planted; a package signed by it is refused as a revoked device’s and journaled', async () => {
    const keyFile = path.join(work, 'bait.key');
    const made = await openprep('decoy', 'create', '--kind', 'device', '--out', keyFile);
    assert.equal(made.status, 0, made.stderr);
    const deviceId = /device (\S+) /.exec(made.stdout)?.[1];
    assert.ok(deviceId !== undefined);
    const devices = await openprep('device', 'list');
    assert.match(devices.stdout, new RegExp(`^${deviceId}\\tCATD\\t\\S+\\tactive\\t$`, 'm'));
    const privateKey = createPrivateKey(await readFile(keyFile, 'utf8'));
    now += 10_000;
    const image = makePng(16, 16, { seed: 1 });
    const pkg = packageFor({ id: deviceId, privateKey, publicKey: '' }, image, {
      sequence: 1,
      claimedKey: [...actasEsperadas(catalog, election.contests[0]!)][0]!.actaKey,
    });
    const before = (await decoyUses()).length;
    const answer = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(answer.status, 403);
    assert.match(answer.body, new RegExp(`device ${deviceId} is revoked`));
    const uses = await decoyUses();
    assert.equal(uses.length, before + 1);
    assert.deepEqual(
      { ...uses.at(-1), at: 0, decoyId: '' },
      {
        type: 'DECOY_USED',
        at: 0,
        decoyId: '',
        kind: 'device',
        via: 'package',
        deviceId,
        address: '127.0.0.1',
      },
    );
  });

  test('a record decoy: its username, tried at sign-in, is journaled', async () => {
    const made = await openprep('decoy', 'create', '--kind', 'record');
    assert.equal(made.status, 0, made.stderr);
    const username = made.stdout.split('\t')[1];
    assert.ok(username !== undefined);
    now += 10_000;
    const before = (await decoyUses()).length;
    assert.equal((await signIn(username)).status, 401);
    const uses = await decoyUses();
    assert.equal(uses.length, before + 1);
    assert.equal(uses.at(-1)?.kind, 'record');
  });
});

describe('exports with canaries, and the leak check', () => {
  let exportId = '';
  let file = '';

  test('export operators: a file with canaries, registered and journaled; a canary used at sign-in is a DECOY_USED', async () => {
    file = path.join(work, 'operadores.csv');
    const made = await openprep(
      'export',
      'operators',
      '--format',
      'csv',
      '--out',
      file,
      '--to',
      'Auditoría externa',
      '--canaries',
      '3',
    );
    assert.equal(made.status, 0, made.stderr);
    exportId = /^export (exp-[0-9a-f]+):/.exec(made.stdout)?.[1] ?? '';
    assert.notEqual(exportId, '');
    const rows = (await readFile(file, 'utf8')).trim().split('\r\n');
    const operators = await node.operators.operators();
    assert.equal(rows.length, 1 + operators.length + 3);
    const issued = (await journal()).filter((e) => e.type === 'EXPORT_ISSUED');
    assert.deepEqual(issued.at(-1), {
      type: 'EXPORT_ISSUED',
      at: issued.at(-1)?.at,
      exportId,
      kind: 'operators',
      recipient: 'Auditoría externa',
      rows: operators.length + 3,
      canaries: 3,
      by: 'cli',
    });
    const real = new Set(operators.map((o) => o.username));
    const canaryRows = rows.slice(1).filter((r) => !real.has(r.split(',')[1]!));
    assert.equal(canaryRows.length, 3);
    now += 10_000;
    const before = (await decoyUses()).length;
    assert.equal((await signIn(canaryRows[0]!.split(',')[1]!)).status, 401);
    assert.equal((await decoyUses()).length, before + 1);
    assert.equal((await decoyUses()).at(-1)?.kind, 'record');
    // Its id named at the API, even by someone with no session: a use too.
    const id = canaryRows[1]!.split(',')[0]!;
    const refused = await fetch(`${base}/api/v1/admin/operators/${id}/access`, { method: 'POST' });
    assert.ok(refused.status >= 400 && refused.status < 500);
    assert.deepEqual(
      { ...(await decoyUses()).at(-1), at: 0, decoyId: '' },
      {
        type: 'DECOY_USED',
        at: 0,
        decoyId: '',
        kind: 'record',
        via: 'POST /api/v1/admin/operators/:id/access',
        address: '127.0.0.1',
      },
    );
  });

  test('leak check: the export names it; a few of its rows with a canary too; exit 4', async () => {
    const whole = await openprep('leak', 'check', file);
    assert.equal(whole.status, 4, whole.stderr);
    const report = JSON.parse(whole.stdout) as {
      verdict: string;
      exports: { exportId: string; recipient: string; canariesFound: number }[];
    };
    assert.equal(report.verdict, 'export-leaked');
    assert.deepEqual(
      report.exports.map((e) => [e.exportId, e.recipient, e.canariesFound]),
      [[exportId, 'Auditoría externa', 3]],
    );
    assert.match(whole.stderr, /that export leaked/);
    const rows = (await readFile(file, 'utf8')).trim().split('\r\n');
    const operators = new Set((await node.operators.operators()).map((o) => o.username));
    const canary = rows.find((r, i) => i > 0 && !operators.has(r.split(',')[1]!))!;
    // Re-typed by someone: another order, no header, semicolons, upper case.
    const partial = path.join(work, 'partial.txt');
    await writeFile(partial, [rows[2]!, canary].map((r) => r.toUpperCase().replaceAll(',', ';')).join('\n'));
    const some = await openprep('leak', 'check', partial, '--json');
    assert.equal(some.status, 4, some.stderr);
    assert.equal(some.stderr, '');
    assert.equal(
      (JSON.parse(some.stdout) as { exports: { exportId: string }[] }).exports[0]?.exportId,
      exportId,
    );
  });

  test('leak check: internal rows without a canary are ours (exit 3); an export of devices names its own export', async () => {
    const operators = await node.operators.operators();
    const dump = path.join(work, 'dump.json');
    await writeFile(
      dump,
      JSON.stringify({ users: operators.map((o) => ({ login: o.username, pass: 'x' })) }),
    );
    const checked = await openprep('leak', 'check', dump);
    assert.equal(checked.status, 3, checked.stderr);
    const report = JSON.parse(checked.stdout) as {
      verdict: string;
      matchRatio: number;
      internalMatches: { operator: number };
    };
    assert.equal(report.verdict, 'internal-data');
    assert.equal(report.matchRatio, 1);
    assert.equal(report.internalMatches.operator, operators.length);

    const devicesFile = path.join(work, 'equipos.json');
    const made = await openprep(
      'export',
      'devices',
      '--format',
      'json',
      '--out',
      devicesFile,
      '--to',
      'Proveedor',
    );
    assert.equal(made.status, 0, made.stderr);
    const id = /^export (exp-[0-9a-f]+):/.exec(made.stdout)?.[1];
    const leaked = await openprep('leak', 'check', devicesFile);
    assert.equal(leaked.status, 4);
    assert.deepEqual(
      (JSON.parse(leaked.stdout) as { exports: { exportId: string }[] }).exports.map((e) => e.exportId),
      [id],
    );
    // A package from a canary device id: refused as any unknown device's, and journaled.
    const enrolled = new Set((await node.devices.devices()).map((d) => d.id));
    const canary = (JSON.parse(await readFile(devicesFile, 'utf8')) as { id: string }[]).find(
      (d) => !enrolled.has(d.id),
    );
    assert.ok(canary !== undefined);
    now += 10_000;
    const image = makePng(16, 16, { seed: 2 });
    const pkg = packageFor(makeDevice(canary.id), image, {
      sequence: 1,
      claimedKey: [...actasEsperadas(catalog, election.contests[0]!)][0]!.actaKey,
    });
    const answer = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image });
    assert.equal(answer.status, 401);
    assert.deepEqual(
      { ...(await decoyUses()).at(-1), at: 0, decoyId: '' },
      {
        type: 'DECOY_USED',
        at: 0,
        decoyId: '',
        kind: 'record',
        via: 'package',
        deviceId: canary.id,
        address: '127.0.0.1',
      },
    );
  });

  test('leak check: a published cut is public data that proves nothing (exit 0); unrelated data is no match (exit 0)', async () => {
    const cut = await openprep('cut');
    assert.equal(cut.status, 0, cut.stderr);
    const folders = (await readdir(path.join(work, 'cuts'), { withFileTypes: true })).filter((e) =>
      e.isDirectory(),
    );
    const folder = path.join(work, 'cuts', folders.at(-1)!.name);
    const csv = (await readdir(folder)).find((f) => /PRES.*\.csv$/i.test(f) || /\.csv$/i.test(f));
    assert.ok(csv !== undefined);
    const copy = path.join(work, 'prep-filtrado.csv');
    await writeFile(copy, await readFile(path.join(folder, csv)));
    const checked = await openprep('leak', 'check', copy);
    assert.equal(checked.status, 0, checked.stderr);
    const report = JSON.parse(checked.stdout) as { verdict: string; recordsMatched: number };
    assert.equal(report.verdict, 'public-data');
    assert.equal(report.recordsMatched, 0);
    assert.match(checked.stderr, /^public PREP data: proves nothing about a breach/);

    const random = path.join(work, 'random.csv');
    await writeFile(
      random,
      Array.from(
        { length: 40 },
        () => `${randomBytes(8).toString('hex')},${randomBytes(6).toString('base64url')},x`,
      ).join('\n'),
    );
    const none = await openprep('leak', 'check', random);
    assert.equal(none.status, 0);
    assert.equal((JSON.parse(none.stdout) as { verdict: string }).verdict, 'no-match');
  });

  test('bad input is a clear error (exit 2), never a crash; the journal holds only known entries', async () => {
    const missing = await openprep('leak', 'check', path.join(work, 'no-such-file.csv'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*no-such-file\.csv/);
    const noKey = await openprep('decoy', 'create', '--kind', 'device');
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /--out/);
    const exists = await openprep('export', 'operators', '--out', file, '--to', 'x');
    assert.equal(exists.status, 1);
    assert.match(exists.stderr, /cannot be written/);
    const types = await typedJournal(node.journal);
    assert.ok((types.get('DECOY_USED') ?? 0) >= 5);
  });
});
