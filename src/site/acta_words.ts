/**
 * An acta's CSV row in words a voter reads: each field's plain label beside its CSV column name
 * (kept, for whoever works with the files), and each coded value said in the reader's language
 * (CONTABILIZADA 1 → "sí", COTEJADA 2 → "aceptada con modificación", OBSERVACIONES
 * `['Ilegible']` → "Ilegible (PT, MORENA)": which vote cells it was). The codes are those of
 * docs/publication-format.md; a value outside them is shown as published, never hidden.
 */
import type { Language } from './i18n.ts';

export interface ShownField {
  /** The CSV column name. */
  readonly column: string;
  readonly label: string;
  /** The value in words. */
  readonly value: string;
  /** The value as the CSV has it, when the words differ from it. */
  readonly raw: string | null;
}

type Pair = readonly [es: string, en: string];

export const FIELD_LABELS: Readonly<Record<string, Pair>> = {
  TOTAL_BOLETAS_SOBRANTES: ['Boletas sobrantes', 'Unused ballots'],
  TOTAL_PERSONAS_VOTARON: ['Personas que votaron', 'People who voted'],
  TOTAL_REP_PARTIDO_CI_VOTARON: [
    'Representantes de partidos y candidaturas que votaron',
    'Party and candidate representatives who voted',
  ],
  TOTAL_VOTOS_SACADOS: ['Votos sacados de la urna', 'Votes taken out of the ballot box'],
  TOTAL_VOTOS_ASENTADO: ['Total de votos escrito en el acta', 'Total votes written on the sheet'],
  TOTAL_VOTOS_CALCULADO: ['Suma de los votos capturados', 'Sum of the votes captured'],
  LISTA_NOMINAL: ['Lista nominal de la casilla', 'Registered voters of the station'],
  REPRESENTANTES_PP_CI: ['Representantes acreditados', 'Accredited representatives'],
  CONTABILIZADA: ['Contabilizada', 'Counted'],
  OBSERVACIONES: ['Observaciones', 'Remarks'],
  FECHA_HORA_ACOPIO: ['Llegada de la imagen (acopio)', 'Image received (acopio)'],
  FECHA_HORA_CAPTURA: ['Captura', 'Captured'],
  FECHA_HORA_VERIFICACION: ['Verificación', 'Verified'],
  ORIGEN: ['Origen de la imagen', 'Where the image came from'],
  DIGITALIZACION: ['Digitalización', 'How it was digitised'],
  TIPO_DOCUMENTO: ['Documento', 'Document'],
  MECANISMOS_TRASLADO: ['Traslado del paquete', 'How the package travelled'],
  COTEJADA: ['Cotejada', 'Checked against the sheet (cotejo)'],
  CODIGO_INTEGRIDAD: ['Código de integridad (SHA-256) publicado', 'Published integrity code (SHA-256)'],
};

const VALUE_WORDS: Readonly<Record<string, Readonly<Record<string, Pair>>>> = {
  CONTABILIZADA: {
    '0': ['no', 'no'],
    '1': ['sí', 'yes'],
    '2': ['no: fuera de catálogo', 'no: outside the catalog'],
  },
  COTEJADA: {
    '0': ['no', 'no'],
    '1': ['sí, aceptada', 'yes, accepted'],
    '2': ['sí, aceptada con modificación', 'yes, accepted after a correction'],
    '3': ['en corrección', 'being corrected'],
  },
  ORIGEN: {
    CASILLA: ['la casilla (fotografía en la casilla)', 'the polling station (photographed there)'],
    CATD: ['un CATD (centro de acopio y transmisión)', 'a CATD (collection and transmission centre)'],
  },
  DIGITALIZACION: {
    Móvil: ['teléfono móvil', 'mobile phone'],
    Escáner: ['escáner', 'scanner'],
  },
  TIPO_DOCUMENTO: {
    'Acta PREP': ['acta PREP', 'PREP tally sheet'],
    'Copia PE': ['copia del acta (paquete electoral)', 'copy of the sheet (election package)'],
    'Acta Consejo': ['acta del consejo distrital', 'district council sheet'],
    'Acta Consejo S': ['acta del consejo (casilla especial)', 'council sheet (special station)'],
    'Copia RPPCI': [
      'copia de la representación de partido o candidatura',
      'copy held by a party or candidate representative',
    ],
  },
  MECANISMOS_TRASLADO: {
    D: ['dispositivo de apoyo', 'support device'],
    F: ['centro de recepción fijo', 'fixed reception centre'],
    I: ['centro de recepción itinerante', 'mobile reception centre'],
  },
};

