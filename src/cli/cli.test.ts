/** The command line as an operator uses it: real processes, real files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { base32, totp } from '../auth/totp.ts';

const MAIN = path.join(import.meta.dirname, 'main.ts');
let work: string;

function openprep(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'openprep-cli-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('openprep CLI', () => {
  test('catalog generate is deterministic from the seed', async () => {
    const a = path.join(work, 'a.csv');
    const b = path.join(work, 'b.csv');
    assert.equal(openprep('catalog', 'generate', '--scale', 'tiny', '--seed', '7', '--out', a).status, 0);
    assert.equal(openprep('catalog', 'generate', '--scale', 'tiny', '--seed', '7', '--out', b).status, 0);
    const hash = async (f: string) =>
      createHash('sha256')
        .update(await readFile(f))
        .digest('hex');
    assert.equal(await hash(a), await hash(b));
  });

  test('a bad catalog is refused with line and column, and nothing is imported', async () => {
    const good = (await readFile(path.join(work, 'a.csv'), 'utf8')).split('\n');
    const cases: [string, string | Buffer, RegExp][] = [
      [
        'duplicate',
        [...good.slice(0, 3), good[2]!, ...good.slice(3)].join('\n'),
        /:4: casilla .* is also on line 3/,
      ],
      ['wrong-columns', ['ID_ENTIDAD,ENTIDAD,COLOR', '1,AGUASCALIENTES,azul'].join('\n'), /COLOR|column/i],
      ['bad-key', good.map((line, i) => (i === 2 ? line.replace(/^1,/, '99,') : line)).join('\n'), /:3/],
      [
        'not-utf8',
        Buffer.concat([Buffer.from(good.slice(0, 2).join('\n')), Buffer.from([0x0a, 0xff, 0xfe, 0x0a])]),
        /UTF-8/i,
      ],
    ];
    for (const [name, content, pattern] of cases) {
      const file = path.join(work, `${name}.csv`);
      await writeFile(file, content);
      const data = path.join(work, `data-${name}`);
      const run = openprep('catalog', 'import', file, '--data', data);
      assert.equal(run.status, 1, `${name}: ${run.stderr}`);
      assert.match(run.stderr, pattern, name);
      assert.equal(existsSync(path.join(data, 'openprep.sqlite')), false, `${name} imported something`);
    }
  });

  test('import a catalog, publish a cut, verify it, check the journal', async () => {
    const data = path.join(work, 'data');
    const imported = openprep(
      'catalog',
      'import',
      path.join(work, 'a.csv'),
      '--data',
      data,
      '--mode',
      'live',
    );
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /mode live/);
    const again = openprep('catalog', 'import', path.join(work, 'a.csv'), '--data', data);
    assert.equal(again.status, 1, 'a data folder holds one election; its catalog never changes');
    const cut = openprep('cut', '--data', data);
    assert.equal(cut.status, 0, cut.stderr);
    const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
    assert.ok(folder !== undefined, cut.stdout);
    const key = path.join(data, 'keys', 'openprep.PEF2024.live.pub');
    const verified = openprep('verify', folder, '--key', key, '--mode', 'live');
    assert.equal(verified.status, 0, verified.stdout);
    const drill = openprep('verify', folder, '--key', key, '--mode', 'simulacro');
    assert.equal(drill.status, 1);
    const journal = openprep('journal', 'verify', '--data', data);
    assert.equal(journal.status, 0, journal.stderr);
    assert.match(journal.stdout, /journal OK: \d+ entries, 1 signed checkpoints/);
  });

  test("demo code prints a demo account's current code from the seeds the demo wrote, and says which accounts there are", async () => {
    const data = path.join(work, 'demo-accounts');
    await mkdir(data, { recursive: true });
    const seed = Buffer.from('12345678901234567890');
    await writeFile(
      path.join(data, 'consola-demo.txt'),
      `Consola de la demostración (SIMULACRO)\n\ndemo.verifica (verificador): TOTP ${base32(seed)} — otpauth://totp/x\n`,
    );
    const before = Date.now();
    const printed = openprep('demo', 'code', 'demo.verifica', '--data', data);
    assert.equal(printed.status, 0, printed.stderr);
    // The code alone on stdout (how long it lasts goes to stderr), as of when the command ran.
    assert.ok([totp(seed, before), totp(seed, Date.now())].includes(printed.stdout.trim()), printed.stdout);
    assert.match(printed.stderr, /demo\.verifica: good for \d+ s more/);
    const unknown = openprep('demo', 'code', 'nadie', '--data', data);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no demo account nadie; there are demo\.verifica/);
    assert.equal(openprep('demo', 'code', '--data', path.join(work, 'no-demo-here')).status, 1);
  });

  test('usage errors exit 2', () => {
    assert.equal(openprep('no-such-command').status, 2);
    assert.equal(openprep('verify').status, 2);
    assert.equal(openprep('catalog', 'generate', '--scale', 'galactic', '--out', 'x').status, 2);
    assert.equal(openprep('sim', 'render', '--count', '0', '--out', 'x').status, 2);
  });

  test('sim render writes synthetic actas and their ground truth, the same for the same seed', async () => {
    const render = (out: string) => openprep('sim', 'render', '--count', '3', '--seed', '5', '--out', out);
    const first = path.join(work, 'actas-1');
    const second = path.join(work, 'actas-2');
    assert.equal(render(first).status, 0);
    assert.equal(render(second).status, 0);
    // Named as a scanner names them, for an agent to send as they are; the ground truth aside.
    const names = (await readdir(first)).sort();
    assert.deepEqual(names.at(-1), 'truth');
    const images = names.slice(0, -1);
    assert.equal(images.length, 3);
    for (const name of images) assert.match(name, /^PRES_\d{6}[BCES]\d{6}\.(png|jpg)$/);
    const truths = (await readdir(path.join(first, 'truth'))).sort();
    assert.deepEqual(
      truths,
      images.map((n) => n.replace(/\.(png|jpg)$/, '.json')),
    );
    for (const name of [...images, ...truths.map((n) => path.join('truth', n))])
      assert.deepEqual(await readFile(path.join(first, name)), await readFile(path.join(second, name)), name);
    const truth = JSON.parse(await readFile(path.join(first, 'truth', truths[0]!), 'utf8')) as {
      actaKey: string;
      boxes: Record<string, unknown>;
    };
    assert.match(truth.actaKey, /^\d{6}[BCES]\d{6}$/);
    assert.ok('totalAsentado' in truth.boxes);
  });

  test('drill proxy: bad fault rates are refused by name; it runs, faults requests, and reports its counts', async () => {
    const bad = openprep(
      'drill',
      'proxy',
      '--target',
      'http://127.0.0.1:9',
      '--faults',
      'drop=0.5,jiter=0.1',
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown fault "jiter"/);
    assert.equal(openprep('drill', 'proxy', '--target', 'ftp://x', '--faults', 'drop=1').status, 2);
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [MAIN, 'drill', 'proxy', '--target', 'http://127.0.0.1:9', '--faults', 'drop=1', '--seed', '3'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const url = await new Promise<string>((resolve) => {
      let text = '';
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(text);
        if (match !== null) resolve(match[1]!);
      });
    });
    await assert.rejects(fetch(`${url}/api/v1/packages`, { method: 'POST', body: 'x' }));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(JSON.parse(stdout).drop, 1);
  });

  test('device enroll, list and revoke; a bad configuration stops serve with a message', async () => {
    const catalog = path.join(work, 'devices.csv');
    const data = path.join(work, 'devices-data');
    assert.equal(
      openprep('catalog', 'generate', '--scale', 'tiny', '--seed', '2', '--out', catalog).status,
      0,
    );
    assert.equal(openprep('init', '--data', data, '--catalog', catalog).status, 0);
    const key = path.join(work, 'scanner.key');
    const enrolled = openprep(
      'device',
      'enroll',
      '--data',
      data,
      '--id',
      'CATD-09-001-S1',
      '--origin',
      'CATD',
      '--bound-to',
      'CATD-09-001',
      '--generate-key',
      key,
    );
    assert.equal(enrolled.status, 0, enrolled.stderr);
    assert.ok(existsSync(key));
    const again = openprep(
      'device',
      'enroll',
      '--data',
      data,
      '--id',
      'CATD-09-001-S1',
      '--origin',
      'CATD',
      '--bound-to',
      'X',
      '--generate-key',
      path.join(work, 'other.key'),
    );
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already enrolled/);
    assert.equal(
      openprep(
        'device',
        'enroll',
        '--data',
        data,
        '--id',
        'x',
        '--origin',
        'PHONE',
        '--bound-to',
        'X',
        '--public-key',
        'AA==',
      ).status,
      2,
    );
    assert.match(
      openprep('device', 'list', '--data', data).stdout,
      /CATD-09-001-S1\tCATD\tCATD-09-001\tactive/,
    );
    assert.equal(
      openprep('device', 'revoke', '--data', data, '--id', 'CATD-09-001-S1', '--reason', 'stolen').status,
      0,
    );
    assert.match(
      openprep('device', 'list', '--data', data).stdout,
      /CATD-09-001-S1\tCATD\tCATD-09-001\trevoked/,
    );
    assert.equal(
      openprep('device', 'revoke', '--data', data, '--id', 'CATD-09-001-S1', '--reason', 'again').status,
      1,
    );
    const badConfig = path.join(work, 'serve.json');
    await writeFile(badConfig, JSON.stringify({ port: 'eighty', intake: { maxPixels: -1 } }));
    const serve = openprep('serve', '--data', data, '--config', badConfig);
    assert.equal(serve.status, 2);
    assert.match(serve.stderr, /port/);
    assert.match(serve.stderr, /intake\.maxPixels/);
    const badEnv = spawnSync(process.execPath, [MAIN, 'serve', '--data', data], {
      encoding: 'utf8',
      env: { ...process.env, OPENPREP_PORT: 'not-a-port' },
    });
    assert.equal(badEnv.status, 2);
    assert.match(badEnv.stderr, /OPENPREP_PORT/);
  });

  test('operator add reads the password from stdin, shows the TOTP URI once; purge forces re-enrolment', () => {
    const data = path.join(work, 'devices-data');
    const add = (username: string, password: string, ...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          MAIN,
          'operator',
          'add',
          '--data',
          data,
          '--username',
          username,
          '--name',
          'Ana López',
          '--role',
          'capturista',
          '--scope',
          'catd:CATD-09-001',
          '--password-stdin',
          ...extra,
        ],
        { encoding: 'utf8', input: `${password}\n` },
      );
    const ok = add('ana.lopez', 'una frase larga que nadie adivina');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /otpauth:\/\/totp\/OpenPREP%20PEF2024%3Aana\.lopez\?secret=[A-Z2-7]{32}&/);
    const weak = add('beto', 'contraseña123');
    assert.equal(weak.status, 2);
    assert.match(weak.stderr, /common|at least/);
    assert.equal(add('ana.lopez', 'otra frase larga y distinta').status, 1);
    assert.equal(
      openprep('operator', 'add', '--data', data, '--username', 'x', '--name', 'x', '--role', 'capturista')
        .status,
      2,
    );
    assert.match(
      openprep('operator', 'list', '--data', data).stdout,
      /ana\.lopez\tcapturista\tcatd:CATD-09-001\tactive/,
    );
    const purge = openprep(
      'accounts',
      'purge',
      '--data',
      data,
      '--scope',
      'catd:CATD-09-001',
      '--reason',
      'VPN accounts for sale',
    );
    assert.equal(purge.status, 0, purge.stderr);
    assert.match(purge.stdout, /1 operators must enrol again/);
    assert.match(
      openprep('operator', 'list', '--data', data).stdout,
      /ana\.lopez\tcapturista\tcatd:CATD-09-001\tmust enrol TOTP/,
    );
    assert.equal(openprep('operator', 'enroll-totp', '--data', data, '--username', 'ana.lopez').status, 0);
    assert.match(openprep('operator', 'list', '--data', data).stdout, /ana\.lopez\t.*\tactive/);
    assert.match(
      openprep('operator', 'recertify', '--data', data, '--username', 'ana.lopez').stdout,
      /certified for PEF2024/,
    );
  });
});

test('catalog generate makes the folder it writes to, and names the file it cannot write', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-catgen-'));
  try {
    const out = path.join(work, 'new', 'folder', 'catalog.csv');
    const made = spawnSync(process.execPath, [MAIN, 'catalog', 'generate', '--scale', 'tiny', '--out', out], {
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    assert.match(await readFile(out, 'utf8'), /^[A-Z_]+,/);
    await writeFile(path.join(work, 'a-file'), 'x');
    const refused = spawnSync(
      process.execPath,
      [MAIN, 'catalog', 'generate', '--scale', 'tiny', '--out', path.join(work, 'a-file', 'catalog.csv')],
      { encoding: 'utf8' },
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cannot write .*a-file\/catalog\.csv/);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
