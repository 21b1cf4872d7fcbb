/**
 * Intake: a signed package from an enrolled device becomes, durably, an image in the
 * content-addressed store, a registered submission in the pipeline, a journal entry, and a
 * signed receipt naming that entry. Nothing is answered before it is durable; a retry gets the
 * very same receipt; a different package under the same (device, sequence), or a different
 * image for an acta that already has one, is kept aside for review and refused, never
 * overwriting the first.
 *
 * Database work is group-committed with the pipeline's other writes (src/platform/group_commit.ts):
 * one fsync for many receipts, each still answered only after its commit.
 */
import type { Readable } from 'node:stream';
import type { ActaPipeline, SubmissionTx } from '../capture/pipeline.ts';
import type { Tripwire } from '../domain/decoy.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { areaOf, areasOfActa, decideScope } from '../domain/territory.ts';
import type { EntryOf, UntimedEntry } from '../journal/entries.ts';
import type { NoteSigner } from '../journal/note.ts';
import type { Commits } from '../platform/group_commit.ts';
import type { DevicesPort, DevicesTx } from './devices_port.ts';
import type { DeviceRow } from '../domain/device.ts';
import type { ImageLimits, ImageStore } from '../images/image_store.ts';
import {
  devicePublicKey,
  type ParsedPackage,
  parsePackageHeader,
  type ReceiptKeys,
  signReceipt,
  verifyPackageSignature,
} from './package.ts';

/** Refusals journaled per minute at most; the rest are logged (and counted in the next entry). */
export const REJECTIONS_JOURNALED_PER_MINUTE = 600;

/** Why a package was refused: a closed set, each with its HTTP status in the server. */
export type IntakeRefusal =
  | 'bad-header'
  | 'not-canonical'
  | 'bad-signature'
  | 'unknown-device'
  | 'revoked-device'
  | 'origin-mismatch'
  | 'too-large'
  | 'not-an-image'
  | 'too-many-pixels'
  | 'truncated'
  | 'hash-mismatch'
  | 'unknown-contest'
  | 'after-close'
  | 'conflict'
  /** The quality gate refused the image (src/gate): the message says why and how to retake. */
  | 'image-quality'
  /** The QR label does not read or names another acta, and the device did not confirm the key. */
  | 'identification'
  /** Not the package's fault: the image could not be stored (object storage down); the device retries. */
  | 'image-store-unavailable'
  /** The acta is outside the territory of the CATD or CAE the device is bound to (docs/territory.md). */
  | 'out-of-scope'
  /** Not the package's fault: this node holds no valid receipt key (the signer service is unreachable); the device retries. */
  | 'signer-unavailable';

/** The quality gate's judgement, as intake needs it (src/gate/judge.ts's QualityReport). */
export interface GateJudgement {
  readonly verdict: 'accept' | 'reject' | 'review';
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
  readonly qr: string | null;
}

/** Judges an image as the package claims it (src/gate/gate_pool.ts); none when intake runs without the gate. */
export type ImageGate = (bytes: Buffer, claimedKey: string) => Promise<GateJudgement>;

/** A judgement that was not a plain accept, for the CATD dashboard. */
export interface QualityEvent {
  readonly at: number;
  readonly deviceId: string;
  /** The CATD or CAE the device is bound to. */
  readonly boundTo: string;
  readonly claimedKey: string;
  readonly verdict: 'reject' | 'review';
  readonly reasons: GateJudgement['reasons'];
  readonly qr: string | null;
}

/** Quality events kept in memory for the dashboard. */
const QUALITY_LOG = 100;

export interface Accepted {
  readonly receipt: string;
  /** What the gate said: accept, or review (the QR label unreadable or naming another acta: flagged for a person). */
  readonly quality: GateJudgement | null;
  /** False when this is a retry of a package already accepted (same receipt, nothing new stored). */
  readonly first: boolean;
  readonly recordId: string;
}

/** A package whose header and signature check out, waiting for its image. */
export interface CheckedPackage {
  readonly pkg: ParsedPackage;
  readonly device: DeviceRow;
}

