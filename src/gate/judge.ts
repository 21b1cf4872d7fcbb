/**
 * The quality gate's judgement of a decoded image (grey pixels at a working size, about 1,000
 * pixels on its longer side): the measurements (measure.ts) against the reviewed thresholds,
 * then the QR label (qr_label.ts) compared with the acta the device claims. Pure — no I/O, no
 * dependency — so the center and the CATD agent (through quality_gate.ts, which decodes with
 * sharp) and the phone app (on a canvas's pixels, in the browser) judge with the very same code.
 *
 * The answer is `accept`; `reject` with reasons an operator can act on (in Spanish, what is
 * wrong and how to retake); or `review`: the image is fine but its QR label does not read or
 * names another acta — a person decides, it is never accepted silently.
 */
import {
  CORNERS,
  type CornerName,
  type Grey,
  type Measures,
  measure,
  type Point,
  SHEET_INCHES,
  type Side,
} from './measure.ts';
import type { QualityThresholds } from './quality_config.ts';

/** Why an image is refused or sent to a person: a closed set. */
export const QUALITY_REASONS = [
  'empty_file',
  'not_an_image',
  'damaged_file',
  'extra_data',
  'too_many_pixels',
  'no_sheet',
  'sideways',
  'skewed',
  'missing_corner',
  'cut_edge',
  'keystone',
  'low_resolution',
  'too_dark',
  'overexposed',
  'glare',
  'shadow',
  'low_contrast',
  'blurry',
  'motion_blur',
  'heavy_compression',
  'not_an_acta',
  'qr_unreadable',
  'qr_mismatch',
] as const;
export type QualityReasonCode = (typeof QUALITY_REASONS)[number];

/** Reasons that only a person can settle (the image itself is fine). */
const IDENTIFICATION: ReadonlySet<QualityReasonCode> = new Set(['qr_unreadable', 'qr_mismatch']);

export interface QualityReason {
  readonly code: QualityReasonCode;
  /** For the operator, in Spanish: what is wrong and what to do. */
  readonly message: string;
}

export type QualityVerdict = 'accept' | 'reject' | 'review';

export interface QualityReport {
  readonly verdict: QualityVerdict;
  readonly reasons: readonly QualityReason[];
  /** The CLAVE_ACTA the QR label names, or null when it does not read as one; on a rejected image too. */
  readonly qr: string | null;
  /** The image as displayed (EXIF orientation applied), in pixels; 0 when it could not be read. */
  readonly width: number;
  readonly height: number;
  /** The sheet's corners in the displayed image's pixels, for deskewing and cropping; null when not found. */
  readonly corners: Readonly<Record<CornerName, Point>> | null;
  readonly measures: (Measures & { readonly dpi: number; readonly jpegQuality: number | null }) | null;
}

/** The working size: the longer side at most this many pixels (about 90 dpi for a letter page; the QR label's modules are still 5 pixels). */
export const WORKING_SIZE = 1000;

const SIDE_CORNERS: Readonly<Record<Side, readonly CornerName[]>> = {
  top: ['top_left', 'top_right'],
  right: ['top_right', 'bottom_right'],
  bottom: ['bottom_right', 'bottom_left'],
  left: ['bottom_left', 'top_left'],
};

const CORNER_WORDS: Readonly<Record<CornerName, string>> = {
  top_left: 'superior izquierda',
  top_right: 'superior derecha',
  bottom_right: 'inferior derecha',
  bottom_left: 'inferior izquierda',
};

const SIDE_WORDS: Readonly<Record<Side, string>> = {
  top: 'superior',
  right: 'derecho',
  bottom: 'inferior',
  left: 'izquierdo',
};

/** «el borde derecho», «el borde derecho y el inferior». */
function sidesInWords(sides: readonly Side[]): string {
  const words = sides.map((s) => SIDE_WORDS[s]);
  if (words.length === 1) return `el borde ${words[0]}`;
  return `el borde ${words.slice(0, -1).join(', el ')} y el ${words[words.length - 1]}`;
}

export const reason = (code: QualityReasonCode, message: string): QualityReason => ({ code, message });

export function refused(reasons: QualityReason[], width = 0, height = 0): QualityReport {
  return { verdict: 'reject', reasons, qr: null, width, height, corners: null, measures: null };
}

