/**
 * A witness of the center's journal (docs/witness.md, docs/trust.md §3): it reads the center's
 * latest checkpoint, checks that it is signed by the log's key, under the log's origin, and
 * that it extends — by an RFC 6962 consistency proof the center gives — the last checkpoint
 * this witness cosigned; only then does it cosign it (C2SP tlog-cosignature v1), durably
 * remember it, and publish the cosignature (to the center, and on its own `GET /checkpoint`).
 *
 * A smaller tree, the same size with another root, a proof that does not verify, or a peer
 * (another witness, a mirror) holding a checkpoint that does not fit with its own: an alarm,
 * written to disk and shown, and no cosignature of this log until an operator clears it. A
 * center that cannot be reached, or answers garbage, is only retried: that proves nothing.
 */
import { parseCheckpointBody } from '../journal/checkpoint.ts';
import { addCosignatureLine, cosignatureLine } from '../journal/cosignature.ts';
import { verifyConsistency } from '../journal/merkle.ts';
import { openNote, type VerifierKey } from '../journal/note.ts';
import {
  type Alarm,
  type AlarmKind,
  type CosignedState,
  readAlarms,
  readCosigned,
  type WitnessFolder,
  writeAlarms,
  writeCosigned,
} from './state.ts';

const FETCH_TIMEOUT_MS = 10_000;
const MAX_NOTE_BYTES = 16 * 1024;
const MAX_PROOF_HASHES = 128;
const MAX_RESPONSE_BYTES = 64 * 1024;

export type PollOutcome =
  | { readonly kind: 'cosigned'; readonly size: number }
  | { readonly kind: 'unchanged'; readonly size: number }
  | { readonly kind: 'alarm'; readonly alarm: Alarm }
  | { readonly kind: 'alarmed'; readonly alarms: number }
  | { readonly kind: 'unavailable'; readonly message: string };

export interface PeerView {
  readonly url: string;
  readonly at: string;
  readonly size: number | null;
  readonly status: 'consistent' | 'ahead-of-center' | 'unavailable' | 'alarm' | 'not-yet';
  readonly message: string;
}

interface Opened {
  readonly note: string;
  readonly body: string;
  readonly size: number;
  readonly rootHash: string;
}

