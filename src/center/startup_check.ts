/**
 * What a node checks before it takes any work (serve) or says a journal is whole (journal
 * verify): that the SQLite file is not damaged, and that the journal still holds everything
 * this center has signed.
 *
 * The second check catches lost storage — a disk that acknowledged writes it never made, a
 * restored snapshot, a WAL cut short: the signer remembers, in its own file beside its key
 * (src/journal/signer.ts), the size and root of the last checkpoint it signed. A journal
 * shorter than that, or whose first `size` leaves hash to another root, has lost entries
 * that receipts and published checkpoints already name; taking work on it would give their
 * leaf indices to other packages. Nothing is repaired here: the node refuses to start and
 * says what is missing (docs/journal.md, "Lost storage", says how to recover).
 */
import process from 'node:process';
import { err, ok, type Result } from '../domain/result.ts';
import { CompactRange } from '../journal/merkle.ts';
import { quickCheckSqlite } from '../store/sqlite/sqlite_store.ts';
import type { JournalReads } from '../journal/journal_port.ts';
import type { SignedState } from '../journal/signer.ts';
import { storeLocation } from './database.ts';
import type { CenterNode } from './node.ts';

export type StartupError = 'store-damaged' | 'journal-lost' | 'journal-diverged' | 'signer-unavailable';

/** Leaves read at a time when the journal is compared with the signed checkpoint. */
const LEAVES_PER_READ = 100_000;

export interface StartupReport {
  /** Milliseconds SQLite's quick_check took, or null on PostgreSQL (which checks its own pages). */
  readonly quickCheckMs: number | null;
  readonly journalSize: number;
  readonly signedSize: number | null;
}

/** Both checks, in order; the first failure is the answer. */
export async function checkNodeAtStart(
  node: CenterNode,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Result<StartupReport, StartupError>> {
  let quickCheckMs: number | null = null;
  const location = storeLocation(node.paths.database, env);
  if (location.kind === 'sqlite') {
    const started = performance.now();
    const checked = quickCheckSqlite(location.file);
    if (!checked.ok) return checked;
    quickCheckMs = Math.round(performance.now() - started);
  }
  const signed = await node.checkpointSigner.readLastSigned();
  if (!signed.ok) return err('signer-unavailable', signed.message);
  const journal = await checkJournalAgainstSigner(node.journal, signed.value);
  if (!journal.ok) return journal;
  return ok({ quickCheckMs, ...journal.value });
}

/**
 * Whether the journal extends the last checkpoint this center signed: at least as long, and
 * its first `signed.size` leaves hash to the signed root (recomputed from the stored leaves,
 * not taken from the stored frontier, which lost storage could have kept consistent).
 */
export async function checkJournalAgainstSigner(
  store: JournalReads,
  signed: SignedState | null,
): Promise<Result<{ journalSize: number; signedSize: number | null }, 'journal-lost' | 'journal-diverged'>> {
  const head = await store.journalHead();
  if (signed === null) return ok({ journalSize: head.size, signedSize: null });
  if (head.size < signed.size)
    return err(
      'journal-lost',
      `the journal holds ${head.size} entries but this center signed a checkpoint of ${signed.size}: ` +
        `entries ${head.size} to ${signed.size - 1} (${signed.size - head.size}) are missing — the storage lost ` +
        'writes it had acknowledged. Not starting, so that no leaf index is given twice; see docs/journal.md, "Lost storage"',
    );
  const range = new CompactRange();
  for (let start = 0; start < signed.size; start += LEAVES_PER_READ)
    for (const leaf of await store.journalLeafHashes(start, Math.min(signed.size, start + LEAVES_PER_READ)))
      range.append(leaf);
  if (range.size !== signed.size || !range.root().equals(signed.rootHash))
    return err(
      'journal-diverged',
      `the journal's first ${signed.size} entries are not the ones this center signed (their root differs from ` +
        'the last signed checkpoint): history was rewritten or restored from another copy. Not starting; see ' +
        'docs/journal.md, "Lost storage"',
    );
  return ok({ journalSize: head.size, signedSize: signed.size });
}
