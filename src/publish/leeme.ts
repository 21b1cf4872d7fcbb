/** LEEME.txt: the data dictionary published with every cut, in Spanish. */
import type { ElectionDefinition } from '../domain/election.ts';
import { formatCutLine, utcOffsetLabel } from '../domain/local_time.ts';

export function leeme(election: ElectionDefinition, cutId: string, cutTime: number): Buffer {
  const zone = utcOffsetLabel(election.utcOffsetMinutes);
  const drill =
    election.mode === 'simulacro'
      ? [
          '*** SIMULACRO ***',
          'Estos datos provienen de un SIMULACRO. No son resultados de ninguna elección.',
          'Están firmados con la llave del simulacro, distinta de la llave de la elección real.',
          '',
        ]
      : [];
  const contests = election.contests.map((c) => `  ${c.id}_${election.year}.csv  ${c.title}`);
  const text = [
    ...drill,
    `PROGRAMA DE RESULTADOS ELECTORALES PRELIMINARES — ${election.name}`,
    `Corte ${cutId}: ${formatCutLine(cutTime, election.utcOffsetMinutes)}`,
    '',
    'ARCHIVOS',
    ...contests,
    '  <ELECCION>_CANDIDATURAS_<AÑO>.csv  opciones de cada elección (partidos, coaliciones, candidaturas independientes) y dónde aparecen',
    '  json/  agregados por nivel (nacional, entidad, distrito) para el sitio',
    '  manifest.json  tamaño y SHA-256 de cada archivo, raíz Merkle de las actas, punto de control de la bitácora',
    '  manifest.sig  firma Ed25519 (nota firmada C2SP) del manifiesto',
    '',
    'FORMATO DE LOS ARCHIVOS DE RESULTADOS',
    'UTF-8 con BOM, separado por comas, líneas terminadas en retorno de carro (\\r).',
    'Línea 1: nombre de la elección. Línea 2: fecha y hora del corte. Línea 4: nombres de los 13 agregados;',
    'línea 5: sus valores. Línea 7: encabezado de la tabla de actas; después, una línea por acta registrada,',
    'ordenadas por entidad, distrito, sección, tipo, id y extensión de casilla; las actas fuera de catálogo al final.',
    '',
    'AGREGADOS (porcentajes con 4 decimales, TRUNCADOS, nunca redondeados, sobre las actas esperadas)',
    '  ACTAS_ESPERADAS  actas de todas las casillas aprobadas para la elección',
    '  ACTAS_REGISTRADAS  actas capturadas más actas fuera de catálogo',
    '  ACTAS_FUERA_CATALOGO  actas cuya identificación no corresponde a una casilla aprobada; no cuentan',
    '  ACTAS_CAPTURADAS  actas registradas que sí están en el catálogo, contabilizadas o no',
    '  PORCENTAJE_ACTAS_CAPTURADAS  capturadas / esperadas × 100',
    '  ACTAS_CONTABILIZADAS  actas que suman a los resultados (CONTABILIZADA = 1)',
    '  PORCENTAJE_ACTAS_CONTABILIZADAS  contabilizadas / esperadas × 100',
    '  PORCENTAJE_ACTAS_INCONSISTENCIAS  actas capturadas con alguna observación / esperadas × 100',
    '  ACTAS_NO_CONTABILIZADAS  capturadas − contabilizadas',
    '  LISTA_NOMINAL_ACTAS_CONTABILIZADAS  suma de la lista nominal de las actas contabilizadas',
    '  TOTAL_VOTOS_C_CS  votos de las actas contabilizadas, con casillas especiales',
    '  TOTAL_VOTOS_S_CS  votos de las actas contabilizadas, sin casillas especiales',
    '  PORCENTAJE_PARTICIPACION_CIUDADANA  TOTAL_VOTOS_S_CS / LISTA_NOMINAL_ACTAS_CONTABILIZADAS × 100;',
    '      en el corte final se usa TOTAL_VOTOS_C_CS',
    '',
    'COLUMNAS DE LA TABLA DE ACTAS',
    "  CLAVE_CASILLA  entidad (2) + sección (4) + tipo (1) + id (2) + extensión contigua (2), precedida de ' ; - fuera de catálogo",
    "  CLAVE_ACTA  CLAVE_CASILLA + TIPO_ACTA, precedida de ' ; - fuera de catálogo",
    '  ID_ENTIDAD, ENTIDAD  número y nombre de la entidad',
    '  ID_DISTRITO_FEDERAL, DISTRITO_FEDERAL  número (3 dígitos) y cabecera del distrito',
    '  SECCION (4 dígitos), ID_CASILLA (2), TIPO_CASILLA (B básica, C contigua, E extraordinaria, S especial), EXT_CONTIGUA (2)',
    '  UBICACION_CASILLA  1 urbana, 2 no urbana',
    '  TIPO_ACTA  01 presidencia, 02 senadurías, 03 diputaciones MR, 04 diputaciones RP (casillas especiales), según la definición de la elección',
    '  TOTAL_BOLETAS_SOBRANTES, TOTAL_PERSONAS_VOTARON, TOTAL_REP_PARTIDO_CI_VOTARON, TOTAL_VOTOS_SACADOS  como se asentaron en el acta',
    '  <una columna por partido, combinación de coalición y candidatura independiente>, NO_REGISTRADAS, NULOS  votos;',
    '      Ilegible (ilegible en letra y número, cuenta 0), Sin dato (no se asentó, cuenta 0), - (no aparece en la boleta de esa casilla)',
    '  TOTAL_VOTOS_ASENTADO  total escrito en el acta',
    '  TOTAL_VOTOS_CALCULADO  suma de todas las columnas de votos calculada por el sistema',
    '  LISTA_NOMINAL  electores de la casilla (0 en casillas especiales)',
    '  REPRESENTANTES_PP_CI  representantes de partidos y candidaturas independientes acreditados',
    "  OBSERVACIONES  - o una lista ['…']: Fuera de catálogo; Sin acta (paquete no entregado | casilla no instalada | sin sobre |",
    '      contingencia en urna electrónica); Excede lista nominal (la suma supera lista nominal + representantes, o boletas',
    '      aprobadas + representantes en casillas especiales); Todos los campos ilegibles; Todos los campos vacíos; Ilegible; Sin dato',
    '  CONTABILIZADA  1 sí, 0 no, 2 fuera de catálogo',
    '  MECANISMOS_TRASLADO  D dispositivo de apoyo, F centro de recepción fijo, I itinerante, - ninguno',
    '  CODIGO_INTEGRIDAD  SHA-256 de la imagen del acta',
    `  FECHA_HORA_ACOPIO, FECHA_HORA_CAPTURA, FECHA_HORA_VERIFICACION  DD/MM/AAAA HH:MM:SS, hora del centro de México (${zone})`,
    '  ORIGEN  CASILLA (fotografiada en la casilla) o CATD (digitalizada en el centro de acopio)',
    '  DIGITALIZACION  Móvil o Escáner',
    '  TIPO_DOCUMENTO  Acta PREP, Copia PE, Acta Consejo, Acta Consejo S, Copia RPPCI',
    '  COTEJADA  0 sin cotejo, 1 aceptada, 2 aceptada con modificación, 3 en corrección',
    '',
    'CÓMO VERIFICAR',
    '  Imagen de un acta: calcule su SHA-256 (sha256sum imagen.jpg) y compárelo con CODIGO_INTEGRIDAD.',
    '  Corte completo: npx openprep verify <carpeta o zip del corte> --key <llave pública> (docs/verification.md).',
    '',
  ].join('\n');
  return Buffer.from(text, 'utf8');
}
