/**
 * The verifier's runner: numbered checks over a published cut, documented in
 * docs/verification.md so that anyone can write a second one. It shares no code with the cut
 * builder (src/publish/); it reads only what a member of the public can download. The checks
 * live in rooms — the pure core in ./core/ (manifest, journal, CSV layout, rules, site JSON,
 * images, report), which the site's "verify this cut" page runs too — and the Node side here:
 * the cut's folder or zip (cut_source.ts), node:crypto (node_crypto.ts), the catalog (V11),
 * the folder's zip (V14), the previous cut (V12), the image folder (V13), the signed latest
 * pointer beside the cut folder (V16), the published JSON Schemas of docs/schemas/ (schemas.ts:
 * the manifest's shape in V03, the site JSON's in V10, the election definition's in V11), and
 * the contests shared out between this thread and worker threads (contest_queue.ts). The
 * candidaturas CSV (V15) is the core's.
 */
import { availableParallelism } from 'node:os';
import { parseVerifierKey } from '../journal/note.ts';
import { checkCatalog } from './catalog.ts';
import { candidaturasName, checkCandidaturas } from './core/candidaturas.ts';
import type { PublishedRows } from './contest.ts';
import {
  ContestQueue,
  type ContestVerdict,
  runContestsHere,
  runContestsInWorker,
  WORKER_THRESHOLD_ROWS,
} from './contest_queue.ts';
import { CHANGES_FILE, checkHistoryFiles, HISTORY_FILE } from './core/history.ts';
import { checkCheckpoint, checkpointSummary } from './core/journal.ts';
import { checkWitnesses, readWitnesses, witnessSummary } from './core/witnesses.ts';
import {
  checkKeyMode,
  checkListedFile,
  checkManifestForm,
  loadManifest,
  manifestSummary,
  unsafePathFailure,
} from './core/manifest.ts';
import { safeRelativePath } from '../platform/web/paths.ts';
import { Checks, errorMessage, type VerifyReport } from './core/report.ts';
import { checkSiteIndex } from './core/site_json.ts';
import { openCutSource } from './cut_source.ts';
import { checkImageFolder } from './images.ts';
import { nodeVerifierCrypto } from './node_crypto.ts';
import { checkLatestPointer } from './pointer.ts';
import { checkPrevious } from './previous.ts';
import { bytesSchemaFailure } from './schemas.ts';
import { checkFolderZip, innerZipProblems } from './zip_check.ts';

export type { Manifest } from './core/manifest.ts';
export {
  CHECK_TITLES,
  type CheckId,
  type CheckResult,
  Checks,
  type CheckStatus,
  formatReport,
  type VerifyReport,
} from './core/report.ts';

export interface VerifyOptions {
  readonly cut: string;
  readonly publicKey: string;
  readonly previous?: string;
  readonly images?: string;
  readonly catalog?: string;
  readonly expectMode?: 'live' | 'simulacro';
}

