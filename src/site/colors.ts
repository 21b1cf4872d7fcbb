/** Colours of the vote columns on the site: the election definition's party colours. */
import type { Column } from './publication.ts';

/**
 * The same Okabe–Ito palette as the stylesheet (--c0 … --c7), by column position: for
 * definitions that give no party colours.
 */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#f0e442', '#000000'];

/** A column's colour: the definition's, else a palette colour by position (older definitions). */
export function columnColor(column: Column, columns: readonly Column[]): string {
  return column.color ?? PALETTE[columns.indexOf(column) % PALETTE.length] ?? '#6b6b6b';
}
