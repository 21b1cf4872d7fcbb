/**
 * The columns of the results CSV, explained plainly for the downloads page (the full data
 * dictionary is the cut's LEEME.txt; the exact format, docs/publication-format.md).
 */
import type { Language } from './i18n.ts';

type Help = readonly (readonly [columns: string, es: string, en: string])[];

export const CSV_LAYOUT: Readonly<Record<Language, string>> = {
  es: 'Cada archivo de resultados es UTF-8 con BOM, separado por comas. Las líneas 1 y 2 dicen la elección y la hora del corte; la 4 y la 5, los 13 agregados y sus valores; desde la 7, el encabezado de la tabla y una línea por acta registrada. Los porcentajes llevan 4 decimales, truncados, nunca redondeados.',
  en: 'Each results file is UTF-8 with a BOM, comma-separated. Lines 1 and 2 give the election and the cut time; lines 4 and 5 the 13 aggregates and their values; from line 7, the table header and one line per registered tally sheet. Percentages carry 4 decimals, truncated, never rounded.',
};

export const COLUMN_HELP: Help = [
  [
    'CLAVE_CASILLA, CLAVE_ACTA',
    'Identifican la casilla (entidad, sección, tipo, número, extensión) y el acta (casilla + tipo de acta). Llevan un apóstrofo al inicio para que las hojas de cálculo conserven los ceros; «-» si el acta no corresponde a una casilla del catálogo.',
    "Identify the polling station (state, section, type, number, extension) and the tally sheet (station + sheet type). They start with an apostrophe so spreadsheets keep the zeros; '-' when the sheet matches no station in the catalog.",
  ],
  [
    'ID_ENTIDAD … UBICACION_CASILLA',
    'Dónde está la casilla: entidad, distrito federal, sección, tipo (B básica, C contigua, E extraordinaria, S especial), número, extensión, urbana (1) o no urbana (2).',
    'Where the station is: state, federal district, section, type (B basic, C contiguous, E extraordinary, S special), number, extension, urban (1) or not (2).',
  ],
  [
    'TOTAL_BOLETAS_SOBRANTES … TOTAL_VOTOS_SACADOS',
    'Lo que el acta asienta: boletas sobrantes, personas que votaron, representantes de partidos que votaron, votos sacados de la urna.',
    'What the sheet records: unused ballots, people who voted, party representatives who voted, votes taken out of the box.',
  ],
  [
    'PAN, PRI, … NO_REGISTRADAS, NULOS',
    'Votos por partido, por cada combinación de coalición y por candidatura independiente, no registradas y nulos. «Ilegible» o «Sin dato» cuando así se capturó; «-» si la opción no aparecía en esa boleta.',
    "Votes per party, per coalition combination and per independent candidate, unregistered and void. 'Ilegible' or 'Sin dato' when captured so; '-' when the option was not on that ballot.",
  ],
  [
    'TOTAL_VOTOS_ASENTADO, TOTAL_VOTOS_CALCULADO',
    'El total escrito en el acta, y la suma de los votos capturados.',
    'The total written on the sheet, and the sum of the votes captured.',
  ],
  [
    'LISTA_NOMINAL, REPRESENTANTES_PP_CI',
    'Electores de la lista nominal de la casilla (0 en las especiales) y representantes acreditados.',
    'Registered voters of the station (0 at special stations) and accredited representatives.',
  ],
  [
    'OBSERVACIONES, CONTABILIZADA',
    'Por qué un acta no suma, o qué tiene (excede la lista nominal, ilegible, sin dato…); CONTABILIZADA es 1 si suma a los resultados, 0 si no, 2 si está fuera de catálogo.',
    'Why a sheet does not count, or what it has (exceeds the register, illegible, missing…); CONTABILIZADA is 1 when it counts, 0 when not, 2 when outside the catalog.',
  ],
  [
    'CODIGO_INTEGRIDAD',
    'El SHA-256 de la imagen del acta: cualquiera puede calcularlo sobre la imagen publicada y compararlo (este sitio lo hace en su navegador).',
    'The SHA-256 of the sheet’s image: anyone can compute it over the published image and compare (this site does so in your browser).',
  ],
  [
    'FECHA_HORA_ACOPIO, FECHA_HORA_CAPTURA, FECHA_HORA_VERIFICACION',
    'Cuándo llegó la imagen, cuándo se capturó y cuándo se verificó (tiempo del centro).',
    'When the image arrived, when it was captured and when it was verified (central Mexico time).',
  ],
  [
    'ORIGEN, DIGITALIZACION, TIPO_DOCUMENTO, MECANISMOS_TRASLADO, COTEJADA',
    'De dónde vino la imagen (casilla o CATD), cómo se tomó (móvil o escáner), qué documento es, cómo se trasladó el paquete, y si el acta fue cotejada (1 sí, 2 con modificación, 3 en corrección).',
    'Where the image came from (station or CATD), how it was taken (phone or scanner), which document it is, how the package travelled, and whether the sheet was checked again (1 yes, 2 with a change, 3 being corrected).',
  ],
];
