/**
 * `npm start`'s demo serves the public site and, on the next port, the operators' console over
 * the same center, with demo accounts whose password and TOTP seed are in the data folder.
 * Real HTTP on loopback.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { currentCode, readDemoAccounts } from './console_accounts.ts';
import { DEMO_PASSWORD, runDemo } from './demo.ts';
import { openCenter } from '../center/node.ts';
import { freePortPair } from '../test/ports.ts';

test('the demo serves the site and the console, whose demo accounts sign in and find actas to capture', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-demo-'));
  const port = await freePortPair();
  const log: string[] = [];
  const demo = await runDemo({
    root: work,
    scale: 'tiny',
    seed: 4,
    untilClose: false,
    serve: true,
    port,
    speed: 0,
    cutEvery: 240,
    reset: false,
    log: (line) => log.push(line),
    signal: AbortSignal.timeout(60_000),
  });
  assert.ok(demo.ok, demo.ok ? '' : demo.message);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${port}/latest.json`)).status, 200);
    const accounts = await readFile(path.join(work, 'consola-demo.txt'), 'utf8');
    assert.equal((await stat(path.join(work, 'consola-demo.txt'))).mode & 0o777, 0o600);
    const listed = await readDemoAccounts(work);
    assert.ok(listed.ok, listed.ok ? '' : listed.message);
    assert.deepEqual(
      listed.value.map((a) => `${a.username} ${a.role}`),
      [
        'demo.captura1 capturista',
        'demo.captura2 capturista',
        'demo.verifica verificador',
        'demo.coordina coordinador',
      ],
    );
    const seed = listed.value[0]!.seed;
    assert.ok(accounts.includes(seed));
    // The terminal says where the console is, who may sign in, the password and how to get a code.
    const said = log.join('\n');
    assert.ok(said.includes(`http://localhost:${port + 1}/consola/`), said);
    assert.ok(said.includes(`password: ${DEMO_PASSWORD}`), said);
    assert.ok(said.includes(`npx openprep demo code demo.captura1 --data ${work}`), said);
    // Its three witnesses cosign every cut through the console's center, and every cut verifies with them.
    const cutLines = log.filter((line) => / corte \d{8}_\d{4} #/.test(line));
    assert.ok(cutLines.length > 0, said);
    for (const line of cutLines)
      assert.match(line, /· cofirmado por 3 testigos \(se requieren 2\) · verificado /);
    assert.equal(demo.value.failedVerifications, 0);
    const center = `http://127.0.0.1:${port + 1}`;
    const page = await fetch(`${center}/consola/`);
    assert.ok(page.status === 200 || page.status === 503, `console page: ${page.status}`);
    const signIn = await fetch(`${center}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'demo.captura1',
        password: DEMO_PASSWORD,
        code: currentCode(seed, Date.now()).code,
      }),
    });
    assert.equal(signIn.status, 201, await signIn.clone().text());
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const next = await fetch(`${center}/api/v1/capture/next`, { headers: { cookie } });
    assert.ok(next.status === 200 || next.status === 204, `capture/next: ${next.status}`);
    // The demo's actas carry rendered images: published beside the cuts, shown in the console
    // turned upright and cropped to the sheet.
    const published = await readdir(path.join(work, 'cuts', 'imagenes', 'sha256'), { recursive: true });
    assert.ok(published.filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{62}$/.test(f)).length > 10, published.join());
    if (next.status === 200) {
      const task = (await next.json()) as { imageSha256: string | null };
      assert.ok(task.imageSha256 !== null);
      const sheet = await fetch(`${center}/api/v1/images/${task.imageSha256}/sheet`, { headers: { cookie } });
      assert.equal(sheet.status, 200);
      assert.equal(sheet.headers.get('openprep-sheet'), 'found');
      assert.equal(sheet.headers.get('content-type'), 'image/jpeg');
    }
  } finally {
    await demo.value.close();
  }
  try {
    // A phone or scanner enrolled in the demo (PREP Casilla, a CATD agent) has a territory to
    // send from: a CATD per distrito and a CAE per few casillas (docs/demo.md).
    const node = await openCenter({ root: work, clock: Date.now });
    assert.ok(node.ok, node.ok ? '' : node.message);
    try {
      const store = node.value.devices;
      assert.deepEqual((await store.territoryOf('CATD-01-001')).rows, [
        { unit: 'CATD-01-001', unitKind: 'CATD', areaKind: 'distrito', area: '01-001' },
      ]);
      const cae = (await store.territory()).filter((r) => r.unit === 'CAE-01-001-01');
      assert.ok(cae.length > 0 && cae.every((r) => r.unitKind === 'CAE' && r.areaKind === 'casilla'));
    } finally {
      await node.value.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
