/**
 * Test helper for the kill -9 test: writes acta records with their journal entries as fast as
 * it can and prints `ack <id>` only after each transaction has committed. Idempotent across
 * restarts: an id already present is skipped, as a retrying device would be answered.
 */
import process from 'node:process';
import { openSqliteStore } from './sqlite_store.ts';

const [file, round] = process.argv.slice(2);
const opened = openSqliteStore(file!);
if (!opened.ok) throw new Error(opened.message);
const store = opened.value;
for (let i = 0; ; i++) {
  const id = `r${round}-${i}`;
  await store.transaction(async (tx) => {
    if ((await tx.getActa(id)) !== null) return;
    await tx.putActa(
      {
        recordId: id,
        contest: 'PRES',
        actaKey: null,
        casillaKey: null,
        tipoActa: null,
        identification: {
          claimedKey: id,
          entidad: null,
          distrito: null,
          seccion: null,
          tipo: null,
          id: null,
          extension: null,
          tipoActa: null,
        },
        status: 'received',
        round: 0,
        captures: [],
        submission: null,
        additionalImages: [],
        published: null,
        previousVersions: [],
        cotejada: 0,
        sinActaReason: null,
      },
      i,
    );
    await tx.appendJournal({
      type: 'SUBMISSION_REGISTERED',
      at: i,
      recordId: id,
      contest: 'PRES',
      inCatalog: false,
      claimedKey: id,
      submission: {
        imageSha256: '0'.repeat(64),
        origin: 'CATD',
        digitization: 'ESCANER',
        documentType: 'ACTA_PREP',
        transfer: null,
        acopioAt: i,
        source: 'crash-writer',
      },
    });
  });
  process.stdout.write(`ack ${id}\n`);
}