export interface IntakeEvent {
  readonly kind: 'package-accepted' | 'package-refused' | 'image-store-unavailable';
  readonly code?: IntakeRefusal;
  readonly deviceId?: string;
  readonly sequence?: number;
  readonly packageSha256?: string;
  readonly message?: string;
  /** An accepted package's acta record and image (the acta reader, in shadow, reads it). */
  readonly recordId?: string;
  readonly imageSha256?: string;
}

/**
 * Intake's transaction view: its devices and packages, and capture's, since a package and the
 * submission it registers commit together (with the journal entries of both).
 */
export type IntakeTx = DevicesTx & SubmissionTx;

export class IntakeService {
  readonly #pipeline: ActaPipeline;
  readonly #devices: DevicesPort;
  readonly #signer: NoteSigner | ReceiptKeys;
  readonly #images: ImageStore;
  readonly #limits: ImageLimits;
  readonly #clock: () => number;
  readonly #commits: Commits<IntakeTx>;
  readonly #onEvent: (event: IntakeEvent) => void;
  readonly #gate: ImageGate | null;
  readonly #tripwire: Tripwire | null;
  /** The gate's refusals and reviews since start, the newest last (the journal keeps them all). */
  readonly #qualityLog: QualityEvent[] = [];
  #qualityCounts = { rejected: 0, review: 0 };
  #rejections = { since: 0, journaled: 0, skipped: 0 };

  constructor(options: {
    readonly pipeline: ActaPipeline;
    /** The devices port: enrolled devices, their packages, the declared territory. */
    readonly devices: DevicesPort;
    /** The node's group commit, shared with capture's writes (one fsync for many receipts). */
    readonly commits: Commits<IntakeTx>;
    /** The election's key itself (the embedded default), or this node's certified receipt keys. */
    readonly signer: NoteSigner | ReceiptKeys;
    readonly images: ImageStore;
    readonly limits: ImageLimits;
    readonly clock: () => number;
    readonly onEvent?: (event: IntakeEvent) => void;
    /** The quality gate; without it every well-formed image is taken (devices gate before sending). */
    readonly gate?: ImageGate;
    /** Decoy device keys and canary device ids: a package naming one journals DECOY_USED and is refused as a revoked device's. */
    readonly tripwire?: Tripwire;
  }) {
    this.#tripwire = options.tripwire ?? null;
    this.#pipeline = options.pipeline;
    this.#devices = options.devices;
    this.#signer = options.signer;
    this.#images = options.images;
    this.#limits = options.limits;
    this.#clock = options.clock;
    this.#commits = options.commits;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#gate = options.gate ?? null;
  }