export async function verifyCut(options: VerifyOptions): Promise<VerifyReport> {
  const checks = new Checks();
  const key = parseVerifierKey(options.publicKey);
  if (!key.ok) {
    checks.fail('V01', `the given public key: ${key.message}`);
    checks.finish('V01', '');
    return checks.report(options.cut);
  }
  const crypto = nodeVerifierCrypto(key.value);
  // Every stage below runs inside `checks.attempt`: whatever it throws is a FAIL of its check.
  const opened = await checks.attempt('V03', null, () => openCutSource(options.cut));
  if (opened === null) return checks.report(options.cut);
  if (!opened.ok) {
    checks.fail(opened.code === 'bad-zip' ? 'V14' : 'V03', opened.message);
    checks.finish(opened.code === 'bad-zip' ? 'V14' : 'V03', '');
    return checks.report(options.cut);
  }
  const source = opened.value;
  const read = (relative: string) => source.read(relative);
  const loaded = await checks.attempt('V03', null, () => loadManifest(read, crypto, checks));
  checks.finish('V01', `signed by ${key.value.name}`);
  if (loaded === null) return checks.report(options.cut);
  // V03: the published schema names every way the manifest's shape is wrong, by JSON pointer.
  const manifestShape = await checks.attempt('V03', null, async () =>
    bytesSchemaFailure('manifest', await read('manifest.json'), 'manifest.json'),
  );
  if (manifestShape !== null) checks.fail('V03', manifestShape);
  if (loaded.error !== undefined) {
    // The core's reading stops at the first problem; the schema's words say more, when it has any.
    if (manifestShape === null) checks.fail('V03', loaded.error);
    checks.finish('V03', '');
    return checks.report(options.cut);
  }
  const { manifest } = loaded.value;
  checkManifestForm(checks, loaded.value);
  checks.finish('V03', manifestSummary(manifest));

  await checks.attempt('V05', undefined, () => checkCheckpoint(checks, crypto, manifest));

  const { catalog, election } = await checks.attempt('V11', { catalog: null, election: null }, () =>
    checkCatalog(checks, source, manifest, options.catalog),
  );
  // The witnesses the election definition lists, against the cosignatures under the checkpoint.
  let witnessDetail = '';
  if (election?.witnesses !== undefined) {
    const policy = election.witnesses;
    const seen = await checks.attempt('V05', null, () => readWitnesses(manifest.journal.checkpoint, policy));
    if (seen !== null) {
      checkWitnesses(checks, seen);
      witnessDetail = `; ${witnessSummary(seen)}`;
    }
  } else if (election === null) witnessDetail = '; witnesses not checked (needs the election definition)';
  checks.finish('V05', `${checkpointSummary(manifest)}${witnessDetail}`);

  // V02: the mode agrees everywhere (the CSV titles are checked with each contest).
  const mode = manifest.election.mode;
  checkKeyMode(checks, key.value.name, manifest);
  if (options.expectMode !== undefined && mode !== options.expectMode)
    checks.fail('V02', `this cut is a ${mode} cut, not ${options.expectMode}`);
  if (election !== null && election.mode !== mode)
    checks.fail('V02', 'the election definition has another mode');
  const leeme = await checks.attempt('V02', null, () => source.read('LEEME.txt'));
  if (leeme !== null && leeme.toString('utf8').includes('*** SIMULACRO ***') !== (mode === 'simulacro'))
    checks.fail('V02', 'LEEME.txt does not match the mode');

  // V06–V10, per contest.
  const published = new Map<string, PublishedRows>();
  const imageHashes = new Set<string>();
  const contestInput = {
    manifest,
    election,
    catalog,
    mode,
    keep: { rows: options.previous !== undefined, imageHashes: options.images !== undefined },
  };
  // Contests are shared out: for big cuts a worker thread starts on them at once, while this
  // thread hashes every file and streams the zip, then takes contests too.
  const queue = new ContestQueue(manifest.contests.length);
  const results: ContestVerdict[] = new Array(manifest.contests.length);
  const bigCut = manifest.contests.reduce((sum, c) => sum + c.actaRows, 0) >= WORKER_THRESHOLD_ROWS;
  const workersDone =
    source.kind === 'folder' && bigCut && manifest.contests.length > 1
      ? Promise.all(
          Array.from({ length: Math.max(1, availableParallelism() - 1) }, () =>
            runContestsInWorker(queue, results, source.location, contestInput),
          ),
        ).catch((error: unknown) => {
          // A worker that died leaves its contests without a verdict: each fails V07 below.
          checks.fail('V07', `a contest worker stopped: ${errorMessage(error)}`);
        })
      : Promise.resolve();
  // V04: every listed file with its size and hash; nothing unlisted.
  let hashed = 0;
  for (const file of manifest.files) {
    if (!safeRelativePath(file.path)) {
      checks.fail('V04', unsafePathFailure(file.path));
      continue;
    }
    let data: Buffer | null;
    try {
      data = await source.read(file.path);
    } catch (error) {
      // Present but unreadable: this file fails, the others are still checked.
      checks.fail('V04', errorMessage(error));
      continue;
    }
    const jsonBesideZip = source.kind === 'zip' && file.path.startsWith('json/');
    if ((await checkListedFile(checks, crypto, file, data, jsonBesideZip)) !== 'missing') hashed++;
  }
  const listed = new Set([...manifest.files.map((f) => f.path), 'manifest.json', 'manifest.sig']);
  for (const present of await checks.attempt('V04', [], () => source.list()))
    if (!listed.has(present)) checks.fail('V04', `${present} is in the cut but not in the manifest`);
  checks.finish(
    'V04',
    `${hashed} files match${source.kind === 'zip' ? ' (json/ is published beside the zip, not in it)' : ''}`,
  );

  // V14: the zip.
  if (source.kind === 'zip') {
    for (const problem of source.problems) checks.fail('V14', problem);
    for (const problem of innerZipProblems(manifest, source.innerZips, '')) checks.fail('V14', problem);
    checks.finish('V14', 'entries safe, inner zips agree with the manifest');
  } else await checks.attempt('V14', undefined, () => checkFolderZip(checks, source, loaded.value));

  await Promise.all([workersDone, runContestsHere(queue, results, source, contestInput)]);
  for (const [i, entry] of manifest.contests.entries()) {
    const outcome = results[i];
    if (outcome === undefined) {
      checks.fail('V07', `${entry.csv} was not checked`);
      continue;
    }
    for (const [id, detail] of outcome.failures) checks.fail(id, detail);
    if (outcome.published !== null) published.set(manifest.contests[i]!.id, outcome.published);
    for (const hash of outcome.hashes) imageHashes.add(hash);
  }
  checks.finish('V02', `${mode}${options.expectMode !== undefined ? `, as expected` : ''}`);
  checks.finish('V06', `${manifest.contests.length} contests`);
  checks.finish('V07', 'INE 2024 layout');
  checks.finish('V08', 'every row');
  checks.finish(
    'V09',
    catalog !== null ? 'recomputed, esperadas from the catalog' : 'recomputed, esperadas as published',
  );

  // V15: each contest's candidaturas CSV, against its results CSV and the election definition.
  for (const entry of manifest.contests) {
    const file = candidaturasName(manifest, entry.id);
    const contest = election?.contests.find((c) => c.id === entry.id) ?? null;
    checkCandidaturas(
      checks,
      file,
      await source.read(file),
      published.get(entry.id) ?? null,
      contest,
      election,
    );
  }
  checks.finish(
    'V15',
    `${manifest.contests.length} files${election !== null ? ', as the election definition says' : ''}`,
  );

  // V10 ran per contest above, while its rows were parsed; the site's index of the cut here.
  if (source.kind !== 'zip' && catalog !== null)
    await checks.attempt('V10', undefined, async () => {
      const shape = bytesSchemaFailure('site-index', await read('json/index.json'), 'json/index.json');
      if (shape !== null) checks.fail('V10', shape);
      await checkSiteIndex(checks, read, manifest, election);
      for (const [target, file] of [
        ['history', HISTORY_FILE],
        ['changes', CHANGES_FILE],
        // Cuts before the acta reader have none: a missing file is no failure.
        ['reader', 'json/reader.json'],
      ] as const) {
        const failure = bytesSchemaFailure(target, await read(file), file);
        if (failure !== null) checks.fail('V10', failure);
      }
      await checkHistoryFiles(checks, read, manifest);
    });
  if (source.kind === 'zip') checks.skip('V10', 'the zip does not carry the site JSON');
  else if (catalog === null) checks.skip('V10', 'needs the catalog');
  else checks.finish('V10', 'every JSON aggregate recomputed from the CSV');

  // V12: the previous cut.
  if (options.previous === undefined) checks.skip('V12', 'no --previous cut given');
  else {
    const previous = options.previous;
    await checks.attempt('V12', undefined, () =>
      checkPrevious(checks, previous, crypto, manifest, published, read),
    );
    checks.finish('V12', `extends ${manifest.previous?.id ?? '-'}`);
  }

  // V13: the images.
  if (options.images === undefined) checks.skip('V13', 'no --images folder given');
  else {
    const images = options.images;
    const count = await checks.attempt('V13', 0, () => checkImageFolder(checks, crypto, images, imageHashes));
    checks.finish('V13', `${count} images match their CODIGO_INTEGRIDAD`);
  }

  // V16: the signed latest pointer of the cuts folder this cut is in.
  await checkLatestPointer(checks, source, crypto, loaded.value);

  return checks.report(options.cut, manifest.release);
}
