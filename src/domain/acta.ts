import type { Casilla } from './catalog.ts';
import type { TipoCasilla } from './keys.ts';
import type { ActaKey } from './keys.ts';
import type { ActaFields } from './values.ts';

/** ORIGEN: photographed at the casilla (PREP Casilla) or scanned at the CATD. */
export type Origin = 'CASILLA' | 'CATD';
/** DIGITALIZACION. */
export type Digitization = 'MOVIL' | 'ESCANER';
/** TIPO_DOCUMENTO. */
export type DocumentType = 'ACTA_PREP' | 'COPIA_PE' | 'ACTA_CONSEJO' | 'ACTA_CONSEJO_S' | 'COPIA_RPPCI';
/** MECANISMOS_TRASLADO: D dispositivo de apoyo, F / I centro de recepción fijo / itinerante; null none. */
export type TransferMechanism = 'D' | 'F' | 'I' | null;
/** Why an acta esperada came without its Acta PREP (domain.md rule 5). */
export type SinActaReason =
  | 'PAQUETE_NO_ENTREGADO'
  | 'CASILLA_NO_INSTALADA'
  | 'SIN_SOBRE'
  | 'CONTINGENCIA_URNA_ELECTRONICA';
/** COTEJADA: 0 not yet, 1 accepted, 2 accepted after modification, 3 in correction. */
export type Cotejo = 0 | 1 | 2 | 3;

/** OBSERVACIONES, in the fixed order they are published. */
export const OBSERVATIONS = [
  'FUERA_DE_CATALOGO',
  'SIN_ACTA',
  'EXCEDE_LISTA_NOMINAL',
  'TODOS_ILEGIBLES',
  'TODOS_VACIOS',
  'ILEGIBLE',
  'SIN_DATO',
] as const;
export type Observation = (typeof OBSERVATIONS)[number];

/** CONTABILIZADA: 1 counted, 0 not counted, 2 fuera de catálogo. */
export type Contabilizada = 0 | 1 | 2;

export interface Classification {
  readonly observations: readonly Observation[]; // canonical order, no duplicates
  readonly contabilizada: Contabilizada;
  readonly computedTotal: number | null; // TOTAL_VOTOS_CALCULADO; null for sin acta
  /** TOTAL_VOTOS_ASENTADO differs from the computed total: flagged, never a reason to exclude. */
  readonly totalMismatch: boolean;
  readonly sinActaReason: SinActaReason | null;
}

/** Identification of an acta as read from the sheet or claimed by the device (for fuera de catálogo rows). */
export interface Identification {
  readonly claimedKey: string; // raw text, may be unparseable
  readonly entidad: number | null;
  readonly distrito: number | null;
  readonly seccion: number | null;
  readonly tipo: TipoCasilla | null;
  readonly id: number | null;
  readonly extension: number | null;
  readonly tipoActa: string | null;
}

/** The image of record of an acta and how it arrived. */
export interface Submission {
  readonly imageSha256: string; // lowercase hex; CODIGO_INTEGRIDAD
  readonly origin: Origin;
  readonly digitization: Digitization;
  readonly documentType: DocumentType;
  readonly transfer: TransferMechanism;
  readonly acopioAt: number; // epoch ms: FECHA_HORA_ACOPIO
  readonly source: string; // device or operator that delivered it
}

/**
 * One registered acta as a cut publishes it: exactly what the CSV row and the JSON need.
 * Built by the pipeline from the store; everything in a cut is a pure function of these.
 */
export interface PublishedActa {
  readonly contest: string;
  readonly actaKey: ActaKey | null; // null: fuera de catálogo
  readonly casilla: Casilla | null; // null: fuera de catálogo
  readonly tipoActa: string | null;
  readonly identification: Identification;
  readonly fields: ActaFields | null; // null: sin acta
  readonly classification: Classification;
  readonly submission: Submission | null; // null: sin acta (no image)
  readonly capturedAt: number | null; // epoch ms: FECHA_HORA_CAPTURA
  readonly verifiedAt: number | null; // epoch ms: FECHA_HORA_VERIFICACION
  readonly cotejada: Cotejo;
}