  /** Images the gate refused or sent to a person since this process started, and the latest of them. */
  qualityActivity(): {
    readonly rejected: number;
    readonly review: number;
    readonly recent: readonly QualityEvent[];
  } {
    return { ...this.#qualityCounts, recent: [...this.#qualityLog] };
  }

  /** Whether the PREP is closed (the final cut is being or has been published): nothing more is taken. */
  intakeClosed(): Promise<boolean> {
    return this.#pipeline.intakeClosed();
  }

  /** The enrolled device with this id, if any (revoked ones too). */
  device(id: string): Promise<DeviceRow | null> {
    return this.#devices.getDevice(id);
  }

  get limits(): ImageLimits {
    return this.#limits;
  }

  /** First step, before any image byte is read: the header, the device, the signature. */
  async check(
    headerText: string,
    signature: string,
    /** The client's address, for the record when the package names a decoy. */
    address?: string,
  ): Promise<Result<CheckedPackage, IntakeRefusal>> {
    const parsed = parsePackageHeader(headerText);
    if (!parsed.ok) return this.#refuse(parsed.code, parsed.message, null);
    const pkg = parsed.value;
    const hit = await this.#decoy(pkg.header.deviceId, address);
    const device = await this.#devices.getDevice(pkg.header.deviceId);
    if (device === null)
      return this.#refuse('unknown-device', `no device ${pkg.header.deviceId} is enrolled`, pkg);
    // A decoy key is enrolled and looks live; its packages are answered as a revoked device's.
    if (device.revokedAt !== null || hit)
      return this.#refuse('revoked-device', `device ${device.id} is revoked`, pkg);
    const key = devicePublicKey(device.publicKey);
    if (!key.ok) throw new Error(`enrolled key of ${device.id} no longer parses: ${key.message}`);
    const verified = await verifyPackageSignature(pkg, signature, key.value);
    if (!verified.ok) return this.#refuse('bad-signature', verified.message, pkg);
    if (device.origin !== pkg.header.origin)
      return this.#refuse(
        'origin-mismatch',
        `device ${device.id} is enrolled for ${device.origin}, the package says ${pkg.header.origin}`,
        pkg,
      );
    // Before the image is read, stored or anything registered: a package from outside the
    // territory must not take the acta's place ahead of the genuine scan.
    const outside = await this.#outsideTerritory(device, pkg);
    if (outside !== null)
      return this.#refuse('out-of-scope', outside, pkg, true, {
        boundTo: device.boundTo,
        claimedKey: pkg.header.claimedKey,
      });
    return ok({ pkg, device });
  }

  /** Whether this device id is a decoy or a canary; its use journaled (tripwire.ts says when). */
  async #decoy(deviceId: string, address: string | undefined): Promise<boolean> {
    const hit = this.#tripwire === null ? null : await this.#tripwire.match(deviceId);
    if (hit === null) return false;
    const at = this.#clock();
    const admitted = this.#tripwire?.admit(hit, address, at) ?? null;
    if (admitted !== null)
      await this.#commits.run((tx) =>
        tx.appendJournal({
          type: 'DECOY_USED',
          at,
          decoyId: hit.decoyId,
          kind: hit.kind,
          via: 'package',
          deviceId,
          ...(address === undefined ? {} : { address }),
          ...(admitted.unjournaledBefore > 0 ? { unjournaledBefore: admitted.unjournaledBefore } : {}),
        }),
      );
    return true;
  }

  /** Why this acta is outside the device's territory, or null when it may send it. */
  async #outsideTerritory(device: DeviceRow, pkg: ParsedPackage): Promise<string | null> {
    const h = pkg.header;
    // An unknown contest registers nothing; it is refused as such once the image is read.
    if (!this.#pipeline.election.contests.some((c) => c.id === h.contest)) return null;
    const esperada = this.#pipeline.identify(h.contest, h.claimedKey).esperada;
    const acta =
      esperada === null
        ? null
        : {
            entidad: esperada.casilla.entidad,
            distrito: esperada.casilla.distrito,
            casillaKey: esperada.casilla.key,
          };
    // Only this acta's distrito and casilla are read, whatever the size of the unit's area.
    const declared = await this.#devices.territoryOf(device.boundTo, acta === null ? [] : areasOfActa(acta));
    const area = areaOf(declared.rows, declared.declared);
    const decision = decideScope(device.origin, area, acta);
    if (decision.inScope) return null;
    switch (decision.why) {
      case 'no-area':
        return `device ${device.id} is bound to ${device.boundTo}, which has no declared territory: the center's administrator declares its distritos or casillas (openprep territory import)`;
      case 'fuera-de-catalogo':
        return `${h.claimedKey} names no casilla of the catalog; the phone of a CAE sends only the casillas of its ARE`;
      case 'outside':
        return `acta ${h.claimedKey} (entidad ${acta?.entidad}, distrito ${acta?.distrito}) is outside the territory of ${device.boundTo}, to which device ${device.id} is bound`;
    }
  }

  /** Second step: the image, streamed to disk within the limits, then the package committed. */
  async receive(checked: CheckedPackage, body: Readable): Promise<Result<Accepted, IntakeRefusal>> {
    const { pkg, device } = checked;
    // With the gate, the image is wanted in memory: held there as it arrives, up to the limit
    // (what the gate's queue would hold anyway), and written once, by commit, if accepted.
    const staged = await this.#images.stage(
      body,
      this.#limits,
      this.#gate === null ? undefined : this.#limits.maxBytes,
    );
    if (!staged.ok) return this.#refuse(staged.code, staged.message, pkg);
    const image = staged.value;
    if (image.sha256 !== pkg.header.imageSha256) {
      await image.discard();
      return this.#refuse('hash-mismatch', 'the image bytes do not have the SHA-256 the header claims', pkg);
    }
    // After the final cut, only a retry of a package accepted before goes on (to its receipt):
    // nothing new reaches the image store, nor the gate's time. What this process knows, with
    // no read per package: a node that learns of the close in the transaction below refuses
    // there, its image already stored (unreferenced), and from then on refuses here.
    if (this.#pipeline.knownClosed) {
      const before = await this.#devices.transaction((tx) => tx.getPackage(device.id, pkg.header.sequence));
      if (before?.outcome !== 'accepted' || before.packageSha256 !== pkg.sha256) {
        await image.discard();
        return this.#refuse(
          'after-close',
          'the final cut is published: the PREP is closed and takes no more actas',
          pkg,
          false,
        );
      }
    }
    let quality: GateJudgement | null = null;
    if (this.#gate !== null) {
      quality = await this.#gate(await image.read(), pkg.header.claimedKey);
      if (quality.verdict !== 'accept') {
        this.#qualityCounts[quality.verdict === 'reject' ? 'rejected' : 'review']++;
        this.#qualityLog.push({
          at: this.#clock(),
          deviceId: device.id,
          boundTo: device.boundTo,
          claimedKey: pkg.header.claimedKey,
          verdict: quality.verdict,
          reasons: quality.reasons,
          qr: quality.qr,
        });
        if (this.#qualityLog.length > QUALITY_LOG) this.#qualityLog.shift();
      }
      if (quality.verdict === 'review' && pkg.header.keyConfirmed !== true) {
        // Never taken on the label's doubt alone: the person at the device confirms the key.
        await image.discard();
        return this.#refuse(
          'identification',
          `${quality.reasons.map((r) => r.message).join(' · ')} — si la clave es correcta, confírmela y envíe de nuevo`,
          pkg,
          true,
          { quality: quality.reasons.map((r) => r.code), qr: quality.qr },
        );
      }
      if (quality.verdict === 'reject') {
        await image.discard();
        return this.#refuse(
          'image-quality',
          `la imagen no pasa el control de calidad: ${quality.reasons.map((r) => r.message).join(' · ')}`,
          pkg,
          true,
          // What the label said, when it read: which acta the refused image was.
          { quality: quality.reasons.map((r) => r.code), qr: quality.qr },
        );
      }
    }
    // Durable before anything refers to it; kept even if the package is then refused as a conflict.
    const stored = await image.commit();
    if (!stored.ok) {
      this.#onEvent({
        kind: 'image-store-unavailable',
        deviceId: device.id,
        sequence: pkg.header.sequence,
        packageSha256: pkg.sha256,
        message: stored.message,
      });
      // The details (addresses, bucket) are for the log, not for devices.
      return err(
        'image-store-unavailable',
        'the image could not be stored now; send the package again later',
      );
    }
    const h = pkg.header;
    const result = await this.#commits.run(async (tx): Promise<Result<Accepted, IntakeRefusal>> => {
      const existing = await tx.getPackage(device.id, h.sequence);
      if (existing !== null) {
        if (existing.packageSha256 === pkg.sha256)
          return existing.outcome === 'accepted'
            ? ok({ receipt: existing.receipt, first: false, recordId: existing.recordId, quality })
            : err('conflict', 'this package was refused before as a conflict; it is kept for review');
        await this.#journal(tx, {
          type: 'PACKAGE_CONFLICT',
          deviceId: device.id,
          sequence: h.sequence,
          packageSha256: pkg.sha256,
          imageSha256: h.imageSha256,
          firstPackageSha256: existing.packageSha256,
        });
        return err(
          'conflict',
          `device ${device.id} already sent a different package as number ${h.sequence}; this one is kept for review`,
        );
      }
      const acopioAt = this.#clock();
      // Checked before anything is written: a receipt no verifier accepts would be kept and
      // answered to every retry.
      const receiptSigner = 'current' in this.#signer ? this.#signer.current(acopioAt) : this.#signer;
      if (receiptSigner === null)
        return err(
          'signer-unavailable',
          'this node cannot sign receipts now (its receipt key is not certified); send the package again later',
        );
      const registered = await this.#pipeline.registerSubmissionIn(tx, {
        contest: h.contest,
        claimedKey: h.claimedKey,
        imageSha256: h.imageSha256,
        origin: h.origin,
        digitization: h.digitization,
        documentType: h.documentType,
        transfer: h.transfer,
        acopioAt,
        source: `device:${device.id}`,
      });
      if (!registered.ok) {
        if (registered.code === 'unknown-contest' || registered.code === 'after-close')
          return err(registered.code, registered.message);
        throw new Error(`registering a checked package failed: ${registered.code}: ${registered.message}`);
      }
      const { recordId, outcome } = registered.value;
      const base = {
        deviceId: device.id,
        sequence: h.sequence,
        packageSha256: pkg.sha256,
        imageSha256: h.imageSha256,
        recordId,
        acopioAt,
      };
      if (outcome === 'conflict-flagged' || outcome === 'additional-image') {
        await tx.addPackage({ ...base, outcome: 'conflict', receipt: null });
        return err(
          'conflict',
          outcome === 'conflict-flagged'
            ? 'these image bytes were already received as another acta; kept for review'
            : 'this acta already has an image of record; this different image is kept for review',
        );
      }
      const leafIndex = await this.#journal(tx, {
        type: 'PACKAGE_RECEIVED',
        deviceId: device.id,
        sequence: h.sequence,
        packageSha256: pkg.sha256,
        imageSha256: h.imageSha256,
        recordId,
        deviceTime: h.deviceTime,
        // A label that does not read, or names another acta, taken on the device operator's
        // confirmation of the key: on record, for the person who checks it.
        ...(quality !== null && quality.verdict === 'review'
          ? {
              quality: 'review',
              qualityReasons: quality.reasons.map((r) => r.code),
              qr: quality.qr,
              keyConfirmed: true,
            }
          : {}),
      });
      const receipt = signReceipt(
        {
          pkg,
          recordId,
          leafIndex,
          acopioAt,
          utcOffsetMinutes: this.#pipeline.election.utcOffsetMinutes,
        },
        receiptSigner,
      );
      await tx.addPackage({ ...base, outcome: 'accepted', receipt });
      return ok({ receipt, first: true, recordId, quality });
    });
    if (!result.ok) return this.#refuse(result.code, result.message, pkg, false);
    this.#onEvent({
      kind: 'package-accepted',
      deviceId: device.id,
      sequence: h.sequence,
      packageSha256: pkg.sha256,
      ...(result.value.first ? { recordId: result.value.recordId, imageSha256: h.imageSha256 } : {}),
    });
    return result;
  }

  #journal(
    tx: IntakeTx,
    entry: UntimedEntry<'PACKAGE_RECEIVED' | 'PACKAGE_CONFLICT' | 'PACKAGE_REJECTED'>,
  ): Promise<number> {
    return tx.appendJournal({ ...entry, at: this.#clock() });
  }

  /** Logs a refusal and, when the package names itself, journals it (a security event). */
  async #refuse(
    code: IntakeRefusal,
    message: string,
    pkg: ParsedPackage | null,
    journal = true,
    details: Pick<EntryOf<'PACKAGE_REJECTED'>, 'boundTo' | 'claimedKey' | 'quality' | 'qr'> = {},
  ): Promise<Result<never, IntakeRefusal>> {
    this.#onEvent({
      kind: 'package-refused',
      code,
      message,
      ...(pkg === null
        ? {}
        : { deviceId: pkg.header.deviceId, sequence: pkg.header.sequence, packageSha256: pkg.sha256 }),
    });
    if (journal && pkg !== null) {
      // A flood of forged packages must not flood the journal: past the budget of a minute,
      // refusals are only logged, and the next journaled one says how many were left out.
      const now = this.#clock();
      if (now - this.#rejections.since >= 60_000)
        this.#rejections = { since: now, journaled: 0, skipped: this.#rejections.skipped };
      if (this.#rejections.journaled >= REJECTIONS_JOURNALED_PER_MINUTE) this.#rejections.skipped++;
      else {
        this.#rejections.journaled++;
        const skipped = this.#rejections.skipped;
        this.#rejections.skipped = 0;
        await this.#commits.run((tx) =>
          this.#journal(tx, {
            type: 'PACKAGE_REJECTED',
            reason: code,
            deviceId: pkg.header.deviceId,
            sequence: pkg.header.sequence,
            packageSha256: pkg.sha256,
            ...details,
            ...(skipped > 0 ? { unjournaledBefore: skipped } : {}),
          }),
        );
      }
    }
    return err(code, message);
  }
}