/** A response's text, read only up to a bound: a hostile center or peer cannot make the witness hold more. */
async function fetchText(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const part = reader === undefined ? { done: true as const } : await reader.read();
    if (part.done) break;
    bytes += part.value.length;
    if (bytes > MAX_RESPONSE_BYTES) {
      await reader?.cancel();
      throw new Error(`the answer from ${url} is over ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(part.value);
  }
  return { status: response.status, text: Buffer.concat(chunks).toString('utf8') };
}

export class Witness {
  readonly folder: WitnessFolder;
  readonly logKey: VerifierKey;
  readonly logKeyText: string;
  readonly center: string;
  readonly #clock: () => number;
  readonly #say: (line: string) => void;
  #cosigned: CosignedState | null = null;
  #alarms: Alarm[] = [];
  /** The size of the last cosigned checkpoint the center accepted from this witness. */
  #postedSize = -1;
  lastPoll: { at: string; outcome: PollOutcome } | null = null;
  peers: PeerView[] = [];

  constructor(options: {
    readonly folder: WitnessFolder;
    readonly logKey: VerifierKey;
    readonly logKeyText: string;
    /** The center's base URL, e.g. https://prep.example.mx */
    readonly center: string;
    readonly clock?: () => number;
    readonly say?: (line: string) => void;
  }) {
    this.folder = options.folder;
    this.logKey = options.logKey;
    this.logKeyText = options.logKeyText;
    this.center = options.center.replace(/\/+$/, '');
    this.#clock = options.clock ?? Date.now;
    this.#say = options.say ?? (() => {});
  }

  /** Reads the folder's state; a witness that cosigned for another log key refuses to run. */
  async load(): Promise<{ ok: true } | { ok: false; message: string }> {
    const cosigned = await readCosigned(this.folder.folder);
    if (!cosigned.ok) return { ok: false, message: cosigned.message };
    const alarms = await readAlarms(this.folder.folder);
    if (!alarms.ok) return { ok: false, message: alarms.message };
    if (cosigned.value !== null && cosigned.value.logKey !== this.logKeyText)
      return {
        ok: false,
        message: `this witness cosigns the log of ${cosigned.value.logKey}, not ${this.logKeyText}; one state folder per log`,
      };
    this.#cosigned = cosigned.value;
    this.#alarms = alarms.value;
    return { ok: true };
  }

  get cosigned(): CosignedState | null {
    return this.#cosigned;
  }

  get alarms(): readonly Alarm[] {
    return this.#alarms;
  }

  /** The note this witness serves at GET /checkpoint: the last checkpoint it cosigned. */
  get servedNote(): string | null {
    return this.#cosigned?.cosignedNote ?? null;
  }

  /** Opens a checkpoint note with the log's key and checks its origin; null with why not. */
  #open(note: string): Opened | { problem: string } {
    const opened = openNote(note, [this.logKey]);
    if (!opened.ok) return { problem: `not signed by the log's key: ${opened.message}` };
    const checkpoint = parseCheckpointBody(opened.value.body);
    if (!checkpoint.ok) return { problem: checkpoint.message };
    if (checkpoint.value.origin !== `${this.logKey.name}/log`)
      return { problem: `origin "${checkpoint.value.origin}" is not "${this.logKey.name}/log"` };
    return {
      note,
      body: opened.value.body,
      size: checkpoint.value.size,
      rootHash: checkpoint.value.rootHash.toString('base64'),
    };
  }

  async #raise(kind: AlarmKind, message: string, source: string, evidence: string): Promise<Alarm> {
    const alarm: Alarm = { kind, at: new Date(this.#clock()).toISOString(), message, source, evidence };
    // The same conflict seen again (every poll) is one alarm.
    if (!this.#alarms.some((a) => a.kind === kind && a.evidence === evidence)) {
      this.#alarms = [...this.#alarms, alarm];
      await writeAlarms(this.folder.folder, this.#alarms);
      this.#say(`ALARM ${kind}: ${message} (from ${source}); cosigning stopped until an operator clears it`);
    }
    return alarm;
  }

  /** The center's consistency proof between two sizes: the hashes, or null when it cannot be had now. */
  async #proof(from: number, to: number): Promise<Buffer[] | { unavailable: string }> {
    let answer: { status: number; text: string };
    try {
      answer = await fetchText(`${this.center}/api/v1/proof/consistency?from=${from}&to=${to}`);
    } catch (error) {
      return { unavailable: `the center cannot be reached: ${(error as Error).message}` };
    }
    if (answer.status !== 200)
      return {
        unavailable: `the consistency proof ${from}→${to}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`,
      };
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      return { unavailable: 'the consistency proof is not JSON' };
    }
    const proof = (parsed as { proof?: unknown }).proof;
    const shape = parsed as { from?: unknown; to?: unknown };
    if (
      shape.from !== from ||
      shape.to !== to ||
      !Array.isArray(proof) ||
      proof.length > MAX_PROOF_HASHES ||
      !proof.every((h) => typeof h === 'string' && h.length === 44)
    )
      return { unavailable: 'the consistency proof is not {from, to, proof: [base64 hashes]}' };
    return (proof as string[]).map((h) => Buffer.from(h, 'base64'));
  }

  /** One turn: read the center's checkpoint, and cosign it if it extends what this witness saw. */
  async poll(): Promise<PollOutcome> {
    const outcome = await this.#poll();
    this.lastPoll = { at: new Date(this.#clock()).toISOString(), outcome };
    return outcome;
  }

  async #poll(): Promise<PollOutcome> {
    let answer: { status: number; text: string };
    try {
      answer = await fetchText(`${this.center}/api/v1/checkpoint`);
    } catch (error) {
      return { kind: 'unavailable', message: `the center cannot be reached: ${(error as Error).message}` };
    }
    if (answer.status !== 200 || answer.text.length > MAX_NOTE_BYTES)
      return { kind: 'unavailable', message: `the center's checkpoint: HTTP ${answer.status}` };
    const seen = this.#open(answer.text);
    if ('problem' in seen)
      return { kind: 'unavailable', message: `the center's checkpoint is ${seen.problem}` };
    if (this.#alarms.length > 0) return { kind: 'alarmed', alarms: this.#alarms.length };
    const last = this.#cosigned;
    if (last !== null) {
      if (seen.size < last.size)
        return {
          kind: 'alarm',
          alarm: await this.#raise(
            'rollback',
            `the center shows a tree of ${seen.size} entries after this witness cosigned ${last.size}`,
            this.center,
            seen.note,
          ),
        };
      if (seen.size === last.size) {
        if (seen.rootHash !== last.rootHash)
          return {
            kind: 'alarm',
            alarm: await this.#raise(
              'fork',
              `two roots for a tree of ${seen.size} entries: ${last.rootHash} (cosigned) and ${seen.rootHash}`,
              this.center,
              seen.note,
            ),
          };
        await this.#publish(last);
        return { kind: 'unchanged', size: seen.size };
      }
      const proof = await this.#proof(last.size, seen.size);
      if ('unavailable' in proof) return { kind: 'unavailable', message: proof.unavailable };
      const consistent = verifyConsistency({
        oldSize: last.size,
        newSize: seen.size,
        oldRoot: Buffer.from(last.rootHash, 'base64'),
        newRoot: Buffer.from(seen.rootHash, 'base64'),
        proof,
      });
      if (!consistent)
        return {
          kind: 'alarm',
          alarm: await this.#raise(
            'inconsistent-proof',
            `the tree of ${seen.size} entries does not extend the tree of ${last.size} this witness cosigned (the center's consistency proof fails)`,
            this.center,
            seen.note,
          ),
        };
    }
    const cosignedAt = Math.floor(this.#clock() / 1000);
    const line = cosignatureLine(seen.body, this.folder.signer, cosignedAt);
    const state: CosignedState = {
      logKey: this.logKeyText,
      size: seen.size,
      rootHash: seen.rootHash,
      cosignedNote: addCosignatureLine(seen.note, line),
      cosignedAt,
    };
    // On disk before anyone sees the cosignature: a restarted witness never cosigns an older tree.
    await writeCosigned(this.folder.folder, state);
    this.#cosigned = state;
    this.#say(`cosigned the checkpoint of ${seen.size} entries, root ${seen.rootHash}`);
    await this.#publish(state);
    return { kind: 'cosigned', size: seen.size };
  }

  /** Hands the cosigned note to the center (again, until it accepts it: the route is idempotent). */
  async #publish(state: CosignedState): Promise<void> {
    if (this.#postedSize === state.size) return;
    try {
      const answer = await fetchText(`${this.center}/api/v1/witness/cosignature`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: state.cosignedNote,
      });
      if (answer.status === 200) this.#postedSize = state.size;
      else
        this.#say(
          `the center refused the cosignature of ${state.size}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`,
        );
    } catch (error) {
      this.#say(`the cosignature of ${state.size} could not be posted: ${(error as Error).message}`);
    }
  }

  /**
   * Compares each peer's latest checkpoint (another witness's, a mirror's `GET /checkpoint`)
   * with this witness's: the same size must have the same root, and of two sizes the larger
   * must extend the smaller by the center's proof, checked against both roots. Else the log
   * shows different histories to different observers: a split view, and an alarm.
   */
  async checkPeers(urls: readonly string[]): Promise<PeerView[]> {
    const views: PeerView[] = [];
    for (const url of urls) views.push(await this.#checkPeer(url.replace(/\/+$/, '')));
    this.peers = views;
    return views;
  }

  async #checkPeer(url: string): Promise<PeerView> {
    const at = new Date(this.#clock()).toISOString();
    const view = (size: number | null, status: PeerView['status'], message: string): PeerView => ({
      url,
      at,
      size,
      status,
      message,
    });
    let answer: { status: number; text: string };
    try {
      answer = await fetchText(`${url}/checkpoint`);
    } catch (error) {
      return view(null, 'unavailable', (error as Error).message);
    }
    if (answer.status !== 200 || answer.text.length > MAX_NOTE_BYTES)
      return view(null, 'unavailable', `HTTP ${answer.status}`);
    const theirs = this.#open(answer.text);
    if ('problem' in theirs) return view(null, 'unavailable', `its checkpoint is ${theirs.problem}`);
    const mine = this.#cosigned;
    if (mine === null) return view(theirs.size, 'not-yet', 'this witness has cosigned nothing yet');
    const splitView = async (message: string) =>
      view(theirs.size, 'alarm', (await this.#raise('split-view', message, url, theirs.note)).message);
    if (theirs.size === mine.size)
      return theirs.rootHash === mine.rootHash
        ? view(theirs.size, 'consistent', 'the same checkpoint')
        : splitView(
            `${url} holds another root for the tree of ${mine.size} entries: ${theirs.rootHash}, this witness cosigned ${mine.rootHash}`,
          );
    const [small, large] =
      theirs.size < mine.size
        ? [
            { size: theirs.size, root: theirs.rootHash },
            { size: mine.size, root: mine.rootHash },
          ]
        : [
            { size: mine.size, root: mine.rootHash },
            { size: theirs.size, root: theirs.rootHash },
          ];
    const proof = await this.#proof(small.size, large.size);
    if ('unavailable' in proof)
      return view(
        theirs.size,
        theirs.size > mine.size ? 'ahead-of-center' : 'unavailable',
        proof.unavailable,
      );
    const consistent = verifyConsistency({
      oldSize: small.size,
      newSize: large.size,
      oldRoot: Buffer.from(small.root, 'base64'),
      newRoot: Buffer.from(large.root, 'base64'),
      proof,
    });
    return consistent
      ? view(theirs.size, 'consistent', `consistent with this witness's ${mine.size}`)
      : splitView(
          `${url} holds a tree of ${theirs.size} entries that does not fit with the tree of ${mine.size} this witness cosigned`,
        );
  }
}
