import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCatalogCsv } from '../catalog/csv_import.ts';
import { runCutScheduler } from '../publish/cut_scheduler.ts';
import { SchedulerMetrics } from '../publish/scheduler_metrics.ts';
import { initCenter, openCenter } from '../center/node.ts';
import { type PublishedCut, publishCut, verifyJournal } from '../publish/publisher.ts';
import { openCutStore } from '../publish/open_cut_store.ts';
import { schemaStatus } from '../center/database.ts';
import { checkNodeAtStart } from '../center/startup_check.ts';
import { classifyFault } from '../platform/faults.ts';
import { openImageStore } from '../images/image_store.ts';
import { checkPublishedCut, checkStoredImages } from '../center/restore_check.ts';
import type { PublishedImages } from '../publish/public_images.ts';
import { loadServeConfig } from '../server/config.ts';
import { Deployment, deploymentFacts } from '../server/deployment.ts';
import { currentAttestation, RELEASE_REFUSED_EXIT } from '../release/bootstrap.ts';
import type { Catalog } from '../domain/catalog.ts';
import type { ElectionDefinition } from '../domain/election.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { parseElectionDefinition } from '../domain/election_definition.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { parseCommandArgs } from './args.ts';
import { cut, init, journalVerify, schema } from './commands.ts';
import { createProgress } from './progress.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (command: string, message: string, code = 1): number => {
  process.stderr.write(`openprep ${command}: ${message}\n`);
  return code;
};

/** The same chunks, telling how many bytes have gone by. */
async function* counted(
  chunks: AsyncIterable<Buffer>,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    onBytes(bytes);
    yield chunk;
  }
}

/** Reads and validates a catalog CSV, printing every problem with its line and column. */
export async function readCatalogFile(file: string): Promise<Result<Catalog, 'catalog-invalid'>> {
  let stream: AsyncIterable<Buffer>;
  try {
    stream = createReadStream(file);
  } catch (error) {
    return err('catalog-invalid', `cannot read ${file}: ${(error as Error).message}`);
  }
  let result: Awaited<ReturnType<typeof parseCatalogCsv>>;
  try {
    const progress = createProgress(process.stderr, {
      label: `reading ${path.basename(file)}`,
      unit: 'bytes',
      total: (await stat(file)).size,
    });
    result = await parseCatalogCsv(counted(stream, (bytes) => progress.update(bytes)));
    progress.finish();
  } catch (error) {
    return err('catalog-invalid', `cannot read ${file}: ${(error as Error).message}`);
  }
  if (result.ok) return ok(result.value);
  const lines = result.problems.map(
    (p) => `  ${file}:${p.line}${p.column !== null ? ` column ${p.column}` : ''}: ${p.reason}`,
  );
  return err(
    'catalog-invalid',
    `${result.message}\n${lines.join('\n')}${result.truncated ? '\n  (stopped reading: more problems may follow)' : ''}`,
  );
}

async function readElectionFile(
  file: string,
  catalog: Catalog,
): Promise<Result<ElectionDefinition, 'election-invalid'>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return err('election-invalid', `${file}: ${(error as Error).message}`);
  }
  return parseElectionDefinition(json, { catalog });
}

/** `init` and `catalog import` both create a data folder from a catalog: the catalog of an election never changes. */
async function initialise(
  command: string,
  args: readonly string[],
  catalogFromPositional: boolean,
): Promise<number> {
  const parsed = parseCommandArgs(args, init.options);
  if (!parsed.ok) return fail(command, parsed.message, 2);
  const o = parsed.value.options;
  const catalogFile = catalogFromPositional ? (parsed.value.positionals[0] ?? o.catalog) : o.catalog;
  if (catalogFile === undefined) return fail(command, 'name the catalog CSV to import', 2);
  const catalog = await readCatalogFile(catalogFile);
  if (!catalog.ok) return fail(command, catalog.message);
  let election: ElectionDefinition;
  if (o.election !== undefined) {
    const parsedElection = await readElectionFile(o.election, catalog.value);
    if (!parsedElection.ok) return fail(command, parsedElection.message);
    if (parsedElection.value.mode !== o.mode && args.includes('--mode'))
      return fail(
        command,
        `--mode ${o.mode} contradicts the election definition's mode ${parsedElection.value.mode}`,
      );
    election = parsedElection.value;
  } else election = defaultElectionDefinition(catalog.value, { mode: o.mode });
  const node = await initCenter({ root: o.data, election, catalog: catalog.value, clock: Date.now });
  if (!node.ok) return fail(command, node.message);
  out(
    `Imported ${catalog.value.casillas.length} casillas (${catalog.value.distritos.length} distritos, ${catalog.value.entidades.length} entidades) into ${node.value.paths.root}`,
  );
  out(`Election ${election.id}, mode ${election.mode}; public key: ${node.value.verifierKey}`);
  if (node.value.secretsKey.given)
    out(
      `Secrets key: ${node.value.secretsKey.file} — give every node this same file (OPENPREP_SECRETS_KEY_FILE, mode 0600)`,
    );
  await node.value.close();
  return 0;
}

