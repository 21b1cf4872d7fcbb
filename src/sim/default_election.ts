/**
 * The default election definition, modelled on the 2024 federal election (presidency, senate,
 * deputies): what the demo, the simulator, the tests and `openprep init` use when no
 * `election.json` is given. The parser for such files is in src/domain/election_definition.ts.
 */
import type { Catalog } from '../domain/catalog.ts';
import { distritoKey } from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import type {
  Candidatura,
  Contest,
  ElectionDefinition,
  ElectionMode,
  VoteColumn,
} from '../domain/election.ts';

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

/** Each party with the colour of its public identity (docs/catalog.md lists them). */
const PARTIES: readonly (readonly [id: string, name: string, color: string])[] = [
  ['PAN', 'Partido Acción Nacional', '#0057A8'],
  ['PRI', 'Partido Revolucionario Institucional', '#008C45'],
  ['PRD', 'Partido de la Revolución Democrática', '#FFCC00'],
  ['PVEM', 'Partido Verde Ecologista de México', '#6BBF3F'],
  ['PT', 'Partido del Trabajo', '#D8232A'],
  ['MC', 'Movimiento Ciudadano', '#F58025'],
  ['MORENA', 'Morena', '#A6192E'],
];
const INDEPENDENT_COLOR = '#6B4FA0';

/** The two 2024 coalitions; every combination of two or more of its parties is a vote column. */
const COALITIONS = {
  fuerzaYCorazon: ['PAN_PRI_PRD', 'PAN_PRI', 'PAN_PRD', 'PRI_PRD'],
  sigamosHaciendoHistoria: ['PVEM_PT_MORENA', 'PVEM_PT', 'PVEM_MORENA', 'PT_MORENA'],
} as const;

type Scope = NonNullable<VoteColumn['scope']>;

function partyColumns(): VoteColumn[] {
  return PARTIES.map(([id, name, color]) => ({ id, kind: 'party', name, color }));
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

/** The two coalitions as candidaturas: their names and parties. */
const FUERZA = { id: 'FCM', name: 'Fuerza y Corazón por México', columns: ['PAN', 'PRI', 'PRD'] };
const SIGAMOS = { id: 'SHH', name: 'Sigamos Haciendo Historia', columns: ['PVEM', 'PT', 'MORENA'] };

// Invented names (the demo's candidates are nobody real), picked deterministically per place.
const GIVEN = [
  'María Elena',
  'José Luis',
  'Guadalupe',
  'Juan Carlos',
  'Ana Laura',
  'Francisco',
  'Rosa María',
  'Miguel Ángel',
  'Verónica',
  'Jorge Alberto',
  'Patricia',
  'Luis Fernando',
  'Adriana',
  'Ricardo',
  'Claudia Ivette',
  'Alejandro',
  'Leticia',
  'Roberto',
  'Gabriela',
  'Héctor',
];
const SURNAMES = [
  'Hernández',
  'García',
  'Martínez',
  'López',
  'González',
  'Pérez',
  'Rodríguez',
  'Sánchez',
  'Ramírez',
  'Cruz',
  'Flores',
  'Gómez',
  'Morales',
  'Vázquez',
  'Reyes',
  'Jiménez',
  'Torres',
  'Díaz',
  'Gutiérrez',
  'Ruiz',
  'Mendoza',
  'Aguilar',
  'Ortiz',
  'Castillo',
  'Romero',
  'Núñez',
];

function inventedName(seed: string): string {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  const second = Math.imul(h, 2654435761) >>> 0;
  const first = SURNAMES[(h >>> 8) % SURNAMES.length]!;
  // Two different surnames: the second skips the first.
  const other = SURNAMES.filter((name) => name !== first);
  return `${GIVEN[h % GIVEN.length]!} ${first} ${other[(second >>> 8) % other.length]!}`;
}

/** A candidatura whose candidate differs by place (`"EE"` or `"EE-DDD"`); none when it runs nowhere. */
function byPlace(
  contest: string,
  base: { id: string; name: string; columns: readonly string[] },
  places: readonly string[],
): Candidatura[] {
  if (places.length === 0) return [];
  const candidates = Object.fromEntries(places.map((p) => [p, inventedName(`${contest}/${base.id}/${p}`)]));
  return [{ ...base, candidates }];
}

/** The party's own candidatura (its name as the party's). */
function alone(id: string): { id: string; name: string; columns: readonly string[] } {
  return { id, name: PARTIES.find(([p]) => p === id)?.[1] ?? id, columns: [id] };
}

function senateCandidaturas(catalog: Catalog): Candidatura[] {
  const all = catalog.entidades.map((e) => String(e.id).padStart(2, '0'));
  const scope = senateScope(catalog);
  const sigamos = scope === null ? all : all.filter((e) => scope.entidades?.includes(Number(e)));
  const without = all.filter((e) => !sigamos.includes(e));
  return [
    ...byPlace('SEN', FUERZA, all),
    ...byPlace('SEN', SIGAMOS, sigamos),
    ...SIGAMOS.columns.flatMap((party) => byPlace('SEN', alone(party), without)),
    ...byPlace('SEN', alone('MC'), all),
  ];
}

function deputiesCandidaturas(catalog: Catalog): Candidatura[] {
  const all = catalog.distritos.map((d) => distritoKey(d.entidad, d.id));
  const scopes = deputiesScopes(catalog);
  const covered = (scope: Scope | null) => (scope === null ? all : (scope.distritos ?? []));
  const fuerza = covered(scopes.fuerza);
  const sigamos = covered(scopes.sigamos);
  const outside = (inside: readonly string[]) => all.filter((d) => !inside.includes(d));
  return [
    ...byPlace('DIP_FED', FUERZA, fuerza),
    ...FUERZA.columns.flatMap((party) => byPlace('DIP_FED', alone(party), outside(fuerza))),
    ...byPlace('DIP_FED', SIGAMOS, sigamos),
    ...SIGAMOS.columns.flatMap((party) => byPlace('DIP_FED', alone(party), outside(sigamos))),
    ...byPlace('DIP_FED', alone('MC'), all),
    ...byPlace(
      'DIP_FED',
      { id: 'CAND_IND_1', name: 'Candidatura independiente 1', columns: ['CAND_IND_1'] },
      scopes.independent.distritos ?? [],
    ),
  ];
}

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
            color: INDEPENDENT_COLOR,
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
      candidaturas: [
        { ...FUERZA, candidate: inventedName('PRES/FCM') },
        { ...SIGAMOS, candidate: inventedName('PRES/SHH') },
        { ...alone('MC'), candidate: inventedName('PRES/MC') },
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
      candidaturas: senateCandidaturas(catalog),
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
      candidaturas: deputiesCandidaturas(catalog),
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
