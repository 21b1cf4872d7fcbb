/**
 * The catalog CSV's columns: canonical names, INE aliases, the header, and the parsing of the
 * cells that are not plain numbers (TIPO_CASILLA and UBICACION labels, names).
 */
import type { Ubicacion } from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import { type Collector, hex, report } from './problems.ts';

/** The canonical columns, in the order `catalogToCsv` writes them. */
export const CATALOG_COLUMNS = [
  'ID_ENTIDAD',
  'ENTIDAD',
  'ID_DISTRITO_FEDERAL',
  'DISTRITO_FEDERAL',
  'SECCION',
  'TIPO_CASILLA',
  'ID_CASILLA',
  'EXT_CONTIGUA',
  'UBICACION_CASILLA',
  'LISTA_NOMINAL',
  'REPRESENTANTES_PP_CI',
  'BOLETAS_APROBADAS',
] as const;
export type CatalogColumn = (typeof CATALOG_COLUMNS)[number];

/** Columns that may be left out (their value is then 0). */
export const OPTIONAL_CATALOG_COLUMNS: readonly CatalogColumn[] = [
  'REPRESENTANTES_PP_CI',
  'BOLETAS_APROBADAS',
];

/**
 * Other header names accepted for each column (INE 2024 catalog labels, 2018/2021 spellings).
 * `DISTRITO_FEDERAL` is the distrito's name, except when the file has no distrito number column
 * but does have a name column (CABECERA_DISTRITAL, NOMBRE_DISTRITO...): then it is the number.
 */
export const CATALOG_COLUMN_ALIASES: Readonly<Record<CatalogColumn, readonly string[]>> = {
  ID_ENTIDAD: ['ID_ESTADO'],
  ENTIDAD: ['ESTADO', 'NOMBRE_ESTADO', 'NOMBRE_ENTIDAD'],
  ID_DISTRITO_FEDERAL: ['ID_DISTRITO', 'DISTRITO'],
  DISTRITO_FEDERAL: [
    'CABECERA_DISTRITAL',
    'CABECERA_DISTRITAL_FEDERAL',
    'NOMBRE_DISTRITO',
    'NOMBRE_DISTRITO_FEDERAL',
  ],
  SECCION: [],
  TIPO_CASILLA: [],
  ID_CASILLA: ['CASILLA'],
  EXT_CONTIGUA: [],
  UBICACION_CASILLA: ['UBICACION'],
  LISTA_NOMINAL: ['NUM_REG', 'LISTA_NOMINAL_CASILLA'],
  REPRESENTANTES_PP_CI: [],
  BOLETAS_APROBADAS: [],
};

export const MAX_NAME_LENGTH = 120;

export function normalizeLabel(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[\s_]+/g, ' ')
    .trim();
}

export function headerKey(text: string): string {
  return normalizeLabel(text).replace(/ /g, '_');
}

const DISTRITO_NUMBER_NAMES = ['ID_DISTRITO_FEDERAL', ...CATALOG_COLUMN_ALIASES.ID_DISTRITO_FEDERAL];
const DISTRITO_NAME_ALIASES = CATALOG_COLUMN_ALIASES.DISTRITO_FEDERAL;

export function acceptedColumnsText(): string {
  return CATALOG_COLUMNS.map((c) => {
    const aliases = CATALOG_COLUMN_ALIASES[c];
    const optional = OPTIONAL_CATALOG_COLUMNS.includes(c) ? ' [optional]' : '';
    return aliases.length > 0 ? `${c} (or ${aliases.join(', ')})${optional}` : `${c}${optional}`;
  }).join('; ');
}

export function columnFor(key: string, keys: ReadonlySet<string>): CatalogColumn | null {
  if (key === 'DISTRITO_FEDERAL') {
    const hasNumber = DISTRITO_NUMBER_NAMES.some((n) => keys.has(n));
    const hasName = DISTRITO_NAME_ALIASES.some((n) => keys.has(n));
    return !hasNumber && hasName ? 'ID_DISTRITO_FEDERAL' : 'DISTRITO_FEDERAL';
  }
  for (const column of CATALOG_COLUMNS) {
    if (column === key || CATALOG_COLUMN_ALIASES[column].includes(key)) return column;
  }
  return null;
}

/** Where each canonical column is in the file, and the header text it was given as (for messages). */
export interface ColumnMap {
  readonly index: Readonly<Record<CatalogColumn, number>>;
  readonly label: Readonly<Record<CatalogColumn, string>>;
  readonly width: number;
}

export function delimiterHint(fields: readonly string[]): string {
  if (fields.length !== 1) return '';
  const only = fields[0] ?? '';
  for (const [char, name] of [
    [';', 'semicolons'],
    ['\t', 'tabs'],
    ['|', 'pipes'],
  ] as const)
    if (only.includes(char))
      return `; the file seems separated by ${name}, but the separator must be a comma`;
  return '';
}