/** OBSERVACIONES items in the reader's language; matched without regard to case. */
const OBSERVATION_WORDS: readonly (readonly [published: string, es: string, en: string])[] = [
  ['fuera de catálogo', 'Fuera de catálogo', 'Outside the catalog'],
  ['excede lista nominal', 'Excede la lista nominal', 'Exceeds the register'],
  ['todos los campos ilegibles', 'Todos los campos ilegibles', 'Every field illegible'],
  ['todos los campos vacíos', 'Todos los campos vacíos', 'Every field empty'],
  ['ilegible', 'Ilegible', 'Illegible'],
  ['sin dato', 'Sin dato', 'No data'],
];

const CELL_WORDS: Readonly<Record<string, Pair>> = {
  Ilegible: ['ilegible', 'illegible'],
  'Sin dato': ['sin dato', 'no data'],
  '-': ['—', '—'],
};

const pick = (pair: Pair, language: Language) => (language === 'es' ? pair[0] : pair[1]);

/** `['A', 'B (c, d)']` → its items; anything else (`-`, or not a list) → none or itself. */
export function observationItems(text: string): string[] {
  if (text === '-' || text === '') return [];
  if (!text.startsWith('[') || !text.endsWith(']')) return [text];
  return [...text.slice(1, -1).matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
}

/**
 * OBSERVACIONES in words: each item translated, "Ilegible" and "Sin dato" naming the cells
 * (boxes of the acta) that were so, and "Sin acta (reason)" with its reason as published.
 */
export function observationsInWords(row: Readonly<Record<string, string>>, language: Language): string {
  const items = observationItems(row['OBSERVACIONES'] ?? '-');
  if (items.length === 0) return language === 'es' ? 'ninguna' : 'none';
  return items
    .map((item) => {
      const known = OBSERVATION_WORDS.find(([published]) => published === item.toLowerCase());
      if (known === undefined) return item;
      const words = language === 'es' ? known[1] : known[2];
      if (known[0] === 'ilegible' || known[0] === 'sin dato') {
        const cells = Object.entries(row)
          .filter(([, value]) => value.toLowerCase() === known[0])
          .map(([column]) => column);
        return cells.length === 0 ? words : `${words} (${cells.join(', ')})`;
      }
      return words;
    })
    .join('; ');
}

/** `DD/MM/YYYY HH:MM:SS` (the CSV's, election time) as the reader writes dates. */
export function timestampInWords(text: string, language: Language): string | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (match === null) return null;
  const [, day, month, year, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== day) return null;
  return date.toLocaleString(language === 'es' ? 'es-MX' : 'en-US', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/** One field of the row in words. */
export function fieldInWords(
  row: Readonly<Record<string, string>>,
  column: string,
  language: Language,
  columnName?: string,
): ShownField {
  const raw = row[column] ?? '';
  const label =
    FIELD_LABELS[column] === undefined ? (columnName ?? column) : pick(FIELD_LABELS[column], language);
  let value: string | null = null;
  if (column === 'OBSERVACIONES') value = observationsInWords(row, language);
  else if (column.startsWith('FECHA_HORA_'))
    value =
      raw === '-' ? (language === 'es' ? 'sin registro' : 'not recorded') : timestampInWords(raw, language);
  else {
    const codes = VALUE_WORDS[column];
    const coded = codes === undefined ? CELL_WORDS[raw] : codes[raw];
    if (coded !== undefined) value = pick(coded, language);
    else if (raw === '-' && codes !== undefined) value = language === 'es' ? 'ninguno' : 'none';
  }
  return { column, label, value: value ?? raw, raw: value === null || value === raw ? null : raw };
}
