/**
 * The life of one acta as a pure reducer: esperada → received (acopio) → captured twice →
 * verified (equal captures) or resolved by a verifier → cotejo (accepted, or reopened for
 * re-capture with the published values kept until re-verified). Sin acta when the package
 * came without it. Every rule about who may do what lives here, so every store adapter
 * enforces exactly the same ones.
 */
import type {
  Classification,
  Cotejo,
  Identification,
  PublishedActa,
  SinActaReason,
  Submission,
} from './acta.ts';
import { createHash } from 'node:crypto';
import type { Casilla } from './catalog.ts';
import { classifyActa } from './classification.ts';
import type { Contest, VoteColumn } from './election.ts';
import type { ActaKey } from './keys.ts';
import { err, ok, type Result } from './result.ts';
import { type ActaFields, isCapturedValue, sameFields } from './values.ts';

export type ActaStatus = 'received' | 'captured_once' | 'mismatch' | 'verified' | 'sin_acta';

export interface CaptureEntry {
  readonly operatorId: string;
  readonly fields: ActaFields;
  readonly at: number;
  /** Once the acta is verified the values are dropped from the record (the journal keeps them) and this digest stays. */
  readonly digest?: string;
}

/** A stable digest of captured fields (canonical column order is ensured by checkFields). */
export function fieldsDigest(fields: ActaFields): string {
  const ordered = [
    fields.boletasSobrantes,
    fields.personasVotaron,
    fields.representantesVotaron,
    fields.votosSacados,
    fields.totalAsentado,
    ...Object.entries(fields.votes),
  ];
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex').slice(0, 32);
}

const EMPTY_FIELDS: ActaFields = {
  boletasSobrantes: 'sin_dato',
  personasVotaron: 'sin_dato',
  representantesVotaron: 'sin_dato',
  votosSacados: 'sin_dato',
  votes: {},
  totalAsentado: 'sin_dato',
};

export interface VerifiedVersion {
  readonly fields: ActaFields;
  readonly classification: Classification;
  readonly capturedAt: number;
  readonly verifiedAt: number;
  readonly round: number;
  readonly resolvedBy: string | null; // verifier who resolved a mismatch; null when the captures agreed
}

/** One acta's state. Serialised as JSON by the store. */
export interface ActaRecord {
  readonly recordId: string; // the CLAVE_ACTA, or `FC:<contest>:<claimed key>` fuera de catálogo
  readonly contest: string;
  readonly actaKey: ActaKey | null;
  readonly casillaKey: string | null;
  readonly tipoActa: string | null;
  readonly identification: Identification;
  readonly status: ActaStatus;
  readonly round: number; // 0, then +1 each time cotejo reopens the acta
  readonly captures: readonly CaptureEntry[]; // of the current round
  readonly submission: Submission | null; // the image of record: the first to arrive
  readonly additionalImages: readonly string[]; // SHA-256 of later images of the same acta
  readonly published: VerifiedVersion | null; // what cuts publish
  readonly previousVersions: readonly VerifiedVersion[]; // history kept across cotejo reopenings
  readonly cotejada: Cotejo;
  readonly sinActaReason: SinActaReason | null;
}

export type LifecycleCommand =
  | {
      readonly kind: 'register-submission';
      readonly recordId: string;
      readonly contest: string;
      readonly actaKey: ActaKey | null;
      readonly casillaKey: string | null;
      readonly tipoActa: string | null;
      readonly identification: Identification;
      readonly submission: Submission;
    }
  | {
      readonly kind: 'record-capture';
      readonly operatorId: string;
      readonly fields: ActaFields;
      readonly at: number;
    }
  | {
      readonly kind: 'resolve-mismatch';
      readonly verifierId: string;
      readonly fields: ActaFields;
      readonly at: number;
    }
  | {
      readonly kind: 'cotejo';
      readonly reviewerId: string;
      readonly decision: 'accept' | 'reopen';
      readonly at: number;
    }
  | {
      readonly kind: 'declare-sin-acta';
      readonly recordId: string;
      readonly contest: string;
      readonly actaKey: ActaKey;
      readonly casillaKey: string;
      readonly tipoActa: string;
      readonly identification: Identification;
      readonly reason: SinActaReason;
      readonly operatorId: string;
      readonly at: number;
    };

export type LifecycleError =
  | 'unknown-acta'
  | 'same-operator'
  | 'already-captured'
  | 'verifier-was-capturista'
  | 'not-awaiting-capture'
  | 'not-in-mismatch'
  | 'not-verified'
  | 'has-submission'
  | 'bad-fields';

/** What happened: `unchanged` for an idempotent repeat (no journal entry). */
export type LifecycleOutcome =
  | 'registered'
  | 'additional-image'
  | 'duplicate'
  | 'captured'
  | 'verified'
  | 'mismatch'
  | 'resolved'
  | 'cotejo-accepted'
  | 'cotejo-reopened'
  | 'sin-acta'
  | 'unchanged';

