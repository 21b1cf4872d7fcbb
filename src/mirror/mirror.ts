/**
 * `openprep mirror`: what a difusor (a university, a newspaper) runs to republish the PREP
 * without asking its readers to trust the difusor's copy (docs/mirror.md, docs/trust.md §4).
 * Each poll reads the center's signed `latest` pointer, walks the cuts' chain back to the last
 * cut this mirror holds, and for each missing cut, oldest first: downloads every file its
 * signed manifest lists (no byte more than it states) and the catalog into a staging folder,
 * runs the project's complete verifier on it (src/verify/verify.ts, with the previous verified
 * cut), and only if everything passes renames it into the served tree; then, and only then,
 * serves the center's pointer. A cut that fails goes to quarantine with the verifier's report.
 * It also compares notes with other mirrors (`--peer`): two signed manifests for the same
 * sequence, or a chain that does not contain ours, is a split view — an alarm, kept on disk.
 */
import { appendFile, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../domain/result.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { parseVerifierKey } from '../journal/note.ts';
import { safeRelativePath } from '../platform/web/paths.ts';
import { type Manifest, openManifest } from '../verify/core/manifest.ts';
import { openLatestPointer, type LatestPointer } from '../verify/core/pointer.ts';
import type { VerifierCrypto } from '../verify/core/ports.ts';
import { nodeVerifierCrypto, sha256Hex } from '../verify/node_crypto.ts';
import { type VerifyReport, verifyCut } from '../verify/verify.ts';
import { downloadFile, fetchBounded, urlOf } from './fetch.ts';

const CUT_ID = /^[0-9]{8}_[0-9]{4}$/;
const POINTER_BYTES = 64 * 1024;
const MANIFEST_BYTES = 64 * 1024 * 1024;
/** The catalog's size is signed only by its hash: a national catalog is ~20 MB. */
const CATALOG_BYTES = 512 * 1024 * 1024;
/** How far back a chain is walked in one poll (a night has about a hundred cuts). */
const MAX_CHAIN = 5000;
/** How many quarantined attempts the status lists (the folder keeps them all). */
const STATUS_QUARANTINE = 20;

export interface MirrorOptions {
  /** The center's public root of cuts, ending with `/`. */
  readonly center: string;
  /** The election's public key (note.ts verifier key text): the only thing the mirror trusts. */
  readonly publicKey: string;
  readonly data: string;
  /** Other mirrors' roots, each ending with `/`. */
  readonly peers?: readonly string[];
  readonly timeoutMs?: number;
  readonly log?: (event: Record<string, unknown>) => void;
  readonly now?: () => Date;
}

/** A failure the mirror states: `transient` faults are retried, every other kind is a verdict on what was served. */
export type RejectionKind =
  | 'bad-pointer'
  | 'stale-pointer'
  | 'bad-manifest'
  | 'chain-mismatch'
  | 'oversize'
  | 'unsafe-path'
  | 'verification-failed';

export interface Rejection {
  readonly at: string;
  readonly kind: RejectionKind;
  readonly cut: string | null;
  readonly reason: string;
  /** The quarantine folder (relative to the data folder), with report.json, when the cut was staged. */
  readonly folder: string | null;
  /** The verifier's failed checks, when it ran. */
  readonly failedChecks: readonly string[];
}

export interface SplitView {
  readonly at: string;
  /** Who showed the other history: the center itself, or a peer mirror (its URL). */
  readonly source: string;
  readonly sequence: number;
  readonly ours: { readonly cut: string; readonly manifestSha256: string };
  readonly theirs: { readonly cut: string; readonly manifestSha256: string };
  readonly detail: string;
}

export type PeerState = 'agrees' | 'split' | 'unreachable' | 'bad-pointer' | 'unknown';

export interface PeerStatus {
  readonly url: string;
  readonly state: PeerState;
  readonly cut: string | null;
  readonly checkedAt: string;
  readonly detail: string;
}

export interface HeldCut {
  readonly cut: string;
  readonly sequence: number;
  readonly manifestSha256: string;
  readonly time: string;
  readonly checkpoint: string;
}

export interface MirrorStatus {
  readonly format: 'openprep-mirror-status/1';
  readonly center: string;
  readonly key: string;
  readonly latest: HeldCut | null;
  readonly verifiedCuts: number;
  readonly lastPoll: {
    readonly at: string;
    readonly outcome: 'up-to-date' | 'updated' | 'rejected' | 'transient';
    readonly detail: string;
  } | null;
  readonly counts: {
    readonly polls: number;
    readonly cutsVerified: number;
    readonly rejected: number;
    readonly transient: number;
    readonly splitViews: number;
  };
  readonly quarantine: readonly Rejection[];
  readonly peers: readonly PeerStatus[];
  readonly splitViews: readonly SplitView[];
}

interface Fetched {
  readonly manifest: Manifest;
  readonly manifestBytes: Buffer;
  readonly signature: Buffer;
  readonly sha256: string;
}

type Step = Result<void, 'transient' | RejectionKind>;

export class Mirror {
  readonly #options: MirrorOptions;
  readonly #crypto: VerifierCrypto;
  readonly #keyName: string;
  readonly #timeoutMs: number;
  readonly #log: (event: Record<string, unknown>) => void;
  readonly #held = new Map<string, HeldCut>();
  #pointer: { readonly json: Buffer; readonly sig: Buffer } | null = null;
  #lastPoll: MirrorStatus['lastPoll'] = null;
  readonly #counts = { polls: 0, cutsVerified: 0, rejected: 0, transient: 0, splitViews: 0 };
  readonly #quarantine: Rejection[] = [];
  readonly #peers = new Map<string, PeerStatus>();
  readonly #splits: SplitView[] = [];
  #polling: Promise<void> | null = null;

  private constructor(options: MirrorOptions, crypto: VerifierCrypto, keyName: string) {
    this.#options = options;
    this.#crypto = crypto;
    this.#keyName = keyName;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#log = options.log ?? (() => {});
  }

  /** Opens the data folder: the cuts it already verified, its pointer and its recorded split views. */
  static async open(options: MirrorOptions): Promise<Result<Mirror, 'bad-key'>> {
    const key = parseVerifierKey(options.publicKey);
    if (!key.ok) return err('bad-key', `the election's public key: ${key.message}`);
    const mirror = new Mirror(options, nodeVerifierCrypto(key.value), key.value.name);
    await mirror.#load();
    return ok(mirror);
  }

  get served(): string {
    return path.join(this.#options.data, 'public');
  }

  #dir(name: 'public' | 'staging' | 'quarantine'): string {
    return path.join(this.#options.data, name);
  }

  #now(): string {
    return (this.#options.now?.() ?? new Date()).toISOString();
  }

  async #load(): Promise<void> {
    for (const name of ['public', 'staging', 'quarantine'] as const)
      await mkdir(this.#dir(name), { recursive: true });
    // A staging folder left by a crash holds nothing verified.
    for (const leftover of await readdir(this.#dir('staging')))
      await rm(path.join(this.#dir('staging'), leftover), { recursive: true, force: true });
    for (const name of await readdir(this.served)) {
      if (!CUT_ID.test(name)) continue;
      const folder = path.join(this.served, name);
      // Only this mirror renames a cut in here, after it verified it; a folder whose manifest
      // does not open with the key (someone else's, or broken) is moved out of the served tree,
      // and the center's copy is fetched again.
      const bytes = await readFile(path.join(folder, 'manifest.json')).catch(() => null);
      const signature = await readFile(path.join(folder, 'manifest.sig')).catch(() => null);
      const failures: string[] = [];
      const opened =
        bytes === null || signature === null
          ? null
          : await openManifest(bytes, signature, this.#crypto, {
              fail: (_id, detail) => failures.push(detail),
              failed: () => failures.length > 0,
            });
      if (opened?.value !== undefined && failures.length === 0 && opened.value.manifest.cut.id === name)
        this.#hold(opened.value.manifest, opened.value.manifestBytes);
      else
        await rename(folder, path.join(this.#dir('quarantine'), `${name}.unverified-at-start.${Date.now()}`));
    }
    try {
      this.#pointer = {
        json: await readFile(path.join(this.served, 'latest.json')),
        sig: await readFile(path.join(this.served, 'latest.sig')),
      };
    } catch {
      this.#pointer = null;
    }
    try {
      const lines = (await readFile(this.#alarmsFile(), 'utf8')).split('\n').filter((l) => l !== '');
      for (const line of lines) this.#splits.push(JSON.parse(line) as SplitView);
      this.#counts.splitViews = this.#splits.length;
    } catch {
      // No alarm recorded yet.
    }
  }

  #alarmsFile(): string {
    return path.join(this.#options.data, 'split-views.jsonl');
  }

  #hold(manifest: Manifest, bytes: Uint8Array): void {
    this.#held.set(manifest.cut.id, {
      cut: manifest.cut.id,
      sequence: manifest.cut.sequence,
      manifestSha256: sha256Hex(bytes),
      time: manifest.cut.time,
      checkpoint: manifest.journal.checkpoint,
    });
  }

  /** The newest verified cut (the one the served pointer names). */
  latest(): HeldCut | null {
    let best: HeldCut | null = null;
    for (const cut of this.#held.values()) if (best === null || cut.sequence > best.sequence) best = cut;
    return best;
  }

  /** The served `latest.json` and `latest.sig`, swapped together in memory so no reader gets one without the other. */
  pointer(): { readonly json: Buffer; readonly sig: Buffer } | null {
    return this.#pointer;
  }

  peers(): readonly string[] {
    return this.#options.peers ?? [];
  }

  status(): MirrorStatus {
    return {
      format: 'openprep-mirror-status/1',
      center: this.#options.center,
      key: this.#keyName,
      latest: this.latest(),
      verifiedCuts: this.#held.size,
      lastPoll: this.#lastPoll,
      counts: { ...this.#counts },
      quarantine: this.#quarantine.slice(-STATUS_QUARANTINE),
      peers: [...this.#peers.values()],
      splitViews: [...this.#splits],
    };
  }

  /** One poll of the center, then of the peers; concurrent calls share the running one. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = null;
    });
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    this.#counts.polls++;
    const before = this.latest()?.cut ?? null;
    const result = await this.#followCenter();
    const at = this.#now();
    if (!result.ok && result.code === 'transient') {
      this.#counts.transient++;
      this.#lastPoll = { at, outcome: 'transient', detail: result.message };
      this.#log({ event: 'transient', detail: result.message });
    } else if (!result.ok) {
      this.#lastPoll = { at, outcome: 'rejected', detail: `${result.code}: ${result.message}` };
    } else {
      const now = this.latest()?.cut ?? null;
      this.#lastPoll = {
        at,
        outcome: now === before ? 'up-to-date' : 'updated',
        detail: now === null ? 'no cut yet' : `serving ${now}`,
      };
    }
    await this.#comparePeers();
    await writeFileDurably(
      path.join(this.#options.data, 'status.json'),
      `${JSON.stringify(this.status(), null, 2)}\n`,
    );
  }

  async #reject(
    kind: RejectionKind,
    cut: string | null,
    reason: string,
    staged: string | null = null,
    report: VerifyReport | null = null,
  ): Promise<Step> {
    const at = this.#now();
    let folder: string | null = null;
    if (staged !== null) {
      // Never served: kept beside the served tree with the verifier's words, for the difusor to read.
      const name = `${cut ?? 'pointer'}.${at.replace(/[:.]/g, '-')}`;
      folder = path.join('quarantine', name);
      await rename(staged, path.join(this.#options.data, folder));
      await writeFile(
        path.join(this.#options.data, folder, 'report.json'),
        `${JSON.stringify({ kind, cut, reason, report }, null, 2)}\n`,
      );
    }
    const failedChecks = report?.checks.filter((c) => c.status === 'fail').map((c) => c.id) ?? [];
    const rejection: Rejection = { at, kind, cut, reason, folder, failedChecks };
    this.#quarantine.push(rejection);
    if (this.#quarantine.length > STATUS_QUARANTINE) this.#quarantine.shift();
    this.#counts.rejected++;
    this.#log({ event: 'rejected', ...rejection });
    return err(kind, reason);
  }

  async #split(view: Omit<SplitView, 'at'>): Promise<void> {
    const known = this.#splits.some(
      (s) =>
        s.source === view.source &&
        s.theirs.manifestSha256 === view.theirs.manifestSha256 &&
        s.ours.manifestSha256 === view.ours.manifestSha256,
    );
    if (known) return;
    const recorded: SplitView = { at: this.#now(), ...view };
    this.#splits.push(recorded);
    this.#counts.splitViews++;
    await appendFile(this.#alarmsFile(), `${JSON.stringify(recorded)}\n`);
    this.#log({ event: 'split-view', ...recorded });
  }

  async #fetchPointer(
    base: string,
  ): Promise<Result<{ pointer: LatestPointer; json: Buffer; sig: Buffer }, 'transient' | 'bad-pointer'>> {
    const json = await fetchBounded(urlOf(base, 'latest.json'), POINTER_BYTES, this.#timeoutMs);
    if (!json.ok) return err(json.code === 'transient' ? 'transient' : 'bad-pointer', json.message);
    const sig = await fetchBounded(urlOf(base, 'latest.sig'), POINTER_BYTES, this.#timeoutMs);
    if (!sig.ok) return err(sig.code === 'transient' ? 'transient' : 'bad-pointer', sig.message);
    const opened = await openLatestPointer(json.value, sig.value, this.#crypto);
    if (opened.pointer === null || opened.failures.length > 0)
      return err('bad-pointer', opened.failures.join('; ') || 'latest.json names no cut');
    return ok({ pointer: opened.pointer, json: json.value, sig: sig.value });
  }

  /** A cut's manifest from `base`, its signature checked and, when given, its SHA-256 as a pointer or successor names it. */
  async #fetchManifest(
    base: string,
    cut: string,
    expectedSha256: string | null,
  ): Promise<Result<Fetched, 'transient' | 'bad-manifest' | 'oversize'>> {
    if (!CUT_ID.test(cut)) return err('bad-manifest', `${cut} is not a cut id`);
    const bytes = await fetchBounded(urlOf(base, `${cut}/manifest.json`), MANIFEST_BYTES, this.#timeoutMs);
    if (!bytes.ok) return err(bytes.code === 'transient' ? 'transient' : 'oversize', bytes.message);
    const sig = await fetchBounded(urlOf(base, `${cut}/manifest.sig`), POINTER_BYTES, this.#timeoutMs);
    if (!sig.ok) return err(sig.code === 'transient' ? 'transient' : 'oversize', sig.message);
    const failures: string[] = [];
    const opened = await openManifest(bytes.value, sig.value, this.#crypto, {
      fail: (_id, detail) => failures.push(detail),
      failed: () => failures.length > 0,
    });
    if (opened.error !== undefined) return err('bad-manifest', `${cut}: ${opened.error}`);
    if (failures.length > 0) return err('bad-manifest', `${cut}: ${failures.join('; ')}`);
    const sha256 = sha256Hex(bytes.value);
    if (expectedSha256 !== null && sha256 !== expectedSha256)
      return err(
        'bad-manifest',
        `${cut}/manifest.json hashes to ${sha256}, not the ${expectedSha256} it is named by`,
      );
    if (opened.value.manifest.cut.id !== cut)
      return err('bad-manifest', `${cut}/manifest.json is the manifest of ${opened.value.manifest.cut.id}`);
    return ok({ manifest: opened.value.manifest, manifestBytes: bytes.value, signature: sig.value, sha256 });
  }

  async #followCenter(): Promise<Step> {
    const center = this.#options.center;
    const fetched = await this.#fetchPointer(center);
    if (!fetched.ok)
      return fetched.code === 'transient' ? fetched : this.#reject('bad-pointer', null, fetched.message);
    const { pointer } = fetched.value;
    const ours = this.latest();
    const held = this.#held.get(pointer.cut);
    if (held !== undefined) {
      if (held.manifestSha256 !== pointer.manifestSha256) {
        await this.#split({
          source: center,
          sequence: held.sequence,
          ours: { cut: held.cut, manifestSha256: held.manifestSha256 },
          theirs: { cut: pointer.cut, manifestSha256: pointer.manifestSha256 },
          detail: `the center's latest.json names another manifest for ${pointer.cut}`,
        });
        return this.#reject(
          'chain-mismatch',
          pointer.cut,
          'the center now signs another manifest for a cut this mirror verified',
        );
      }
      if (ours !== null && held.sequence < ours.sequence)
        return this.#reject(
          'stale-pointer',
          pointer.cut,
          `latest.json points back to ${pointer.cut} (#${held.sequence}), behind ${ours.cut} (#${ours.sequence})`,
        );
      await this.#servePointer(fetched.value.json, fetched.value.sig);
      return ok(undefined);
    }
    // The chain from the pointed cut back to the newest cut held (or the night's first).
    const chain: Fetched[] = [];
    let expected: { cut: string; sha256: string } | null = {
      cut: pointer.cut,
      sha256: pointer.manifestSha256,
    };
    while (expected !== null) {
      if (chain.length >= MAX_CHAIN)
        return this.#reject('chain-mismatch', pointer.cut, 'the chain of cuts is too long');
      const got = await this.#fetchManifest(center, expected.cut, expected.sha256);
      if (!got.ok) {
        if (got.code === 'transient') return got;
        return this.#reject(got.code, expected.cut, got.message);
      }
      const manifest = got.value.manifest;
      if (chain.length === 0 && ours !== null && manifest.cut.sequence <= ours.sequence) {
        const same = [...this.#held.values()].find((c) => c.sequence === manifest.cut.sequence);
        if (same !== undefined)
          await this.#split({
            source: center,
            sequence: manifest.cut.sequence,
            ours: { cut: same.cut, manifestSha256: same.manifestSha256 },
            theirs: { cut: manifest.cut.id, manifestSha256: got.value.sha256 },
            detail: `the center signs ${manifest.cut.id} for sequence ${manifest.cut.sequence}, this mirror verified ${same.cut}`,
          });
        return this.#reject(
          'stale-pointer',
          manifest.cut.id,
          `latest.json points to ${manifest.cut.id} (#${manifest.cut.sequence}), not after ${ours.cut} (#${ours.sequence})`,
        );
      }
      chain.push(got.value);
      const previous = manifest.previous;
      if (previous === null) {
        if (ours !== null) {
          await this.#split({
            source: center,
            sequence: ours.sequence,
            ours: { cut: ours.cut, manifestSha256: ours.manifestSha256 },
            theirs: { cut: pointer.cut, manifestSha256: pointer.manifestSha256 },
            detail: `the center's chain from ${pointer.cut} starts over without ${ours.cut}`,
          });
          return this.#reject(
            'chain-mismatch',
            pointer.cut,
            `the center's chain does not contain ${ours.cut}`,
          );
        }
        expected = null;
      } else {
        const heldPrevious = this.#held.get(previous.id);
        if (heldPrevious !== undefined) {
          if (heldPrevious.manifestSha256 !== previous.manifestSha256) {
            await this.#split({
              source: center,
              sequence: heldPrevious.sequence,
              ours: { cut: heldPrevious.cut, manifestSha256: heldPrevious.manifestSha256 },
              theirs: { cut: previous.id, manifestSha256: previous.manifestSha256 },
              detail: `${manifest.cut.id} extends another ${previous.id} than the one this mirror verified`,
            });
            return this.#reject(
              'chain-mismatch',
              manifest.cut.id,
              `${manifest.cut.id} does not extend the ${previous.id} this mirror verified`,
            );
          }
          expected = null;
        } else if (ours !== null && manifest.cut.sequence - 1 <= ours.sequence) {
          // The previous cut is at or behind ours yet is not ours: another history.
          await this.#split({
            source: center,
            sequence: manifest.cut.sequence - 1,
            ours: { cut: ours.cut, manifestSha256: ours.manifestSha256 },
            theirs: { cut: previous.id, manifestSha256: previous.manifestSha256 },
            detail: `${manifest.cut.id} extends ${previous.id}, which is not in this mirror's chain`,
          });
          return this.#reject(
            'chain-mismatch',
            manifest.cut.id,
            `the center's chain does not contain ${ours.cut}`,
          );
        } else expected = { cut: previous.id, sha256: previous.manifestSha256 };
      }
    }
    for (const cut of chain.reverse()) {
      const isPointed = cut.manifest.cut.id === pointer.cut;
      const step = await this.#stageAndVerify(cut, isPointed ? fetched.value : null);
      if (!step.ok) return step;
    }
    await this.#servePointer(fetched.value.json, fetched.value.sig);
    return ok(undefined);
  }

  async #servePointer(json: Buffer, sig: Buffer): Promise<void> {
    if (this.#pointer?.json.equals(json) && this.#pointer.sig.equals(sig)) return;
    // On disk for a restart (temporary names are dot-files, which are never served); readers
    // get the pair from memory, swapped at once.
    for (const [name, bytes] of [
      ['latest.json', json],
      ['latest.sig', sig],
    ] as const) {
      const temporary = path.join(this.served, `.${name}.tmp`);
      await writeFileDurably(temporary, bytes);
      await rename(temporary, path.join(this.served, name));
    }
    this.#pointer = { json, sig };
    this.#log({ event: 'serving', cut: this.latest()?.cut ?? null });
  }

  async #stageAndVerify(
    cut: Fetched,
    pointer: { readonly json: Buffer; readonly sig: Buffer } | null,
  ): Promise<Step> {
    const { manifest } = cut;
    const id = manifest.cut.id;
    const center = this.#options.center;
    const stage = path.join(this.#dir('staging'), `${id}.${process.pid}.${Date.now()}`);
    const folder = path.join(stage, id);
    await mkdir(folder, { recursive: true });
    const abandon = async (step: Step): Promise<Step> => {
      await rm(stage, { recursive: true, force: true });
      return step;
    };
    await writeFile(path.join(folder, 'manifest.json'), cut.manifestBytes);
    await writeFile(path.join(folder, 'manifest.sig'), cut.signature);
    for (const file of manifest.files) {
      if (!safeRelativePath(file.path) || file.path === 'manifest.json' || file.path === 'manifest.sig')
        return this.#reject('unsafe-path', id, `the manifest lists ${JSON.stringify(file.path)}`, stage);
      const got = await downloadFile(
        urlOf(center, `${id}/${file.path}`),
        folder,
        file.path,
        file.bytes,
        this.#timeoutMs,
      );
      if (!got.ok) {
        if (got.code === 'transient') return abandon(err('transient', got.message));
        return this.#reject(got.code === 'too-large' ? 'oversize' : 'unsafe-path', id, got.message, stage);
      }
    }
    // The cut's zip is not listed (it holds the manifest): its size is bounded by what it can
    // carry — each contest's zip with at most every listed file — and V14 checks every entry.
    const zipName = `${id}_PREP.zip`;
    const listedBytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0) + cut.manifestBytes.length;
    const zipBound = (manifest.contests.length + 1) * listedBytes + 1024 * 1024;
    const zip = await downloadFile(
      urlOf(center, `${id}/${zipName}`),
      folder,
      zipName,
      zipBound,
      this.#timeoutMs,
    );
    if (!zip.ok) {
      if (zip.code === 'transient') return abandon(err('transient', zip.message));
      return this.#reject(zip.code === 'too-large' ? 'oversize' : 'unsafe-path', id, zip.message, stage);
    }
    // The catalog and the election definition: the manifest names them beside the cut
    // (`../catalogo/…`) with their SHA-256, which the verifier checks (V11).
    for (const [relative, sha256] of [
      [manifest.catalog.path, manifest.catalog.sha256],
      [manifest.catalog.electionPath, manifest.catalog.electionSha256],
    ] as const) {
      const name = path.posix.normalize(path.posix.join(id, relative));
      if (!/^catalogo\/[^/]+$/.test(name) || !safeRelativePath(name))
        return this.#reject(
          'unsafe-path',
          id,
          `the manifest names its catalog at ${JSON.stringify(relative)}`,
          stage,
        );
      const local = path.join(this.served, ...name.split('/'));
      const have = await readFile(local).catch(() => null);
      if (have !== null && sha256Hex(have) === sha256) {
        await mkdir(path.join(stage, 'catalogo'), { recursive: true });
        await copyFile(local, path.join(stage, ...name.split('/')));
        continue;
      }
      const got = await downloadFile(urlOf(center, name), stage, name, CATALOG_BYTES, this.#timeoutMs);
      if (!got.ok) {
        if (got.code === 'transient') return abandon(err('transient', got.message));
        return this.#reject(got.code === 'too-large' ? 'oversize' : 'unsafe-path', id, got.message, stage);
      }
    }
    if (pointer !== null) {
      // The pointed cut is verified with the pointer beside it, as the center publishes it (V16).
      await writeFile(path.join(stage, 'latest.json'), pointer.json);
      await writeFile(path.join(stage, 'latest.sig'), pointer.sig);
    }
    const previous = manifest.previous === null ? undefined : path.join(this.served, manifest.previous.id);
    const report = await verifyCut({
      cut: folder,
      publicKey: this.#options.publicKey,
      ...(previous !== undefined ? { previous } : {}),
    });
    if (!report.ok) {
      const failed = report.checks.filter((c) => c.status === 'fail');
      const reason = failed.map((c) => `${c.id} ${c.title}: ${c.detail}`).join('; ');
      return this.#reject('verification-failed', id, reason, stage, report);
    }
    // Everything passed: the cut enters the served tree in one rename, the catalog with the first.
    const catalogo = path.join(this.served, 'catalogo');
    if (!(await readdir(catalogo).catch(() => null))) await rename(path.join(stage, 'catalogo'), catalogo);
    await rename(folder, path.join(this.served, id));
    await rm(stage, { recursive: true, force: true });
    this.#hold(manifest, cut.manifestBytes);
    this.#counts.cutsVerified++;
    this.#log({ event: 'verified', cut: id, sequence: manifest.cut.sequence });
    return ok(undefined);
  }

  /** Each peer's latest cut against the cut this mirror verified at the same sequence. */
  async #comparePeers(): Promise<void> {
    for (const peer of this.#options.peers ?? []) {
      const state = await this.#comparePeer(peer);
      this.#peers.set(peer, { url: peer, checkedAt: this.#now(), ...state });
      if (state.state === 'split') this.#log({ event: 'peer-split', peer, ...state });
    }
  }

  async #comparePeer(peer: string): Promise<Omit<PeerStatus, 'url' | 'checkedAt'>> {
    const fetched = await this.#fetchPointer(peer);
    if (!fetched.ok)
      return {
        state: fetched.code === 'transient' ? 'unreachable' : 'bad-pointer',
        cut: null,
        detail: fetched.message,
      };
    const { pointer } = fetched.value;
    const ours = this.latest();
    if (ours === null) return { state: 'unknown', cut: pointer.cut, detail: 'this mirror holds no cut yet' };
    const splitWith = async (
      sequence: number,
      mine: HeldCut,
      theirs: { cut: string; manifestSha256: string },
      detail: string,
    ) => {
      await this.#split({
        source: peer,
        sequence,
        ours: { cut: mine.cut, manifestSha256: mine.manifestSha256 },
        theirs,
        detail,
      });
      return { state: 'split' as const, cut: pointer.cut, detail };
    };
    const held = this.#held.get(pointer.cut);
    if (held !== undefined)
      return held.manifestSha256 === pointer.manifestSha256
        ? { state: 'agrees', cut: pointer.cut, detail: `same manifest for ${pointer.cut}` }
        : splitWith(
            held.sequence,
            held,
            { cut: pointer.cut, manifestSha256: pointer.manifestSha256 },
            `two signed manifests for ${pointer.cut}`,
          );
    // Not a cut this mirror holds: the peer's signed chain, back to our sequence.
    let expected: { cut: string; sha256: string } | null = {
      cut: pointer.cut,
      sha256: pointer.manifestSha256,
    };
    for (let steps = 0; expected !== null && steps < MAX_CHAIN; steps++) {
      const got = await this.#fetchManifest(peer, expected.cut, expected.sha256);
      if (!got.ok)
        return {
          state: got.code === 'transient' ? 'unreachable' : 'bad-pointer',
          cut: pointer.cut,
          detail: got.message,
        };
      const { manifest } = got.value;
      const mine = [...this.#held.values()].find((c) => c.sequence === manifest.cut.sequence);
      if (mine !== undefined) {
        if (mine.cut === manifest.cut.id && mine.manifestSha256 === got.value.sha256)
          return { state: 'agrees', cut: pointer.cut, detail: `${pointer.cut} extends ${mine.cut}` };
        return splitWith(
          manifest.cut.sequence,
          mine,
          { cut: manifest.cut.id, manifestSha256: got.value.sha256 },
          `two signed manifests for sequence ${manifest.cut.sequence}: ${mine.cut} here, ${manifest.cut.id} there`,
        );
      }
      if (manifest.cut.sequence < ours.sequence || manifest.previous === null)
        return {
          state: 'unknown',
          cut: pointer.cut,
          detail: `the peer's chain has no cut at a sequence this mirror holds`,
        };
      expected = { cut: manifest.previous.id, sha256: manifest.previous.manifestSha256 };
    }
    return { state: 'unknown', cut: pointer.cut, detail: "the peer's chain is too long to compare" };
  }
}
