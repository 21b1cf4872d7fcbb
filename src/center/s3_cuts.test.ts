/**
 * Cuts published to S3-compatible object storage (the S3 test server, src/test/s3.ts) by two
 * nodes with SEPARATE data folders on one PostgreSQL, as a deployment without a shared file
 * system runs them: node A publishes the first cut; its second is cut short between files
 * (the store fails under it, as a killed process would stop) and leaves the pointer on the
 * first; node B, on its own empty folder, publishes the same cut again — the files already
 * there are the same bytes — and `openprep cut` on B publishes the next one. Downloaded from
 * the bucket, every cut verifies with `openprep verify`, each continuing the one before, and
 * the history inside the last lists all three.
 *
 * Needs PostgreSQL; says it was skipped without it (CI has it).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { keyNameFor } from '../journal/keys.ts';
import { catalogFileNames } from '../publish/cut_builder.ts';
import { runCutScheduler, type SchedulerEvent } from '../publish/cut_scheduler.ts';
import { publishCut } from '../publish/publisher.ts';
import { verifyCut } from '../verify/verify.ts';
import { S3CutStore } from '../publish/s3_cut_store.ts';
import { preparedCenter, runCli } from '../test/center_process.ts';
import { dropSchemas, postgresUnavailable, TEST_DATABASE_URL } from '../test/postgres.ts';
import { listKeys, S3_CREDENTIALS, startS3 } from '../test/s3.ts';
import { type CenterNode, openCenter } from './node.ts';

const unavailable = await postgresUnavailable();
const SCHEMA = `s3cuts_${process.pid}`;
const ENV = { DATABASE_URL: TEST_DATABASE_URL, OPENPREP_DATABASE_SCHEMA: SCHEMA };

/** The S3 store, failing (as if its process were killed) after `files` files of a cut were put. */
class DyingCutStore extends S3CutStore {
  #left: number;
  constructor(settings: ConstructorParameters<typeof S3CutStore>[0], files: number) {
    super(settings);
    this.#left = files;
  }
  readonly #inFlight: Promise<unknown>[] = [];
  override putFile(...args: Parameters<S3CutStore['putFile']>): ReturnType<S3CutStore['putFile']> {
    if (!/^\d{8}_\d{4}\//.test(args[0])) return super.putFile(...args);
    // The files already on their way arrive; the next one is never sent.
    if (this.#left-- <= 0)
      return Promise.allSettled(this.#inFlight).then(() =>
        Promise.reject(new Error('killed between two files')),
      );
    const put = super.putFile(...args);
    this.#inFlight.push(put);
    return put;
  }
}

/** The S3 store, stopping (as if killed) before it moves the pointer. */
class NoPointerCutStore extends S3CutStore {
  override writeLatest(): ReturnType<S3CutStore['writeLatest']> {
    return Promise.reject(new Error('killed before the pointer'));
  }
}

test('cuts in S3 from two nodes with separate data folders: one sequence, a publish cut short resumed, every cut verifies', {
  skip: unavailable ?? false,
  timeout: 180_000,
}, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-s3-cuts-'));
  const s3 = await startS3('cortes');
  const settings = {
    bucket: 'cortes',
    prefix: 'pef2024/',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  };
  const client = new S3Client({ ...settings });
  const object = async (key: string) => {
    const got = await client.send(new GetObjectCommand({ Bucket: 'cortes', Key: `pef2024/${key}` }));
    return Buffer.from(await got.Body!.transformToByteArray());
  };
  const keys = () => listKeys(client, 'cortes', 'pef2024/');
  const latestCut = async () => JSON.parse((await object('latest.json')).toString()).cut as string;
  try {
    await dropSchemas([SCHEMA]);
    const a = path.join(work, 'node-a');
    const b = path.join(work, 'node-b');
    const prepared = await preparedCenter(a, 43, [], { env: { ...process.env, ...ENV } });
    // Without a signer service each node holds the election's key (with one, none does):
    // node B's folder is otherwise empty.
    const name = keyNameFor(prepared.election.id, prepared.election.mode);
    await mkdir(path.join(b, 'keys'), { recursive: true, mode: 0o700 });
    for (const file of [`${name}.key`, `${name}.pub`])
      await copyFile(path.join(a, 'keys', file), path.join(b, 'keys', file));
    const t1 = prepared.start;
    const t2 = t1 + 10 * 60_000;

    const nodeA = await openCenter({ root: a, clock: () => t1, env: { ...process.env, ...ENV } });
    assert.ok(nodeA.ok, nodeA.ok ? '' : nodeA.message);
    const storeA = new S3CutStore(settings);
    const first = await publishCut(nodeA.value, { cutTime: t1, cuts: storeA });
    assert.ok(first.ok, first.ok ? '' : first.message);
    assert.equal(first.value.folder, `s3://cortes/pef2024/${first.value.id}/`);
    assert.equal(await latestCut(), first.value.id);

    // A's second cut stops after 5 of its files: no pointer to it, nothing recorded.
    const dying = new DyingCutStore(settings, 5);
    await assert.rejects(publishCut(nodeA.value, { cutTime: t2, cuts: dying }), /killed between two files/);
    dying.close();
    const partial = (await keys()).filter((k) => !k.startsWith(first.value.id) && /^\d{8}_\d{4}\//.test(k));
    assert.ok(partial.length >= 5, `the files put before the crash: ${partial.join(' ')}`);
    assert.ok(!partial.some((k) => k.endsWith('/manifest.json')), 'no manifest: the cut is not whole');
    assert.equal(await latestCut(), first.value.id, 'the pointer stays on the first cut');
    assert.equal((await nodeA.value.journal.cuts()).length, 1);
    storeA.close();
    await nodeA.value.close();

    // Node B, its own folder: the same cut again finds those files already there and completes.
    const nodeB = await openCenter({ root: b, clock: () => t2, env: { ...process.env, ...ENV } });
    assert.ok(nodeB.ok, nodeB.ok ? '' : nodeB.message);
    const storeB = new S3CutStore(settings);
    const second = await publishCut(nodeB.value, { cutTime: t2, cuts: storeB });
    assert.ok(second.ok, second.ok ? '' : second.message);
    assert.equal(second.value.sequence, 2);
    assert.ok(
      partial.every((k) => k.startsWith(`${second.value.id}/`)),
      'the cut short was this one',
    );
    assert.equal(await latestCut(), second.value.id);
    // B's next cut is recorded, then B stops before moving the pointer: it stays on the second.
    const noPointer = new NoPointerCutStore(settings);
    await assert.rejects(
      publishCut(nodeB.value, { cutTime: t2 + 10 * 60_000, cuts: noPointer }),
      /killed before the pointer/,
    );
    noPointer.close();
    const recorded = await nodeB.value.journal.cuts();
    assert.equal(recorded.length, 3);
    assert.equal(await latestCut(), second.value.id);
    storeB.close();
    await nodeB.value.close();

    // `openprep cut` on node B, configured for the bucket (on the real clock: the final cut).
    const cut = await runCli(['cut', '--data', b], {
      env: {
        ...ENV,
        ...s3.env,
        OPENPREP_IMAGE_STORE: 'folder',
        OPENPREP_CUT_STORE: 's3',
        OPENPREP_CUTS_BUCKET: 'cortes',
        OPENPREP_CUTS_PREFIX: 'pef2024/',
      },
    });
    assert.equal(cut.code, 0, cut.stderr);
    // It moves the pointer to the third first, then publishes the fourth.
    const fourth = /^cut (\d{8}_\d{4}) #4 \(final\): s3:\/\/cortes\/pef2024\/\1\//m.exec(cut.stdout)?.[1];
    assert.ok(fourth !== undefined, cut.stdout);
    assert.equal(await latestCut(), fourth);
    const third = recorded[2]!.id;
    assert.deepEqual(
      await readdir(b).then((n) => n.sort()),
      ['images', 'keys'],
      'nothing of the cuts in the folder',
    );

    // Downloaded, as a mirror or an observer would: every cut verifies and continues the one before.
    const mirror = path.join(work, 'mirror');
    for (const key of await keys()) {
      await mkdir(path.dirname(path.join(mirror, key)), { recursive: true });
      await writeFile(path.join(mirror, key), await object(key));
    }
    const pub = path.join(a, 'keys', `${name}.pub`);
    const ids = [first.value.id, second.value.id, third, fourth];
    for (const [i, id] of ids.entries()) {
      const verified = await runCli([
        'verify',
        path.join(mirror, id),
        '--key',
        pub,
        '--catalog',
        path.join(mirror, 'catalogo'),
        ...(i > 0 ? ['--previous', path.join(mirror, ids[i - 1]!)] : []),
      ]);
      assert.equal(verified.code, 0, `${id}: ${verified.stdout}${verified.stderr}`);
    }
    const history = JSON.parse((await object(`${fourth}/json/historial.json`)).toString()) as {
      cuts: { id: string; sequence: number }[];
    };
    assert.deepEqual(
      history.cuts.map((c) => [c.id, c.sequence]),
      ids.map((id, i) => [id, i + 1]),
    );
  } finally {
    client.destroy();
    await s3.close();
    await dropSchemas([SCHEMA]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});

const SPEED = 25;

test('two cut schedulers on separate data folders, the lease passing from one to the other: one sequence in the bucket', {
  skip: unavailable ?? false,
  timeout: 180_000,
}, async () => {
  const schema = `${SCHEMA}_lease`;
  const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, OPENPREP_DATABASE_SCHEMA: schema };
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-s3-lease-'));
  const s3 = await startS3('cortes');
  const settings = {
    bucket: 'cortes',
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  };
  const stores = [new S3CutStore(settings), new S3CutStore(settings)] as const;
  try {
    await dropSchemas([schema]);
    const a = path.join(work, 'node-a');
    const b = path.join(work, 'node-b');
    const prepared = await preparedCenter(a, 47, [], { env });
    const name = keyNameFor(prepared.election.id, prepared.election.mode);
    await mkdir(path.join(b, 'keys'), { recursive: true, mode: 0o700 });
    for (const file of [`${name}.key`, `${name}.pub`])
      await copyFile(path.join(a, 'keys', file), path.join(b, 'keys', file));
    const r0 = Date.now();
    const clock = () => prepared.start + (Date.now() - r0) * SPEED;
    const nodes = await Promise.all([a, b].map((root) => openCenter({ root, clock, env })));
    const [nodeA, nodeB] = nodes.map((n) => {
      assert.ok(n.ok, n.ok ? '' : n.message);
      return n.value;
    }) as [CenterNode, CenterNode];
    const sleep = (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms / SPEED);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const events: Record<'a' | 'b', SchedulerEvent[]> = { a: [], b: [] };
    const run = (who: 'a' | 'b', signal: AbortSignal, releaseOnStop: boolean) =>
      runCutScheduler({
        node: who === 'a' ? nodeA : nodeB,
        intervalMs: 2 * 60_000,
        timeScale: SPEED,
        holder: `node-${who}`,
        signal,
        clock,
        sleep,
        tickMs: 5_000,
        leaseMs: 30_000,
        releaseOnStop,
        cuts: stores[who === 'a' ? 0 : 1],
        onEvent: (event) => events[who].push(event),
      });
    const twoCutsBy = async (who: 'a' | 'b') => {
      const deadline = Date.now() + 120_000;
      while (events[who].filter((e) => e.kind === 'published').length < 2) {
        assert.ok(Date.now() < deadline, `no two cuts by ${who}: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runningA = run('a', stopA.signal, false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const runningB = run('b', stopB.signal, true);
    // A publishes two cuts, then "dies" without giving the lease back; B takes over.
    await twoCutsBy('a');
    stopA.abort();
    await runningA;
    await twoCutsBy('b');
    stopB.abort();
    await runningB;
    assert.ok(
      [...events.a, ...events.b].every((e) => e.kind !== 'failed'),
      JSON.stringify(events),
    );

    const recorded = await nodeA.journal.cuts();
    assert.deepEqual(
      recorded.map((c) => c.sequence),
      recorded.map((_, i) => i + 1),
    );
    const listed = await stores[0].listCuts();
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.value,
      recorded.map((c) => c.id),
      'the bucket holds the recorded cuts, no other',
    );
    const latest = await stores[1].read('latest.json');
    assert.ok(latest.ok);
    assert.equal(JSON.parse(latest.value.toString()).cut, recorded.at(-1)!.id);
    // Downloaded, each cut verifies against the one before; the last one's history lists them all.
    const mirror = path.join(work, 'mirror');
    const download = async (cutId: string) => {
      const manifest = await stores[0].read(`${cutId}/manifest.json`);
      assert.ok(manifest.ok);
      const listedFiles = (JSON.parse(manifest.value.toString()) as { files: { path: string }[] }).files.map(
        (f) => f.path,
      );
      for (const file of [...listedFiles, 'manifest.json', 'manifest.sig', `${cutId}_PREP.zip`]) {
        const bytes = await stores[0].read(`${cutId}/${file}`);
        assert.ok(bytes.ok, `${cutId}/${file}`);
        await mkdir(path.dirname(path.join(mirror, cutId, file)), { recursive: true });
        await writeFile(path.join(mirror, cutId, file), bytes.value);
      }
    };
    const names = catalogFileNames(prepared.election.id);
    for (const file of [names.catalog, names.election]) {
      const bytes = await stores[0].read(`catalogo/${file}`);
      assert.ok(bytes.ok, file);
      await mkdir(path.join(mirror, 'catalogo'), { recursive: true });
      await writeFile(path.join(mirror, 'catalogo', file), bytes.value);
    }
    const publicKey = await readFile(path.join(a, 'keys', `${name}.pub`), 'utf8');
    for (const [i, cut] of recorded.entries()) {
      await download(cut.id);
      const report = await verifyCut({
        cut: path.join(mirror, cut.id),
        publicKey,
        ...(i > 0 ? { previous: path.join(mirror, recorded[i - 1]!.id) } : {}),
      });
      assert.ok(report.ok, `${cut.id}: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`);
    }
    const history = JSON.parse(
      (await readFile(path.join(mirror, recorded.at(-1)!.id, 'json', 'historial.json'))).toString(),
    ) as { cuts: { id: string }[] };
    assert.deepEqual(
      history.cuts.map((c) => c.id),
      recorded.map((c) => c.id),
    );
    await nodeA.close();
    await nodeB.close();
  } finally {
    for (const store of stores) store.close();
    await s3.close();
    await dropSchemas([schema]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