export interface LifecycleContext {
  readonly contest: Contest;
  readonly casilla: Casilla | null;
  /** The vote columns the fields must hold: the casilla's applicable ones, or the contest's for fuera de catálogo. */
  readonly columns: readonly VoteColumn[];
}

export interface Transition {
  readonly record: ActaRecord;
  readonly outcome: LifecycleOutcome;
}

/** Fields must hold exactly the expected vote columns (any subset of them fuera de catálogo) with valid values. */
export function checkFields(fields: ActaFields, context: LifecycleContext): Result<ActaFields, 'bad-fields'> {
  const boxes = [
    fields.boletasSobrantes,
    fields.personasVotaron,
    fields.representantesVotaron,
    fields.votosSacados,
  ];
  if (!boxes.every(isCapturedValue) || !isCapturedValue(fields.totalAsentado))
    return err('bad-fields', 'every box holds a whole number 0..99999, ilegible or sin_dato');
  const expected = context.columns.map((c) => c.id);
  const given = Object.keys(fields.votes);
  for (const column of given) {
    if (!expected.includes(column)) return err('bad-fields', `vote column ${column} is not on this acta`);
    if (!isCapturedValue(fields.votes[column]))
      return err('bad-fields', `vote column ${column} holds a bad value`);
  }
  if (context.casilla !== null && given.length !== expected.length) {
    const missing = expected.filter((c) => !given.includes(c));
    return err('bad-fields', `missing vote columns: ${missing.join(', ')}`);
  }
  // Canonical column order, so equal captures serialise identically.
  const votes: Record<string, ActaFields['votes'][string]> = {};
  for (const column of expected) if (column in fields.votes) votes[column] = fields.votes[column]!;
  return ok({ ...fields, votes });
}

function verify(
  record: ActaRecord,
  fields: ActaFields,
  context: LifecycleContext,
  times: { capturedAt: number; verifiedAt: number },
  resolvedBy: string | null,
): ActaRecord {
  const classification = classifyActa({
    casilla: context.casilla,
    contest: context.contest,
    fields,
    sinActaReason: null,
  });
  const changed = record.published !== null && !sameFields(record.published.fields, fields);
  const reopened = record.round > 0;
  const cotejada: Cotejo = !reopened ? record.cotejada : changed || record.cotejada === 2 ? 2 : 1;
  // The captures themselves stay in the journal; the record keeps who made them (separation
  // of duties) and drops their values, which keeps snapshots small at national scale.
  return {
    ...record,
    status: 'verified',
    captures: record.captures.map((c) => ({
      operatorId: c.operatorId,
      fields: EMPTY_FIELDS,
      at: c.at,
      digest: c.digest ?? fieldsDigest(c.fields),
    })),
    published: { fields, classification, ...times, round: record.round, resolvedBy },
    previousVersions:
      record.published !== null && reopened
        ? [...record.previousVersions, record.published]
        : record.previousVersions,
    cotejada,
  };
}