export function runInit(args: readonly string[]): Promise<number> {
  return initialise('init', args, false);
}

export function runCatalogImportInto(args: readonly string[]): Promise<number> {
  return initialise('catalog import', args, true);
}

export async function runCut(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, cut.options);
  if (!parsed.ok) return fail('cut', parsed.message, 2);
  const o = parsed.value.options;
  // The image store is serve's (its configuration file and environment): each cut's images
  // are made public beside it.
  const config = await loadServeConfig({
    ...(o.config !== undefined ? { file: o.config } : {}),
    env: process.env,
    flags: {},
  });
  if (!config.ok) return fail('cut', config.message, 2);
  // A drill's cuts are at its simulated time (recorded by serve, or started here), so the
  // decision "is this the final cut" is the drill's, not the machine clock's.
  const node = await openCenter({
    root: o.data,
    clock: Date.now,
    ...(o['simulated-start'] === undefined ? {} : { simulatedStart: Date.parse(o['simulated-start']) }),
  });
  if (!node.ok) return fail('cut', node.message, node.code === 'simulated-live' ? 2 : 1);
  const clock = node.value.clock;
  // Where the cuts go: the data folder's cuts/, or a bucket every cut builder shares.
  const cutStore = await openCutStore(node.value.paths.cuts, config.value.cuts, config.value.images.s3);
  const cutsReachable = await cutStore.check();
  if (!cutsReachable.ok) {
    cutStore.close();
    await node.value.close();
    return fail('cut', `the cut store cannot be used: ${cutsReachable.message}`);
  }
  // What a crashed publisher left (on the machine's clock: file times are real ones).
  for (const leftover of await cutStore.cleanLeftovers(Date.now()))
    out(`removed ${leftover}, left by an interrupted cut`);
  const images = await openImageStore(`${node.value.paths.root}/images`, config.value.images);
  const reachable = await images.blobs.check();
  if (!reachable.ok) {
    images.blobs.close();
    cutStore.close();
    await node.value.close();
    return fail('cut', `the image store cannot be used: ${reachable.message}`);
  }
  const imageNote = (published: PublishedImages | null) =>
    published === null
      ? ''
      : `; images: ${published.copied} published, ${published.present} already public${published.missing.length > 0 ? `, ${published.missing.length} MISSING from the image store` : ''}`;
  // The code building the cuts, journaled before the first (docs/trust.md): each cut names it too.
  const attestation = currentAttestation();
  const deployment = new Deployment({
    journal: node.value.journal,
    clock,
    attestation,
    facts: () => deploymentFacts('cut', attestation, config.value),
  });
  const release = deployment.release;
  // A cut published short of its witnesses is still published (the night goes on) but said so loudly.
  const witnessNote = (cut: PublishedCut) => {
    const w = cut.witnesses;
    if (w === null) return '';
    const names = w.cosigners.length === 0 ? 'none' : w.cosigners.join(', ');
    return w.cosigners.length >= w.required
      ? `; witnesses: ${w.cosigners.length} cosigned (${names}), ${w.required} required`
      : `; WITNESSES SHORT: ${w.cosigners.length} of ${w.required} required cosigned (${names}) after ${w.waitedSeconds} s; verification will report the policy not met`;
  };
  try {
    await deployment.journalIfChanged();
    if (o.every === undefined) {
      const cut = await publishCut(node.value, {
        release,
        cutTime: clock(),
        ...(o.final ? { final: true } : {}),
        images: { blobs: images.blobs },
        cuts: cutStore,
      });
      if (!cut.ok) return fail('cut', cut.message);
      out(
        `cut ${cut.value.id} #${cut.value.sequence}${cut.value.final ? ' (final)' : ''}: ${cut.value.folder} (${cut.value.seconds} s)${imageNote(cut.value.images)}${witnessNote(cut.value)}`,
      );
      return 0;
    }
    // The scheduler: a cut at every multiple of the interval on the node's clock (a drill's
    // simulated one), until the final cut — by whichever process holds the cut-builder lease.
    out(`publishing a cut every ${o.every} minutes; Ctrl-C to stop`);
    // SIGTERM (a rolling upgrade, systemd stopping the unit): a cut being built is finished and
    // published, the cut-builder lease is given back so that another builder takes over at its
    // next tick rather than after the lease expires, and the process exits.
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    // The release re-checked as serve does (release.recheckSeconds): a cut builder whose code
    // changed under it stops before its next cut — the cut in progress is finished and the
    // lease given back, as on SIGTERM — and exits 20 (docs/trust.md, section 2).
    let releaseFailed = false;
    let checkingRelease = false;
    const rechecks =
      attestation.kind === 'attested'
        ? setInterval(() => {
            if (checkingRelease || controller.signal.aborted) return;
            checkingRelease = true;
            void deployment
              .recheck(process.env)
              .then((check) => {
                if (check.ok) return;
                releaseFailed = true;
                process.stderr.write(`openprep cut: ${Deployment.describe(check)}; stopping.\n`);
                controller.abort();
              })
              .catch((error: unknown) =>
                process.stderr.write(`openprep cut: the release re-check failed to run: ${String(error)}\n`),
              )
              .finally(() => {
                checkingRelease = false;
              });
          }, config.value.release.recheckSeconds * 1000)
        : null;
    const metrics = o['metrics-file'] === undefined ? null : new SchedulerMetrics(o['metrics-file']);
    await runCutScheduler({
      node: node.value,
      intervalMs: o.every * 60_000,
      holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      signal: controller.signal,
      clock,
      sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
      images: images.blobs,
      cuts: cutStore,
      release,
      onEvent: (event) => {
        void metrics?.observe(event);
        if (event.kind === 'published')
          out(
            `cut ${event.cut.id} #${event.cut.sequence}${event.cut.final ? ' (final)' : ''}: ${event.cut.folder} (${event.cut.seconds} s)${imageNote(event.cut.images)}${witnessNote(event.cut)}`,
          );
        else if (event.kind === 'failed') process.stderr.write(`openprep cut: ${event.message}\n`);
        else if (event.kind === 'leading')
          out('this process builds the cuts (it holds the cut-builder lease)');
        else out(`standing by: ${event.holder ?? 'another process'} builds the cuts`);
      },
    });
    if (rechecks !== null) clearInterval(rechecks);
    await metrics?.observe({ kind: 'stopped' });
    return releaseFailed ? RELEASE_REFUSED_EXIT : 0;
  } finally {
    images.blobs.close();
    cutStore.close();
    await node.value.close();
  }
}