export function readHeader(fields: readonly string[], line: number, collector: Collector): ColumnMap | null {
  const keys = fields.map(headerKey);
  const keySet = new Set(keys);
  const index = {} as Record<CatalogColumn, number>;
  const label = {} as Record<CatalogColumn, string>;
  for (const column of CATALOG_COLUMNS) {
    index[column] = -1;
    label[column] = column;
  }
  const before = collector.problems.length;
  const hint = delimiterHint(fields);
  keys.forEach((key, position) => {
    const given = fields[position] ?? '';
    if (key === '') {
      report(collector, {
        line,
        column: given,
        kind: 'unknown-column',
        reason: `column ${position + 1} of the header has no name${hint}`,
      });
      return;
    }
    const column = columnFor(key, keySet);
    if (column === null) {
      report(collector, {
        line,
        column: given,
        kind: 'unknown-column',
        reason: `unknown column "${given}"${hint}; accepted columns: ${acceptedColumnsText()}`,
      });
      return;
    }
    if (index[column] !== -1) {
      report(collector, {
        line,
        column: given,
        kind: 'duplicate-column',
        reason: `column "${given}" repeats "${label[column]}" (both mean ${column})`,
      });
      return;
    }
    index[column] = position;
    label[column] = given.trim();
  });
  for (const column of CATALOG_COLUMNS) {
    if (index[column] !== -1 || OPTIONAL_CATALOG_COLUMNS.includes(column)) continue;
    const aliases = CATALOG_COLUMN_ALIASES[column];
    report(collector, {
      line,
      column,
      kind: 'missing-column',
      reason: `required column ${column} is missing${aliases.length > 0 ? ` (also accepted: ${aliases.join(', ')})` : ''}`,
    });
  }
  return collector.problems.length === before ? { index, label, width: fields.length } : null;
}

/** A non-negative decimal integer (leading zeros allowed), or null. No regex: this runs per cell. */
export function parseDigits(text: string): number | null {
  if (text.length === 0 || text.length > 15) return null;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return value;
}

export interface TipoParse {
  readonly tipo: TipoCasilla;
  /** Stated by a label ("CONTIGUA 2"); null: take it from ID_CASILLA. */
  readonly id: number | null;
  /** Stated by a label (a label without "CONTIGUA m" means 0 for B, E and S); null: from EXT_CONTIGUA. */
  readonly extension: number | null;
}

const TIPO_LETTERS: Readonly<Record<string, TipoCasilla>> = { B: 'B', C: 'C', E: 'E', S: 'S' };
const TIPO_WORDS: Readonly<Record<string, TipoCasilla>> = {
  BASICA: 'B',
  CONTIGUA: 'C',
  EXTRAORDINARIA: 'E',
  ESPECIAL: 'S',
};
const TIPO_LABEL = /^(BASICA|CONTIGUA|EXTRAORDINARIA|ESPECIAL)(?: (\d{1,2}))?(?: CONTIGUA (\d{1,2}))?$/;

export function parseTipoLabel(text: string): TipoParse | null {
  const letter = TIPO_LETTERS[text.toUpperCase()];
  if (letter !== undefined) return { tipo: letter, id: null, extension: null };
  const match = TIPO_LABEL.exec(normalizeLabel(text));
  if (match === null) return null;
  const tipo = TIPO_WORDS[match[1] ?? ''];
  if (tipo === undefined) return null;
  const id = match[2] === undefined ? null : Number(match[2]);
  const extension = match[3] === undefined ? null : Number(match[3]);
  if (extension !== null && tipo !== 'E') return null; // only extraordinarias have contiguas of their own
  // A contigua's label number is its id; its extension is always 0 in CLAVE_CASILLA.
  return { tipo, id, extension: extension ?? 0 };
}

export function parseUbicacionText(text: string): Ubicacion | null {
  if (text === '1') return 'URBANA';
  if (text === '2') return 'NO_URBANA';
  const label = normalizeLabel(text);
  if (label === 'URBANA') return 'URBANA';
  if (label === 'NO URBANA' || label === 'NOURBANA') return 'NO_URBANA';
  return null;
}

/** Labels repeat on every row; parse each distinct text once. */
export function memo<T>(fn: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined || cache.has(text)) return hit as T;
    const value = fn(text);
    if (cache.size < 1_000) cache.set(text, value);
    return value;
  };
}

export function nameProblem(text: string): string | null {
  if (text.length === 0) return 'is empty';
  if (text.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  const first = text.charCodeAt(0);
  // A name starting like a formula would run in a spreadsheet that opens our files (ASVS 1.2.10).
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40)
    return `starts with "${text[0]}", which spreadsheets read as a formula`;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return `contains the control character ${hex(code)}`;
  }
  return null;
}
