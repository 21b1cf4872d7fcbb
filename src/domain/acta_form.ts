/**
 * Where things are on the acta's form: the page, the QR label and a box per line of the table,
 * in pixels of a 200 dpi page. Pure and tiny, shared by the synthetic actas (which draw the
 * form) and the operators' console (which marks a box on the acta's image, cropped to the sheet,
 * in fractions of the page).
 */

/** A letter-size sheet at 200 dpi (longer when the ballot has many options). */
export const PAGE = { width: 1700, height: 2200 } as const;
export const MARGIN = 110;
export const ROW = 72;
/** Where the table's first line starts. */
export const TABLE_TOP = 560;
const BOX_WIDTH = 420;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The QR label, stuck on the top right corner at acopio. */
export const QR_LABEL: Rect = { x: PAGE.width - MARGIN - 330, y: 110, width: 330, height: 330 };

/** The box of the table's line `index` (0: boletas sobrantes … last: total de votos). */
export function boxRect(index: number): Rect {
  return {
    x: PAGE.width - MARGIN - BOX_WIDTH,
    y: TABLE_TOP + index * ROW + 6,
    width: BOX_WIDTH,
    height: ROW - 12,
  };
}

/** Where the table ends, for an acta of `lines` boxes. */
export function tableBottom(lines: number): number {
  return TABLE_TOP + lines * ROW + 20;
}

/** The page's height for an acta of `lines` boxes: a long ballot takes a longer sheet, as real actas do. */
export function pageHeight(lines: number): number {
  return Math.max(PAGE.height, tableBottom(lines) + 280);
}

/** The registration marks' side: 5 mm solid squares, printed near each corner of the form. */
export const REGISTRATION_MARK = 40;
/** How far each registration mark sits from the page's edges (inside the margin, clear of any text). */
export const REGISTRATION_INSET = 45;

/**
 * The form's four registration marks on a page `height` pixels tall (pageHeight), top left,
 * top right, bottom right, bottom left: a scan cut short loses them, a photo in perspective
 * moves them off a rectangle, and another document has none.
 */
export function registrationMarks(height: number): readonly Rect[] {
  const far = PAGE.width - REGISTRATION_INSET - REGISTRATION_MARK;
  const low = height - REGISTRATION_INSET - REGISTRATION_MARK;
  const square = (x: number, y: number): Rect => ({
    x,
    y,
    width: REGISTRATION_MARK,
    height: REGISTRATION_MARK,
  });
  return [
    square(REGISTRATION_INSET, REGISTRATION_INSET),
    square(far, REGISTRATION_INSET),
    square(far, low),
    square(REGISTRATION_INSET, low),
  ];
}

/** The boxes of the table that are not votes, in the acta's order: four at the top, the total last. */
export const TOP_BOXES = [
  'boletasSobrantes',
  'personasVotaron',
  'representantesVotaron',
  'votosSacados',
] as const;
export const TOTAL_BOX = 'totalAsentado';

/**
 * The keys of an acta's boxes, line by line (line i is `boxRect(i)`): the four at the top, one
 * per vote column that applies at the casilla (`vote:<COLUMN>`, in catalog order), the total. The
 * one mapping from an acta's columns to its lines: the console's form and the reader both use it.
 */
export function actaBoxKeys(columnIds: readonly string[]): string[] {
  return [...TOP_BOXES, ...columnIds.map((id) => `vote:${id}`), TOTAL_BOX];
}
