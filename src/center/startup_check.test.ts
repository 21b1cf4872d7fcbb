/**
 * Lost storage is noticed at start: a journal shorter than the last checkpoint this center
 * signed, or different from it, stops `serve` (one line, non-zero exit) and fails `journal
 * verify`, so no leaf index is ever given to a second package. The real case: `kill -9` of a
 * serving center, then 20 KB cut off its SQLite WAL, as a lying disk or a restored snapshot does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { actasEsperadas } from '../domain/actas_esperadas.ts';
import { openCheckpoint } from '../journal/checkpoint.ts';
import { parseVerifierKey } from '../journal/note.ts';
import { preparedCenter, runCli, startServer } from '../test/center_process.ts';
import { makePng, packageFor, postPackageRaw } from '../test/packages.ts';
import { openCenter } from './node.ts';
import { checkJournalAgainstSigner, checkNodeAtStart } from './startup_check.ts';

/** Runs `openprep <args>` to its end (killed past 20 s): exit code and standard error. */
const runCommand = (args: readonly string[]) =>
  runCli(args, { env: { OPENPREP_LOG_LEVEL: 'silent' }, timeoutMs: 20_000 });

describe('the journal against the last signed checkpoint', () => {
  test('kill -9, then 20 KB cut off the WAL: serve refuses to start and says which entries are missing; journal verify fails too', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-lost-'));
    try {
      const { catalog, election, start, devices, verifierKey } = await preparedCenter(work, 21, ['CATD-L-1']);
      const device = devices[0]!;
      const keys = [...actasEsperadas(catalog, election.contests[0]!)].map((e) => e.actaKey);
      const { child, base } = await startServer(work, start);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      for (let sequence = 0; sequence < 30; sequence++) {
        const image = makePng(32, 32, { seed: sequence });
        const pkg = packageFor(device, image, { sequence, claimedKey: keys[sequence]! });
        const answer = await postPackageRaw(base, { text: pkg.text, signature: pkg.signature, image });
        assert.equal(answer.status, 201, answer.body);
      }
      // Until a checkpoint covers every receipt: then every lost entry is one the signer vouched for.
      const key = parseVerifierKey(verifierKey);
      assert.ok(key.ok);
      let signed = -1;
      for (let i = 0; i < 200; i++) {
        const size = ((await (await fetch(`${base}/readyz`)).json()) as { journalSize: number }).journalSize;
        const note = await fetch(`${base}/api/v1/checkpoint`);
        if (note.status === 200) {
          const checkpoint = openCheckpoint(await note.text(), [key.value]);
          assert.ok(checkpoint.ok);
          signed = checkpoint.value.size;
          if (signed === size) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGKILL');
      await exited;
      const wal = path.join(work, 'openprep.sqlite-wal');
      const { size } = await stat(wal);
      assert.ok(size > 40_000, `the WAL holds the night so far (${size} bytes)`);
      await truncate(wal, size - 20 * 1024);

      const refused = await runCommand(['serve', '--data', work, '--port', '0']);
      assert.notEqual(refused.code, 0, refused.stderr);
      const lines = refused.stderr.trim().split('\n');
      assert.equal(lines.length, 1, refused.stderr);
      const missing =
        /holds (\d+) entries but this center signed a checkpoint of (\d+): entries (\d+) to (\d+)/.exec(
          lines[0]!,
        );
      assert.ok(missing !== null, lines[0]);
      assert.equal(Number(missing[2]), signed);
      assert.ok(Number(missing[1]) < signed);
      assert.doesNotMatch(refused.stderr, /\n\s+at /);

      const verified = await runCommand(['journal', 'verify', '--data', work]);
      assert.notEqual(verified.code, 0);
      assert.match(
        verified.stderr,
        /^openprep journal verify: the journal holds \d+ entries but this center signed/,
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('a journal that extends the signed checkpoint passes; one whose first entries differ is refused', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'openprep-diverged-'));
    try {
      const { start } = await preparedCenter(work, 22, []);
      const opened = await openCenter({ root: work, clock: () => start });
      assert.ok(opened.ok);
      const node = opened.value;
      try {
        const store = node.journal;
        const head = await store.journalHead();
        assert.ok(head.size > 2, 'init, the device and the territory are journaled');
        assert.deepEqual(await checkJournalAgainstSigner(store, null), {
          ok: true,
          value: { journalSize: head.size, signedSize: null },
        });
        // Signed at this size: the same journal, and a longer one, pass.
        const passes = await checkNodeAtStart(node, {});
        assert.ok(passes.ok);
        assert.equal(
          (await checkJournalAgainstSigner(store, { size: head.size, rootHash: head.rootHash })).ok,
          true,
        );
        const { MerkleTree } = await import('../journal/merkle.ts');
        const prefix = new MerkleTree(await store.journalLeafHashes(0, 2)).root(2);
        assert.equal((await checkJournalAgainstSigner(store, { size: 2, rootHash: prefix })).ok, true);
        // The same size under another root: history was rewritten.
        const other = await checkJournalAgainstSigner(store, { size: 2, rootHash: Buffer.alloc(32, 7) });
        assert.equal(other.ok ? null : other.code, 'journal-diverged');
        const longer = await checkJournalAgainstSigner(store, {
          size: head.size + 5,
          rootHash: head.rootHash,
        });
        assert.equal(longer.ok ? null : longer.code, 'journal-lost');
        assert.match(
          longer.ok ? '' : longer.message,
          new RegExp(`entries ${head.size} to ${head.size + 4} \\(5\\)`),
        );
      } finally {
        await node.close();
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
