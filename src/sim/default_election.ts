/**
 * The default election definition, modelled on the 2024 federal election (presidency, senate,
 * deputies): what the demo, the simulator, the tests and `openprep init` use when no
 * `election.json` is given. The parser for such files is in src/domain/election_definition.ts.
 */
import type { Catalog } from '../domain/catalog.ts';
import { distritoKey } from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import type { Contest, ElectionDefinition, ElectionMode, VoteColumn } from '../domain/election.ts';

/** TIPO_ACTA codes of the default definition (the suffix of CLAVE_ACTA); see docs/catalog.md. */
export const TIPO_ACTA = {
  PRES: '01',
  SEN: '02',
  DIP_FED_MR: '03',
  DIP_FED_RP: '04',
} as const;

export interface DefaultElectionOptions {
  readonly mode: ElectionMode;
  readonly id?: string; // default PEF2024
  readonly year?: number; // default 2024
  readonly publicationStart?: string; // default 2024-06-03T02:00:00.000Z (20:00 central, 2 June 2024)
}

const PARTIES: readonly (readonly [id: string, name: string])[] = [
  ['PAN', 'Partido Acción Nacional'],
  ['PRI', 'Partido Revolucionario Institucional'],
  ['PRD', 'Partido de la Revolución Democrática'],
  ['PVEM', 'Partido Verde Ecologista de México'],
  ['PT', 'Partido del Trabajo'],
  ['MC', 'Movimiento Ciudadano'],
  ['MORENA', 'Morena'],
];

/** The two 2024 coalitions; every combination of two or more of its parties is a vote column. */
const COALITIONS = {
  fuerzaYCorazon: ['PAN_PRI_PRD', 'PAN_PRI', 'PAN_PRD', 'PRI_PRD'],
  sigamosHaciendoHistoria: ['PVEM_PT_MORENA', 'PVEM_PT', 'PVEM_MORENA', 'PT_MORENA'],
} as const;

type Scope = NonNullable<VoteColumn['scope']>;

function partyColumns(): VoteColumn[] {
  return PARTIES.map(([id, name]) => ({ id, kind: 'party', name }));
}

function coalitionColumns(ids: readonly string[], scope: Scope | null): VoteColumn[] {
  // A scope that covers nothing would be a column that never applies: leave the column out.
  if (scope !== null && (scope.entidades?.length === 0 || scope.distritos?.length === 0)) return [];
  return ids.map((id) => {
    const parties = id.split('_');
    return {
      id,
      kind: 'coalition',
      name: `Coalición ${parties.join('-')}`,
      parties,
      ...(scope === null ? {} : { scope }),
    };
  });
}

function closingColumns(): VoteColumn[] {
  return [
    { id: 'NO_REGISTRADAS', kind: 'no_registradas', name: 'Candidaturas no registradas' },
    { id: 'NULOS', kind: 'nulos', name: 'Votos nulos' },
  ];
}

/**
 * Deterministic, catalog-relative scopes (documented in docs/catalog.md): selecting by position in
 * the sorted catalog keeps a tiny catalog interesting too (its second distrito lacks a coalition,
 * its first has the independent candidate).
 */
function everyExcept<T>(items: readonly T[], excluded: (index: number) => boolean): T[] | null {
  const kept = items.filter((_, i) => !excluded(i));
  return kept.length === items.length ? null : kept;
}

function senateScope(catalog: Catalog): Scope | null {
  const entidades = everyExcept(
    catalog.entidades.map((e) => e.id),
    (i) => i % 8 === 7,
  );
  return entidades === null ? null : { entidades };
}

function deputiesScopes(catalog: Catalog): {
  fuerza: Scope | null;
  sigamos: Scope | null;
  independent: Scope;
} {
  const keys = catalog.distritos.map((d) => distritoKey(d.entidad, d.id));
  const fuerza = everyExcept(keys, (i) => i % 10 === 9);
  const sigamos = everyExcept(keys, (i) => i % 6 === 1);
  return {
    fuerza: fuerza === null ? null : { distritos: fuerza },
    sigamos: sigamos === null ? null : { distritos: sigamos },
    independent: { distritos: keys.filter((_, i) => i % 100 === 0) },
  };
}

const EVERY_CASILLA: readonly TipoCasilla[] = ['B', 'C', 'E', 'S'];

/** The default definition over a catalog: 2024's three federal contests, their parties and coalitions. */
export function defaultElectionDefinition(
  catalog: Catalog,
  options: DefaultElectionOptions,
): ElectionDefinition {
  const year = options.year ?? 2024;
  const deputies = deputiesScopes(catalog);
  const independent: VoteColumn[] =
    deputies.independent.distritos?.length === 0
      ? []
      : [
          {
            id: 'CAND_IND_1',
            kind: 'independent',
            name: 'Candidatura independiente 1',
            scope: deputies.independent,
          },
        ];
  const contests: Contest[] = [
    {
      id: 'PRES',
      title: 'PRESIDENCIA DE LA REPÚBLICA',
      actaTypes: [{ code: TIPO_ACTA.PRES, label: 'MR', casillaTypes: EVERY_CASILLA }],
      columns: [
        ...partyColumns(),
        ...coalitionColumns(COALITIONS.fuerzaYCorazon, null),
        ...coalitionColumns(COALITIONS.sigamosHaciendoHistoria, null),
        ...closingColumns(),
      ],
    },
    {
      id: 'SEN',
      title: 'SENADURÍAS',
      actaTypes: [{ code: TIPO_ACTA.SEN, label: 'MR', casillaTypes: EVERY_CASILLA }],
      columns: [
        ...partyColumns(),
        ...coalitionColumns(COALITIONS.fuerzaYCorazon, null),
        ...coalitionColumns(COALITIONS.sigamosHaciendoHistoria, senateScope(catalog)),
        ...closingColumns(),
      ],
    },
    {
      id: 'DIP_FED',
      title: 'DIPUTACIONES FEDERALES',
      actaTypes: [
        { code: TIPO_ACTA.DIP_FED_MR, label: 'MR', casillaTypes: EVERY_CASILLA },
        { code: TIPO_ACTA.DIP_FED_RP, label: 'RP', casillaTypes: ['S'] },
      ],
      columns: [
        ...partyColumns(),
        ...coalitionColumns(COALITIONS.fuerzaYCorazon, deputies.fuerza),
        ...coalitionColumns(COALITIONS.sigamosHaciendoHistoria, deputies.sigamos),
        ...independent,
        ...closingColumns(),
      ],
    },
  ];
  return {
    id: options.id ?? 'PEF2024',
    name: `Proceso Electoral Federal ${year - 1}-${year}`,
    year,
    mode: options.mode,
    utcOffsetMinutes: -360,
    publicationStart: options.publicationStart ?? '2024-06-03T02:00:00.000Z',
    publicationHours: 24,
    cutIntervalMinutes: 5,
    contests,
  };
}
