/**
 * People in the demo: an operator signed in to the demo's console works beside the simulated
 * capturistas, on the same queue. The simulated capturistas type actas handed out by the plan,
 * not by the center, so without this they would capture an acta a person is typing and the
 * person's capture would be refused. While a person is about (a request of a capturista or
 * coordinador in the last PRESENT_MS of real time):
 *
 * - one of the two captures of one acta in `every` (by a hash of the acta) is left to people,
 *   so their queue fills;
 * - a simulated capture never takes a place a person holds (the pipeline's `yieldToHolders`):
 *   it is put off until the person's capture is in or their claim ends.
 *
 * What was left or put off is done by the simulated capturistas after all once nobody is about
 * or it has waited LEFT_MS, and in any case before the final cut; a mismatch a person's capture
 * made (one the plan has no verifier for) is resolved with the acta's true values after LEFT_MS
 * unless a person verifier holds it. So the night's results stay whole whoever comes and goes.
 * Every wait here is real time: people type on the wall clock, whatever the night's does.
 */
import type { ActaPipeline } from '../capture/pipeline.ts';
import type { ActaRecords } from '../capture/records_port.ts';
import type { ActaFields } from '../domain/values.ts';

/** A planned simulated capture, with the acta's true values (for a mismatch a person made). */
export interface SimulatedCapture {
  readonly recordId: string;
  readonly operatorId: string;
  readonly fields: ActaFields;
  readonly truth: ActaFields;
}

/** How long after a person's last request they count as signed in and about. */
export const PRESENT_MS = 5 * 60_000;
/** How long what was left to people waits for them before the simulated capturistas do it. */
export const LEFT_MS = 5 * 60_000;
/** The simulated verifier who resolves a mismatch a person's capture made. */
const PEOPLE_VERIFIER = 'verificador-01';

interface PutOff {
  readonly capture: SimulatedCapture;
  /** Real time it was put off. */
  readonly since: number;
  /** Left to people by the share (not only held by one). */
  readonly left: boolean;
}

/** A string's FNV-1a hash: which actas are shared does not depend on when the demo started. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export class PeopleAtTheConsole {
  readonly #pipeline: ActaPipeline;
  readonly #records: Pick<ActaRecords, 'getActa'>;
  readonly #every: number;
  readonly #now: () => number;
  #lastSeen = Number.NEGATIVE_INFINITY;
  readonly #putOff: PutOff[] = [];
  /** Actas one of whose places was left to people (each at most once). */
  readonly #left = new Set<string>();
  /** Actas a person may have captured: their true values, and since when (real) in mismatch. */
  readonly #watched = new Map<string, { readonly truth: ActaFields; mismatchSince: number | null }>();

  constructor(options: {
    readonly pipeline: ActaPipeline;
    readonly records: Pick<ActaRecords, 'getActa'>;
    /** One capture of one acta in this many is left to people while one is about; 0: none. */
    readonly every: number;
    /** The wall clock. */
    readonly now: () => number;
  }) {
    this.#pipeline = options.pipeline;
    this.#records = options.records;
    this.#every = options.every;
    this.#now = options.now;
  }

  /** One capture of one acta in this many is left to people while one is about; 0: none. */
  get every(): number {
    return this.#every;
  }

  /** A person (capturista or coordinador) made a request to the console. */
  seen(): void {
    this.#lastSeen = this.#now();
  }

  get present(): boolean {
    return this.#now() - this.#lastSeen < PRESENT_MS;
  }

  /** Whether this acta is in the share left to people (when one is about). */
  shared(recordId: string): boolean {
    return this.#every > 0 && fnv1a(recordId) % this.#every === 0;
  }

  /** How many simulated captures wait for people (left, or held by one). */
  get waiting(): number {
    return this.#putOff.length;
  }

  /**
   * A planned simulated capture: left to people, put off while people hold the acta, or
   * recorded. Returns a problem to count, or null.
   */
  async capture(capture: SimulatedCapture): Promise<string | null> {
    const id = capture.recordId;
    if (this.present && !this.#left.has(id) && this.shared(id)) {
      this.#left.add(id);
      this.#putOff.push({ capture, since: this.#now(), left: true });
      this.#watch(capture);
      return null;
    }
    return this.#record(capture, this.#now(), false);
  }

  /**
   * Records what was put off and may go now (see the file's comment), and resolves the
   * mismatches people made. `final`: everything, whoever holds it, before the final cut.
   */
  async settle(final: boolean): Promise<void> {
    const now = this.#now();
    const pending = this.#putOff.splice(0);
    for (const item of pending) {
      if (!final && item.left && this.present && now - item.since < LEFT_MS) {
        this.#putOff.push(item);
        continue;
      }
      await this.#record(item.capture, item.since, final);
    }
    for (const [recordId, watched] of this.#watched) {
      const record = await this.#records.getActa(recordId);
      if (record === null) continue;
      if (record.status === 'received' || record.status === 'captured_once') continue;
      if (record.status !== 'mismatch') {
        this.#watched.delete(recordId);
        continue;
      }
      watched.mismatchSince ??= now;
      if (!final && now - watched.mismatchSince < LEFT_MS) continue;
      const resolved = await this.#pipeline.resolveMismatch({
        recordId,
        verifierId: PEOPLE_VERIFIER,
        fields: watched.truth,
        yieldToHolders: !final,
      });
      if (resolved.ok || resolved.code !== 'held-by-others') this.#watched.delete(recordId);
    }
  }

  async #record(capture: SimulatedCapture, since: number, final: boolean): Promise<string | null> {
    const recorded = await this.#pipeline.recordCapture({
      recordId: capture.recordId,
      operatorId: capture.operatorId,
      fields: capture.fields,
      yieldToHolders: !final,
    });
    if (recorded.ok) {
      // Two simulated captures that differ have a planned verifier; one beside a person's may not.
      if (recorded.value.outcome === 'mismatch' && this.#lastSeen > Number.NEGATIVE_INFINITY)
        this.#watch(capture);
      return null;
    }
    if (recorded.code === 'held-by-others') {
      this.#putOff.push({ capture, since, left: false });
      this.#watch(capture);
      return null;
    }
    // People filled the places it was planned for: nothing is missing.
    if (recorded.code === 'not-awaiting-capture' && this.#lastSeen > Number.NEGATIVE_INFINITY) {
      this.#watch(capture);
      return null;
    }
    return recorded.message;
  }

  #watch(capture: SimulatedCapture): void {
    if (!this.#watched.has(capture.recordId))
      this.#watched.set(capture.recordId, { truth: capture.truth, mismatchSince: null });
  }
}
