/**
 * One sending round from the phone's outbox, shared by the page and the service worker: the
 * transport core's rules (retries, backoff, receipts that must verify) over the center that
 * served the app. Several triggers may fire at once (the page coming online, a background
 * sync); they share the round in progress.
 */
import { httpChannel, type ReceiptVerdict, receiptBodyVerdict, Sender } from '../agent/transport.ts';
import { loadDevice, openPhoneDb, PhoneOutbox } from './idb_outbox.ts';
import { parseVerifierKeyWeb, WEB_NOTES } from '../platform/web/web_crypto.ts';
import { openReceipt } from '../intake/receipt_body.ts';

let inProgress: Promise<number> | null = null;

export function sendPending(origin: string): Promise<number> {
  inProgress ??= round(origin).finally(() => {
    inProgress = null;
  });
  return inProgress;
}

async function round(origin: string): Promise<number> {
  const db = await openPhoneDb();
  try {
    const device = await loadDevice(db);
    if (device === null) return 0;
    const verifier = await parseVerifierKeyWeb(device.electionKey);
    if (verifier === null) throw new Error('the stored election key does not parse');
    const sender = new Sender({
      outbox: new PhoneOutbox(db),
      channels: [httpChannel('centro', origin, 60_000)],
      checkReceipt: async (item, receipt): Promise<ReceiptVerdict> => {
        const body = await openReceipt(receipt, verifier.name, verifier, WEB_NOTES);
        if (body === null) return { ok: false, message: 'the receipt is not signed by the election key' };
        return receiptBodyVerdict(body, verifier.name, item, device.deviceId);
      },
      clock: Date.now,
      random: Math.random,
      backoff: { baseMs: 2_000, maxMs: 120_000 },
      concurrency: 2,
    });
    return await sender.round();
  } finally {
    db.close();
  }
}
