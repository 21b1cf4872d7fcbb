/**
 * The whole chain as an institute and two observers run it, every part its own process:
 * `openprep serve` (signing a checkpoint every 0.1 s while packages keep arriving), two
 * `openprep witness run`, and `openprep cut`. The cut holds serve's periodic checkpoints while
 * it waits, so its own checkpoint stays the newest one, the witnesses cosign it, and the cut
 * verifies with `openprep verify`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { MAIN, preparedCenter, runCli, startServer, stopServer } from '../test/center_process.ts';
import { makePng, packageFor, postPackageRaw } from '../test/packages.ts';
import { initWitnesses } from '../test/witnesses.ts';

test('serve, two witnesses and a cut, as processes, while packages arrive: the cut carries both cosignatures', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-witness-serve-'));
  const children: ChildProcess[] = [];
  let sending = true;
  try {
    const keys = await initWitnesses(work, ['w1.example', 'w2.example']);
    const data = path.join(work, 'center');
    const { catalog, election, start, devices, verifierKey } = await preparedCenter(data, 11, ['CATD-W-1'], {
      witnesses: { keys, required: 2, waitSeconds: 20 },
    });
    const { child, base } = await startServer(data, start);
    children.push(child);
    for (const i of [1, 2]) {
      const witness = spawn(
        process.execPath,
        [
          MAIN,
          'witness',
          'run',
          '--center',
          base,
          '--log-key',
          verifierKey,
          '--state',
          path.join(work, `w${i}`),
          '--every',
          '0.2',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      );
      children.push(witness);
    }
    // Packages keep arriving: without the cut's hold, serve would sign a newer checkpoint every 0.1 s.
    const targets = election.contests.flatMap((contest) =>
      [...actasEsperadas(catalog, contest)].map((e) => ({ contest: contest.id, key: e.actaKey })),
    );
    let sent = 0;
    const sender = (async () => {
      for (let sequence = 0; sending && sequence < targets.length; sequence++) {
        const target = targets[sequence]!;
        const image = makePng(24, 16, { seed: sequence });
        const pkg = packageFor(devices[0]!, image, {
          sequence,
          claimedKey: target.key,
          contest: target.contest,
        });
        const answer = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image });
        if (answer.status < 300) sent++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const cut = await runCli(['cut', '--data', data], { timeoutMs: 60_000 });
    assert.equal(cut.code, 0, cut.stderr);
    assert.match(cut.stdout, /; witnesses: 2 cosigned \(w[12]\.example, w[12]\.example\), 2 required/);
    sending = false;
    await sender;
    assert.ok(sent > 10, `only ${sent} packages were accepted`);
    const folder = /: (\S+) \(/.exec(cut.stdout)?.[1];
    assert.ok(folder !== undefined, cut.stdout);
    const keyFile = path.join(work, 'election.pub');
    await writeFile(keyFile, `${verifierKey}\n`);
    const verified = await runCli(['verify', folder, '--key', keyFile]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /witnesses: 2 of 2 cosigned/);
  } finally {
    sending = false;
    for (const child of children.reverse()) await stopServer(child);
    await rm(work, { recursive: true, force: true });
  }
});