/**
 * Judges an acta's image from its grey pixels. `width` and `height`: the image's displayed size
 * (the pixels may be a reduction of it); `jpegQuality`: the encoder's, when the file is a JPEG.
 */
export function judgeGrey(
  image: Grey,
  options: {
    readonly width: number;
    readonly height: number;
    readonly jpegQuality: number | null;
    readonly thresholds: QualityThresholds;
    readonly claimedKey?: string;
    /**
     * Reads the QR label (qr_label.ts, with jsQR); null where the label is read elsewhere — the
     * phone app leaves it to the center, whose gate reads it.
     */
    readonly readQr: ((image: Grey, corners: Measures['corners']) => string | null) | null;
  },
): QualityReport {
  const { width, height, thresholds: t } = options;
  const c = { jpegQuality: options.jpegQuality };
  const scale = width / image.width;
  const m = measure(image);
  const corners =
    m.corners === null
      ? null
      : (Object.fromEntries(
          CORNERS.map((n) => [n, { x: m.corners![n].x * scale, y: m.corners![n].y * scale }]),
        ) as Record<CornerName, Point>);
  const dpi = Math.round((m.sheetWidth * scale) / SHEET_INCHES);
  const measures = { ...m, dpi, jpegQuality: c.jpegQuality };
  const reasons: QualityReason[] = [];
  const contrast = m.paperLevel - m.inkLevel;
  if (m.sheetShare < t.minSheetShare)
    reasons.push(
      reason(
        'no_sheet',
        'no se distingue la hoja: coloque el acta completa sobre una superficie lisa y oscura y repita',
      ),
    );
  else if (m.sideways)
    reasons.push(
      reason('sideways', 'la hoja está de lado: tome la foto en vertical, con el acta derecha, y repita'),
    );
  else if (Math.abs(m.skewDegrees) > t.maxSkewDegrees)
    reasons.push(
      reason(
        'skewed',
        `la hoja está torcida (${Math.abs(m.skewDegrees).toFixed(0)}°): alinee el acta con el encuadre y repita`,
      ),
    );
  else if (m.paperLevel >= t.minPaperLevel && m.inkLevel <= t.maxInkLevel) {
    // Geometry from the marks and corners means something only on a page exposed well enough to
    // see them (an overexposed table is white and the sheet runs off the image).
    if (m.cutSides.length > 0)
      reasons.push(
        reason(
          'cut_edge',
          `${m.cutSides.length === 1 ? 'falta' : 'faltan'} ${sidesInWords(m.cutSides)} de la hoja: encuadre la hoja completa y repita`,
        ),
      );
    const cut = new Set(m.cutSides.flatMap((side) => SIDE_CORNERS[side]));
    // A corner off the image or torn away with its registration mark still there lost only the
    // margin outside the mark, where the form prints nothing; one whose cut stops short of the
    // boxes and the label lost nothing that is read.
    for (const corner of m.missingCorners)
      if (!cut.has(corner) && m.marks[corner] === null && m.cutIntoForm.includes(corner))
        reasons.push(
          reason(
            'missing_corner',
            `falta la esquina ${CORNER_WORDS[corner]}: encuadre la hoja completa y repita`,
          ),
        );
    if (m.cutSides.length === 0 && m.keystone > t.maxKeystone)
      reasons.push(
        reason(
          'keystone',
          'la foto está tomada muy de lado (la hoja se ve en perspectiva): ponga el teléfono paralelo al acta, justo encima de ella, y repita',
        ),
      );
  } else
    for (const corner of m.missingCorners.filter((n) => m.marks[n] === null && m.cutIntoForm.includes(n)))
      reasons.push(
        reason(
          'missing_corner',
          `falta la esquina ${CORNER_WORDS[corner]}: encuadre la hoja completa y repita`,
        ),
      );
  if (m.sheetShare >= t.minSheetShare) {
    if (dpi < t.minDpi)
      reasons.push(
        reason(
          'low_resolution',
          `resolución insuficiente (${dpi} ppp; se necesitan ${t.minDpi}): acerque la cámara o use su resolución completa y repita`,
        ),
      );
    const sharpness = Math.min(m.sharpnessX, m.sharpnessY);
    const blurred = sharpness < t.minSharpness;
    if (blurred) {
      const streaked = Math.max(m.sharpnessX, m.sharpnessY) >= t.minSharpness * 1.5;
      reasons.push(
        streaked
          ? reason(
              'motion_blur',
              'la imagen salió movida: sostenga el teléfono firme (apoye los codos) y repita',
            )
          : reason('blurry', 'la imagen está borrosa: sostenga el teléfono firme, enfoque y repita'),
      );
    }
    if (m.paperLevel < t.minPaperLevel)
      reasons.push(
        reason('too_dark', 'la imagen está oscura: busque más luz (o encienda la del teléfono) y repita'),
      );
    else if (
      (m.clippedShare > t.maxClippedShare && m.inkLevel > t.maxClippedInkLevel) ||
      m.inkLevel > t.maxInkLevel
    )
      reasons.push(
        reason(
          'overexposed',
          'la imagen está sobreexpuesta (deslavada): evite la luz directa sobre el acta y repita',
        ),
      );
    // A blurred page has no ink dark enough for its contrast to mean anything.
    else if (!blurred && contrast < t.minContrast)
      reasons.push(reason('low_contrast', 'la imagen no tiene contraste: mejore la iluminación y repita'));
    else if (m.washedTiles > t.maxWashedTiles)
      reasons.push(
        reason(
          'glare',
          'hay un reflejo sobre el acta: incline la hoja o cambie de posición para evitarlo y repita',
        ),
      );
    else if (m.glareOverBoxes > t.maxGlareOverBoxes)
      reasons.push(
        reason(
          'glare',
          'hay un reflejo que borra números de las casillas: incline la hoja o cambie de posición para evitarlo y repita',
        ),
      );
    // A shadow the boxes are still read through (their ink keeps its contrast) is no reason.
    if (
      m.shadowShare > t.maxShadowShare &&
      m.shadowContrast < t.minShadowContrast &&
      m.paperLevel >= t.minPaperLevel
    )
      reasons.push(
        reason(
          'shadow',
          'hay una sombra sobre las casillas del acta: colóquese de modo que su cuerpo, su mano o el teléfono no le hagan sombra y repita',
        ),
      );
    if (c.jpegQuality !== null && c.jpegQuality < t.minJpegQuality)
      reasons.push(
        reason(
          'heavy_compression',
          `la imagen está demasiado comprimida (calidad ${c.jpegQuality}): envíe la foto original de la cámara, sin reducir`,
        ),
      );
    // Every acta form prints four registration marks, the package's other documents none: on a
    // sound image whose sheet is found whole and upright, not one of them is another document
    // (fingers or a reflection hide one or two, never all four).
    const unmarked = m.corners !== null && CORNERS.every((n) => m.marks[n] === null);
    if (reasons.length === 0 && (m.tableEvidence < t.minTableEvidence || unmarked))
      reasons.push(
        reason(
          'not_an_acta',
          'no parece un acta de escrutinio y cómputo (no se ven sus casillas): verifique el documento y repita',
        ),
      );
  }
  const report: QualityReport = {
    verdict: reasons.length > 0 ? 'reject' : 'accept',
    reasons,
    qr: null,
    width,
    height,
    corners,
    measures,
  };
  if (options.readQr === null) return report;
  return withLabel(report, options.readQr(image, m.corners), options.claimedKey);
}

/**
 * A judged image with what its QR label says (`qr`: a well-formed CLAVE_ACTA, or null when the
 * label does not read). Recorded on a rejected image too, so the console and the journal show
 * which acta it was; on an accepted one a label that does not read, or names another acta than
 * `claimedKey`, sends the image to a person (review).
 */
export function withLabel(report: QualityReport, qr: string | null, claimedKey?: string): QualityReport {
  if (report.verdict !== 'accept') return { ...report, qr };
  const reasons: QualityReason[] = [];
  if (qr === null)
    reasons.push(
      reason(
        'qr_unreadable',
        'no se lee la etiqueta QR: verifique que esté completa y a la vista; si está dañada, una persona confirmará la clave del acta',
      ),
    );
  else if (claimedKey !== undefined && qr !== claimedKey)
    reasons.push(
      reason(
        'qr_mismatch',
        `la etiqueta QR dice ${qr}, no ${claimedKey}: verifique que sea el acta correcta; una persona revisará`,
      ),
    );
  return {
    ...report,
    verdict:
      reasons.length === 0
        ? 'accept'
        : reasons.every((r) => IDENTIFICATION.has(r.code))
          ? 'review'
          : 'reject',
    reasons,
    qr,
  };
}
