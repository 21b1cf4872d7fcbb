/**
 * For tests that end with their center's journal: every entry must read as one of the known
 * types with exactly its fields (src/journal/entry_types.ts), which proves the writers the test
 * drove conform. Answers how many entries of each type it holds.
 */
import { type JournalEntryType, readEntry } from '../journal/entries.ts';
import type { JournalHead } from '../store/store.ts';

export async function typedJournal(store: {
  journalHead(): Promise<JournalHead>;
  journalEntries(from: number, to: number): Promise<Uint8Array[]>;
}): Promise<Map<JournalEntryType, number>> {
  const head = await store.journalHead();
  const types = new Map<JournalEntryType, number>();
  (await store.journalEntries(0, head.size)).forEach((bytes, index) => {
    const entry = readEntry(bytes);
    if (!entry.ok) throw new Error(`journal entry ${index}: ${entry.message}`);
    types.set(entry.value.type, (types.get(entry.value.type) ?? 0) + 1);
  });
  return types;
}