export async function runJournalVerify(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, journalVerify.options);
  if (!parsed.ok) return fail('journal verify', parsed.message, 2);
  // A damaged store fails its reads: one line for the operator, not a stack trace.
  const faultLine = (error: unknown) => {
    const fault = classifyFault(error);
    if (fault === null) throw error;
    return err('database-unreadable', `the store cannot be read: ${fault.message} (${fault.code})`);
  };
  const node = await openCenter({ root: parsed.value.options.data, clock: Date.now }).catch(faultLine);
  if (!node.ok) return fail('journal verify', node.message);
  try {
    // The same checks as serve's start: the SQLite file's pages, and the journal against the
    // last checkpoint this center signed (a journal that lost entries still hashes consistently).
    const startup = await checkNodeAtStart(node.value).catch(faultLine);
    if (!startup.ok) return fail('journal verify', startup.message);
    const result = await verifyJournal(node.value).catch(faultLine);
    if (!result.ok) return fail('journal verify', result.message);
    out(
      `journal OK: ${result.value.size} entries, ${result.value.checkpoints} signed checkpoints consistent` +
        (startup.value.signedSize === null
          ? ''
          : `, extends the last one this center signed (${startup.value.signedSize})`),
    );
    const o = parsed.value.options;
    if (o.cut !== undefined) {
      const published = await checkPublishedCut(node.value.journal, node.value.verifierKey, o.cut).catch(
        faultLine,
      );
      if (!published.ok) return fail('journal verify', published.message);
      out(
        `published cut OK: cut ${published.value.cutId}'s signed checkpoint (${published.value.size} entries) is a prefix of this journal (${published.value.journalSize}), and the cut is recorded`,
      );
    }
    if (o.images) {
      const config = await loadServeConfig({
        ...(o.config !== undefined ? { file: o.config } : {}),
        env: process.env,
        flags: {},
      });
      if (!config.ok) return fail('journal verify', config.message, 2);
      const images = await openImageStore(`${node.value.paths.root}/images`, config.value.images);
      try {
        const checked = await checkStoredImages(node.value.records, images.blobs).catch(faultLine);
        if (!checked.ok) return fail('journal verify', checked.message);
        out(
          `images OK: the ${checked.value.checked} images the store names are in ${checked.value.location} and hash to their names`,
        );
      } finally {
        images.blobs.close();
      }
    }
    return 0;
  } finally {
    await node.value.close().catch(() => undefined);
  }
}

/**
 * `openprep schema`: for a rolling upgrade's first check (deploy/drills/rolling-upgrade.sh),
 * run from each release: exit 0 when this release runs on the database as it is, 1 when not.
 */
export async function runSchema(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, schema.options);
  if (!parsed.ok) return fail('schema', parsed.message, 2);
  const status = await schemaStatus(process.env);
  if (!status.ok) return fail('schema', status.message);
  const { code, database, runs } = status.value;
  if (parsed.value.options.json) out(JSON.stringify(status.value));
  else
    out(
      `this release: schema ${code.version} (runs on schemas whose oldest reader is ${code.version} or less; its own code from ${code.oldestReader} on runs on it); ` +
        `database: ${database === null ? 'not created yet' : `schema ${database.version}, code from ${database.oldestReader} on runs on it`}; ` +
        (runs ? 'this release runs on it' : 'this release must NOT run on it'),
    );
  return runs ? 0 : 1;
}