export function applyCommand(
  record: ActaRecord | undefined,
  command: LifecycleCommand,
  context: LifecycleContext,
): Result<Transition, LifecycleError> {
  switch (command.kind) {
    case 'register-submission': {
      if (record === undefined) {
        return ok({
          outcome: 'registered',
          record: {
            recordId: command.recordId,
            contest: command.contest,
            actaKey: command.actaKey,
            casillaKey: command.casillaKey,
            tipoActa: command.tipoActa,
            identification: command.identification,
            status: 'received',
            round: 0,
            captures: [],
            submission: command.submission,
            additionalImages: [],
            published: null,
            previousVersions: [],
            cotejada: 0,
            sinActaReason: null,
          },
        });
      }
      const sha = command.submission.imageSha256;
      if (record.submission?.imageSha256 === sha || record.additionalImages.includes(sha))
        return ok({ outcome: 'duplicate', record });
      if (record.status === 'sin_acta') {
        // The Acta PREP turned up after all: it is captured like any other.
        return ok({
          outcome: 'registered',
          record: { ...record, status: 'received', submission: command.submission, sinActaReason: null },
        });
      }
      if (record.submission === null)
        return ok({ outcome: 'registered', record: { ...record, submission: command.submission } });
      return ok({
        outcome: 'additional-image',
        record: { ...record, additionalImages: [...record.additionalImages, sha] },
      });
    }
    case 'record-capture': {
      if (record === undefined) return err('unknown-acta', 'no submission registered for this acta');
      const checked = checkFields(command.fields, context);
      if (!checked.ok) return checked;
      const fields = checked.value;
      const own = record.captures.find((c) => c.operatorId === command.operatorId);
      if (own !== undefined) {
        const same =
          own.digest !== undefined ? own.digest === fieldsDigest(fields) : sameFields(own.fields, fields);
        if (same) return ok({ outcome: 'unchanged', record });
        return err('already-captured', `operator ${command.operatorId} already captured this acta`);
      }
      if (record.status !== 'received' && record.status !== 'captured_once')
        return err('not-awaiting-capture', `acta is ${record.status}, not awaiting capture`);
      const entry: CaptureEntry = { operatorId: command.operatorId, fields, at: command.at };
      if (record.status === 'received')
        return ok({ outcome: 'captured', record: { ...record, status: 'captured_once', captures: [entry] } });
      const first = record.captures[0]!;
      if (first.operatorId === command.operatorId)
        return err('same-operator', 'nobody captures both entries of an acta');
      const captures = [first, entry];
      if (!sameFields(first.fields, fields))
        return ok({ outcome: 'mismatch', record: { ...record, status: 'mismatch', captures } });
      return ok({
        outcome: 'verified',
        record: verify(
          { ...record, captures },
          fields,
          context,
          { capturedAt: first.at, verifiedAt: command.at },
          null,
        ),
      });
    }
    case 'resolve-mismatch': {
      if (record === undefined) return err('unknown-acta', 'no such acta');
      const checked = checkFields(command.fields, context);
      if (!checked.ok) return checked;
      if (record.status === 'verified' && record.published?.resolvedBy === command.verifierId) {
        if (sameFields(record.published.fields, checked.value)) return ok({ outcome: 'unchanged', record });
      }
      if (record.status !== 'mismatch')
        return err('not-in-mismatch', `acta is ${record.status}, not in mismatch`);
      if (record.captures.some((c) => c.operatorId === command.verifierId))
        return err('verifier-was-capturista', 'a verifier cannot resolve an acta they captured');
      return ok({
        outcome: 'resolved',
        record: verify(
          record,
          checked.value,
          context,
          { capturedAt: record.captures[0]!.at, verifiedAt: command.at },
          command.verifierId,
        ),
      });
    }
    case 'cotejo': {
      if (record === undefined) return err('unknown-acta', 'no such acta');
      if (command.decision === 'reopen' && record.cotejada === 3 && record.status !== 'verified')
        return ok({ outcome: 'unchanged', record });
      if (record.status !== 'verified' || record.published === null)
        return err('not-verified', `acta is ${record.status}; cotejo applies to verified actas`);
      if (command.decision === 'accept') {
        const cotejada: Cotejo = record.cotejada === 2 ? 2 : 1;
        if (record.cotejada === cotejada) return ok({ outcome: 'unchanged', record });
        return ok({ outcome: 'cotejo-accepted', record: { ...record, cotejada } });
      }
      return ok({
        outcome: 'cotejo-reopened',
        record: { ...record, status: 'received', round: record.round + 1, captures: [], cotejada: 3 },
      });
    }
    case 'declare-sin-acta': {
      if (record !== undefined) {
        if (record.status === 'sin_acta' && record.sinActaReason === command.reason)
          return ok({ outcome: 'unchanged', record });
        return err('has-submission', 'this acta already has an image; it is not sin acta');
      }
      return ok({
        outcome: 'sin-acta',
        record: {
          recordId: command.recordId,
          contest: command.contest,
          actaKey: command.actaKey,
          casillaKey: command.casillaKey,
          tipoActa: command.tipoActa,
          identification: command.identification,
          status: 'sin_acta',
          round: 0,
          captures: [],
          submission: null,
          additionalImages: [],
          published: null,
          previousVersions: [],
          cotejada: 0,
          sinActaReason: command.reason,
        },
      });
    }
  }
}

/** The acta as a cut shows it, or null while it has nothing to publish. */
export function publishedActaOf(record: ActaRecord, context: LifecycleContext): PublishedActa | null {
  if (record.status === 'sin_acta') {
    return {
      contest: record.contest,
      actaKey: record.actaKey,
      casilla: context.casilla,
      tipoActa: record.tipoActa,
      identification: record.identification,
      fields: null,
      classification: classifyActa({
        casilla: context.casilla,
        contest: context.contest,
        fields: null,
        sinActaReason: record.sinActaReason,
      }),
      submission: null,
      capturedAt: null,
      verifiedAt: null,
      cotejada: record.cotejada,
    };
  }
  if (record.published === null) return null;
  return {
    contest: record.contest,
    actaKey: record.actaKey,
    casilla: context.casilla,
    tipoActa: record.tipoActa,
    identification: record.identification,
    fields: record.published.fields,
    classification: record.published.classification,
    submission: record.submission,
    capturedAt: record.published.capturedAt,
    verifiedAt: record.published.verifiedAt,
    cotejada: record.cotejada,
  };
}
