/**
 * What the realistic renderer's two halves hand each other: the page as printed, filled in by
 * hand and labelled at acopio (page.ts), and the scene that photographs or scans it under a
 * condition of a graded severity (scene.ts). Types only.
 */
import type { Rect } from '../../../domain/acta_form.ts';
import type { BoxValue } from '../synthetic_acta.ts';

/** Which handwritten digit samples a page may use: tuning and calibration use `train`, evaluation `test`. */
export type DigitSplit = 'train' | 'test';

/** Decoded 8-bit sRGB pixels, three channels, row-major. */
export interface RgbPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Where things are on the page as printed, in the page's pixels (200 dpi). */
export interface RealisticLayout {
  readonly width: number;
  readonly height: number;
  /** The QR label stuck on at acopio. */
  readonly qr: Rect;
  /** Each box of the table, by its key, with the handwritten value's area. */
  readonly boxes: readonly (Rect & { readonly key: string })[];
  /** The form's printed anchors: corner registration marks (solid squares) and the table's outer corners. */
  readonly anchors: readonly (Rect & { readonly kind: 'registration' | 'table_corner' })[];
}

export interface RealisticPage {
  readonly pixels: RgbPixels;
  readonly layout: RealisticLayout;
  readonly actaKey: string;
  readonly boxes: Readonly<Record<string, BoxValue>>;
  /** `acta`, or another document (the constancia de clausura) wearing the acta's label. */
  readonly document: 'acta' | 'other';
  readonly label: 'present' | 'missing' | 'damaged';
  readonly digitSplit: DigitSplit;
  /** Which handwritten samples were used, by split and index, so an evaluation can prove it never used a tuning digit. */
  readonly digitSamples: readonly number[];
}
