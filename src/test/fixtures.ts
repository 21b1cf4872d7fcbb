/**
 * Small hand-built election fixtures for tests: one entidad, two distritos, a básica, a
 * contigua, an extraordinaria and a special casilla; a contest with a coalition that applies in
 * one distrito only.
 */
import type { Classification, PublishedActa, SinActaReason, Submission } from '../domain/acta.ts';
import { classifyActa } from '../domain/classification.ts';
import type { Casilla, Catalog } from '../domain/catalog.ts';
import type { Contest, ElectionDefinition } from '../domain/election.ts';
import { type ActaKey, type CasillaKey, formatActaKey, formatCasillaKey } from '../domain/keys.ts';
import type { ActaFields, CapturedValue } from '../domain/values.ts';

function casilla(
  partial: Pick<Casilla, 'distrito' | 'seccion' | 'tipo' | 'id' | 'extension' | 'listaNominal'> &
    Partial<Casilla>,
): Casilla {
  const key = formatCasillaKey({
    entidad: 1,
    seccion: partial.seccion,
    tipo: partial.tipo,
    id: partial.id,
    extension: partial.extension,
  });
  if (!key.ok) throw new Error(key.message);
  return {
    key: key.value as CasillaKey,
    entidad: 1,
    ubicacion: 'URBANA',
    representantes: 10,
    boletasAprobadas: 0,
    ...partial,
  };
}

export const BASICA = casilla({
  distrito: 1,
  seccion: 338,
  tipo: 'B',
  id: 1,
  extension: 0,
  listaNominal: 500,
});
export const CONTIGUA = casilla({
  distrito: 1,
  seccion: 338,
  tipo: 'C',
  id: 1,
  extension: 0,
  listaNominal: 480,
});
export const EXTRAORDINARIA = casilla({
  distrito: 2,
  seccion: 512,
  tipo: 'E',
  id: 1,
  extension: 0,
  listaNominal: 300,
  ubicacion: 'NO_URBANA',
});
export const ESPECIAL = casilla({
  distrito: 2,
  seccion: 600,
  tipo: 'S',
  id: 1,
  extension: 0,
  listaNominal: 0,
  boletasAprobadas: 750,
});

export const CATALOG: Catalog = {
  entidades: [{ id: 1, name: 'AGUASCALIENTES' }],
  distritos: [
    { entidad: 1, id: 1, name: 'JESÚS MARÍA' },
    { entidad: 1, id: 2, name: 'AGUASCALIENTES' },
  ],
  casillas: [BASICA, CONTIGUA, EXTRAORDINARIA, ESPECIAL],
};

export const CONTEST: Contest = {
  id: 'DIP_FED',
  title: 'DIPUTACIONES FEDERALES',
  actaTypes: [
    { code: '03', label: 'MR', casillaTypes: ['B', 'C', 'E', 'S'] },
    { code: '04', label: 'RP', casillaTypes: ['S'] },
  ],
  columns: [
    { id: 'PAN', kind: 'party', name: 'PAN' },
    { id: 'MORENA', kind: 'party', name: 'MORENA' },
    {
      id: 'PAN_MORENA',
      kind: 'coalition',
      name: 'PAN-MORENA',
      parties: ['PAN', 'MORENA'],
      scope: { distritos: ['01-001'] },
    },
    { id: 'NO_REGISTRADAS', kind: 'no_registradas', name: 'Candidaturas no registradas' },
    { id: 'NULOS', kind: 'nulos', name: 'Votos nulos' },
  ],
};

export const ELECTION: ElectionDefinition = {
  id: 'TEST2024',
  name: 'Elección de prueba',
  year: 2024,
  mode: 'simulacro',
  utcOffsetMinutes: -360,
  publicationStart: '2024-06-03T02:00:00.000Z',
  publicationHours: 24,
  cutIntervalMinutes: 5,
  contests: [CONTEST],
};

export function actaKeyOf(c: Casilla, tipoActa = '03'): ActaKey {
  const key = formatActaKey(c.key, tipoActa);
  if (!key.ok) throw new Error(key.message);
  return key.value;
}

/** Fields for a casilla: votes for the applicable columns in order, boxes consistent with them. */
export function fields(
  c: Casilla,
  votes: readonly CapturedValue[],
  totalAsentado?: CapturedValue,
): ActaFields {
  const columns = CONTEST.columns.filter(
    (col) => col.scope === undefined || (c.distrito === 1 && c.entidad === 1),
  );
  if (votes.length !== columns.length) throw new Error(`${c.key} takes ${columns.length} votes`);
  const record: Record<string, CapturedValue> = {};
  columns.forEach((col, i) => {
    record[col.id] = votes[i]!;
  });
  const sum = votes.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0);
  return {
    boletasSobrantes: 100,
    personasVotaron: sum,
    representantesVotaron: 2,
    votosSacados: sum,
    votes: record,
    totalAsentado: totalAsentado ?? sum,
  };
}

export const SUBMISSION: Submission = {
  imageSha256: 'a'.repeat(64),
  origin: 'CASILLA',
  digitization: 'MOVIL',
  documentType: 'ACTA_PREP',
  transfer: null,
  acopioAt: Date.parse('2024-06-03T04:00:00.000Z'),
  source: 'test',
};

export function published(
  c: Casilla | null,
  f: ActaFields | null,
  options: { tipoActa?: string; sinActaReason?: SinActaReason; claimedKey?: string } = {},
): PublishedActa {
  const classification: Classification = classifyActa({
    casilla: c,
    contest: CONTEST,
    fields: f,
    sinActaReason: options.sinActaReason ?? null,
  });
  const tipoActa = options.tipoActa ?? '03';
  return {
    contest: CONTEST.id,
    actaKey: c === null ? null : actaKeyOf(c, tipoActa),
    casilla: c,
    tipoActa,
    identification: {
      claimedKey: options.claimedKey ?? (c === null ? '019999B990003' : actaKeyOf(c, tipoActa)),
      entidad: 1,
      distrito: c?.distrito ?? null,
      seccion: c?.seccion ?? 9999,
      tipo: c?.tipo ?? 'B',
      id: c?.id ?? 99,
      extension: c?.extension ?? 0,
      tipoActa,
    },
    fields: f,
    classification,
    submission: f === null ? null : SUBMISSION,
    capturedAt: f === null ? null : SUBMISSION.acopioAt + 60_000,
    verifiedAt: f === null ? null : SUBMISSION.acopioAt + 120_000,
    cotejada: 0,
  };
}
