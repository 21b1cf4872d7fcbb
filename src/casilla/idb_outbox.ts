/**
 * PREP Casilla's outbox, in the phone's IndexedDB: the device (its non-exportable key pair,
 * its id, the election's verifier key) and every acta photo as a signed package until a
 * receipt that verifies comes back. IndexedDB keeps it when the network is gone for hours,
 * the tab is closed or the phone restarts; the transport core (../agent/transport.ts) sends
 * from it, in the page and in the service worker alike.
 */
import type { ItemState, OutboxItem, OutboxStore } from '../agent/transport.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { PACKAGE_FORMAT } from '../intake/package_format.ts';
import { sha256Hex, signHeader } from '../platform/web/web_crypto.ts';

const DB_NAME = 'openprep-casilla';

export interface PhoneDevice {
  readonly deviceId: string;
  readonly keyPair: CryptoKeyPair;
  /** The election's public key (C2SP verifier key text), given by the center at enrolment. */
  readonly electionKey: string;
  readonly contests: readonly string[];
  readonly utcOffsetMinutes: number;
  readonly nextSequence: number;
}

export interface PhoneItem extends OutboxItem {
  readonly contest: string;
  readonly claimedKey: string;
  readonly queuedAt: number;
  readonly image: ArrayBuffer;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export function openPhoneDb(): Promise<IDBDatabase> {
  const opening = indexedDB.open(DB_NAME, 1);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    db.createObjectStore('device');
    db.createObjectStore('items', { keyPath: 'sequence' });
  };
  return request(opening);
}

export async function loadDevice(db: IDBDatabase): Promise<PhoneDevice | null> {
  const tx = db.transaction('device', 'readonly');
  return ((await request(tx.objectStore('device').get('self'))) as PhoneDevice | undefined) ?? null;
}

export async function saveDevice(db: IDBDatabase, device: PhoneDevice): Promise<void> {
  const tx = db.transaction('device', 'readwrite');
  tx.objectStore('device').put(device, 'self');
  await done(tx);
}

export class PhoneOutbox implements OutboxStore {
  readonly #db: IDBDatabase;

  constructor(db: IDBDatabase) {
    this.#db = db;
  }

  /**
   * Signs and stores a photo. The sequence number is taken in a transaction of its own first
   * (signing is asynchronous and would end an IndexedDB transaction): a crash in between only
   * leaves a number unused, never two packages with one number.
   */
  async queue(photo: {
    image: ArrayBuffer;
    contentType: 'image/jpeg' | 'image/png';
    contest: string;
    claimedKey: string;
    /** The CAE confirmed the key of an acta whose QR label the center could not match. */
    keyConfirmed?: boolean;
  }): Promise<PhoneItem> {
    const reserve = this.#db.transaction('device', 'readwrite');
    const store = reserve.objectStore('device');
    const device = (await request(store.get('self'))) as PhoneDevice | undefined;
    if (device === undefined) throw new Error('this phone is not enrolled');
    store.put({ ...device, nextSequence: device.nextSequence + 1 }, 'self');
    await done(reserve);
    const sequence = device.nextSequence;
    const now = Date.now();
    const imageSha256 = await sha256Hex(new Uint8Array(photo.image));
    const signed = await signHeader(
      {
        format: PACKAGE_FORMAT,
        contest: photo.contest,
        claimedKey: photo.claimedKey,
        origin: 'CASILLA',
        digitization: 'MOVIL',
        documentType: 'ACTA_PREP',
        transfer: null,
        deviceId: device.deviceId,
        sequence,
        deviceTime: formatIsoLocal(now, device.utcOffsetMinutes),
        imageSha256,
        ...(photo.keyConfirmed === true ? { keyConfirmed: true as const } : {}),
      },
      device.keyPair.privateKey,
    );
    const item: PhoneItem = {
      sequence,
      packageText: signed.text,
      signature: signed.signature,
      packageSha256: signed.sha256,
      imageSha256,
      contentType: photo.contentType,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: 0,
      lastError: null,
      receipt: null,
      deliveredVia: null,
      contest: photo.contest,
      claimedKey: photo.claimedKey,
      queuedAt: now,
      image: photo.image,
    };
    const tx = this.#db.transaction('items', 'readwrite');
    tx.objectStore('items').add(item);
    await done(tx);
    return item;
  }

  async all(): Promise<PhoneItem[]> {
    const tx = this.#db.transaction('items', 'readonly');
    return (await request(tx.objectStore('items').getAll())) as PhoneItem[];
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    return (await this.all())
      .filter((item) => item.state === 'pending' && item.nextAttemptAt <= now)
      .slice(0, limit);
  }

  async nextDue(): Promise<number | null> {
    const pending = (await this.all()).filter((item) => item.state === 'pending');
    return pending.length === 0 ? null : Math.min(...pending.map((item) => item.nextAttemptAt));
  }

  async image(item: OutboxItem): Promise<Uint8Array> {
    const tx = this.#db.transaction('items', 'readonly');
    const stored = (await request(tx.objectStore('items').get(item.sequence))) as PhoneItem | undefined;
    if (stored === undefined) throw new Error(`package ${item.sequence} is gone from the outbox`);
    return new Uint8Array(stored.image);
  }

  async #update(sequence: number, change: (item: PhoneItem) => Partial<PhoneItem>): Promise<void> {
    const tx = this.#db.transaction('items', 'readwrite');
    const store = tx.objectStore('items');
    const item = (await request(store.get(sequence))) as PhoneItem | undefined;
    // Done is done: a late answer never turns a delivered package back.
    if (item !== undefined && item.state === 'pending') store.put({ ...item, ...change(item) });
    await done(tx);
  }

  /**
   * The network is back: what waited out a backoff while it was gone is due now (the backoff
   * spared a dead network, not the center).
   */
  async retryNow(): Promise<void> {
    const tx = this.#db.transaction('items', 'readwrite');
    const store = tx.objectStore('items');
    for (const item of (await request(store.getAll())) as PhoneItem[])
      if (item.state === 'pending' && item.nextAttemptAt > 0) store.put({ ...item, nextAttemptAt: 0 });
    await done(tx);
  }

  markDelivered(sequence: number, receipt: string, via: string): Promise<void> {
    return this.#update(sequence, () => ({
      state: 'delivered' as ItemState,
      receipt,
      deliveredVia: via,
      lastError: null,
    }));
  }

  markRefused(sequence: number, reason: string): Promise<void> {
    return this.#update(sequence, (item) => ({
      state: 'refused' as ItemState,
      lastError: reason,
      attempts: item.attempts + 1,
    }));
  }

  markRetry(sequence: number, nextAttemptAt: number, reason: string): Promise<void> {
    return this.#update(sequence, (item) => ({
      attempts: item.attempts + 1,
      nextAttemptAt,
      lastError: reason,
    }));
  }
}
