/**
 * Synthetic casilla catalogs shaped like the 2024 federal one, for the demo, the tests and the
 * benchmarks. Pure and seeded: the same scale and seed give the same catalog on every machine.
 * The distributions are documented in docs/catalog.md ("The generator").
 */
import {
  type Casilla,
  type Catalog,
  compareCasillas,
  type Distrito,
  type Entidad,
  type Ubicacion,
} from '../domain/catalog.ts';
import type { TipoCasilla } from '../domain/keys.ts';
import { formatCasillaKey } from '../domain/keys.ts';
import { ENTIDAD_PROFILES, type EntidadProfile } from './names.ts';
import { createRandom, type Random } from './random.ts';

export const CATALOG_SCALES = ['tiny', 'state', 'national'] as const;
export type CatalogScale = (typeof CATALOG_SCALES)[number];

export interface GenerateCatalogOptions {
  readonly scale: CatalogScale;
  readonly seed: number;
  /** Called after each entidad, for a progress line (the national catalog takes seconds). */
  readonly onEntidad?: (done: number) => void;
}

/** 2024 federal: casillas aprobadas. */
export const NATIONAL_CASILLAS = 170_648;

interface ScalePlan {
  readonly entidades: readonly { readonly profile: EntidadProfile; readonly distritos: number }[];
  readonly casillas: number;
  readonly specialsPerDistrito: readonly [min: number, max: number];
  readonly minExtraordinariasPerDistrito: number;
}

function profile(id: number): EntidadProfile {
  const found = ENTIDAD_PROFILES.find((p) => p.id === id);
  if (found === undefined) throw new Error(`no entidad profile ${id}`);
  return found;
}

/** How many entidades a scale's catalog has (1, 1 or 32): the total of a progress line. */
export function entidadCount(scale: CatalogScale): number {
  return scalePlan(scale).entidades.length;
}

function scalePlan(scale: CatalogScale): ScalePlan {
  switch (scale) {
    case 'tiny':
      return {
        entidades: [{ profile: profile(1), distritos: 2 }],
        casillas: 40,
        specialsPerDistrito: [1, 1],
        minExtraordinariasPerDistrito: 1,
      };
    case 'state':
      return {
        entidades: [{ profile: profile(8), distritos: profile(8).cabeceras.length }],
        casillas: 7_000,
        specialsPerDistrito: [1, 6],
        minExtraordinariasPerDistrito: 0,
      };
    case 'national':
      return {
        entidades: ENTIDAD_PROFILES.map((p) => ({ profile: p, distritos: p.cabeceras.length })),
        casillas: NATIONAL_CASILLAS,
        specialsPerDistrito: [1, 6],
        minExtraordinariasPerDistrito: 0,
      };
  }
}

// Secciones with a básica per ordinary casilla (2024: ~69k básicas over ~166k B+C casillas).
const SECCIONES_PER_ORDINARY_CASILLA = 0.415;
// Contiguas per sección before scaling: urban secciones are bigger.
const CONTIGUAS_BASE_URBAN = 1.8;
const CONTIGUAS_BASE_RURAL = 0.6;
const MAX_CONTIGUAS = 60;
// A group of extraordinarias (E id n with its contiguas) sits alone in its own sección this often.
const EXTRAORDINARIA_ONLY_SECCION_SHARE = 0.4;
const MAX_SECCION = 9_999;
// Sección numbers must fit in 4 digits: the biggest entidad (México, ~22,700 casillas) gets bigger
// secciones instead, as it has in reality. The margin covers the per-distrito noise.
const MAX_PLANNED_SECCIONES = 9_200;
const TYPICAL_DISTRITO_CASILLAS = NATIONAL_CASILLAS / 300;
const MAX_LISTA_NOMINAL = 750;

interface SeccionPlan {
  readonly urban: boolean;
  readonly hasBasica: boolean;
  contiguas: number;
  readonly extraordinariaGroups: number[]; // sizes: E id n ext 0, then its contiguas ext 1..
  especiales: number;
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder; ties by index). */
function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left === 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    left--;
  }
  return parts;
}

function binomial(rng: Random, trials: number, p: number): number {
  let count = 0;
  for (let i = 0; i < trials; i++) if (rng.next() < p) count++;
  return count;
}

/** Geometric count with the given mean (no logarithms, so it is reproducible everywhere). */
function geometric(rng: Random, mean: number, cap: number): number {
  const q = mean / (1 + mean);
  let count = 0;
  while (count < cap && rng.next() < q) count++;
  return count;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

interface DistritoPlanInput {
  readonly rng: Random;
  readonly casillas: number;
  readonly urbanShare: number;
  readonly seccionesPerCasilla: number;
  readonly plan: ScalePlan;
}

/** The secciones of one distrito and how many casillas of each type each holds (exactly `casillas` in all). */
function planDistrito({
  rng,
  casillas,
  urbanShare,
  seccionesPerCasilla,
  plan,
}: DistritoPlanInput): SeccionPlan[] {
  const [minSpecials, maxSpecials] = plan.specialsPerDistrito;
  const especiales = rng.int(minSpecials, maxSpecials);
  // Extraordinarias serve hard-to-reach places: more in rural distritos.
  const expectedExtraordinarias = Math.min(
    40,
    ((2 + 30 * (1 - urbanShare)) * casillas) / TYPICAL_DISTRITO_CASILLAS,
  );
  let extraordinarias = Math.max(
    plan.minExtraordinariasPerDistrito,
    binomial(rng, 40, expectedExtraordinarias / 40),
  );
  extraordinarias = Math.min(extraordinarias, Math.max(0, casillas - especiales - 1));
  const ordinary = casillas - especiales - extraordinarias;
  if (ordinary < 1) throw new Error(`distrito budget ${casillas} too small`);

  const basicas = clamp(Math.round(ordinary * seccionesPerCasilla * (0.9 + 0.2 * rng.next())), 1, ordinary);
  const secciones: SeccionPlan[] = [];
  for (let i = 0; i < basicas; i++)
    secciones.push({
      urban: rng.chance(urbanShare),
      hasBasica: true,
      contiguas: 0,
      extraordinariaGroups: [],
      especiales: 0,
    });
  distributeContiguas(rng, secciones, ordinary - basicas);
  placeExtraordinarias(rng, secciones, extraordinarias);
  placeEspeciales(rng, secciones, especiales);
  return rng.shuffle(secciones);
}

function distributeContiguas(rng: Random, secciones: SeccionPlan[], total: number): void {
  const bases = secciones.map((s) => (s.urban ? CONTIGUAS_BASE_URBAN : CONTIGUAS_BASE_RURAL));
  const scale = total / bases.reduce((a, b) => a + b, 0);
  let sum = 0;
  secciones.forEach((s, i) => {
    s.contiguas = geometric(rng, (bases[i] ?? 0) * scale, MAX_CONTIGUAS);
    sum += s.contiguas;
  });
  // Nudge random secciones until the distrito holds exactly its budget.
  while (sum < total) {
    const s = rng.pick(secciones);
    if (s.contiguas < MAX_CONTIGUAS) {
      s.contiguas++;
      sum++;
    }
  }
  while (sum > total) {
    const s = rng.pick(secciones);
    if (s.contiguas > 0) {
      s.contiguas--;
      sum--;
    }
  }
}

function placeExtraordinarias(rng: Random, secciones: SeccionPlan[], total: number): void {
  const rural = secciones.filter((s) => !s.urban);
  let left = total;
  while (left > 0) {
    const size = Math.min(left, 1 + geometric(rng, 0.35, 3));
    left -= size;
    if (rng.chance(EXTRAORDINARIA_ONLY_SECCION_SHARE)) {
      secciones.push({
        urban: false,
        hasBasica: false,
        contiguas: 0,
        extraordinariaGroups: [size],
        especiales: 0,
      });
    } else {
      rng.pick(rural.length > 0 ? rural : secciones).extraordinariaGroups.push(size);
    }
  }
}

function placeEspeciales(rng: Random, secciones: SeccionPlan[], total: number): void {
  // Special casillas stand where travellers are: bus stations, hospitals, city centres.
  const urban = secciones.filter((s) => s.urban && s.hasBasica);
  const candidates = urban.length > 0 ? urban : secciones.filter((s) => s.hasBasica);
  for (let i = 0; i < total; i++) rng.pick(candidates).especiales++;
}

/** Sección numbers for an entidad: ascending in distrito order, with a few gaps where room allows. */
function numberSecciones(rng: Random, count: number): number[] {
  if (count > MAX_SECCION) throw new Error(`${count} secciones do not fit in 1..${MAX_SECCION}`);
  const gapChance = Math.min(0.03, (MAX_SECCION - count) / count / 2);
  const numbers: number[] = [];
  let next = 1;
  let slack = MAX_SECCION - count;
  for (let i = 0; i < count; i++) {
    if (slack > 0 && rng.chance(gapChance)) {
      next++;
      slack--;
    }
    numbers.push(next++);
  }
  return numbers;
}

interface CasillaInput {
  readonly entidad: number;
  readonly distrito: number;
  readonly seccion: number;
  readonly tipo: TipoCasilla;
  readonly id: number;
  readonly extension: number;
  readonly ubicacion: Ubicacion;
  readonly listaNominal: number;
  readonly representantes: number;
  readonly boletasAprobadas: number;
}

function makeCasilla(input: CasillaInput): Casilla {
  const key = formatCasillaKey(input);
  if (!key.ok) throw new Error(`generator produced a bad key: ${key.message}`);
  return { key: key.value, ...input };
}

/** Lista nominal of the casillas of a sección with a básica: one per 750 voters, split evenly. */
function ordinaryListas(rng: Random, count: number): number[] {
  if (count === 1) return [Math.round(clamp(rng.normal(520, 170), 30, MAX_LISTA_NOMINAL))];
  const average = clamp(rng.normal(600, 90), 380, MAX_LISTA_NOMINAL);
  const total = Math.min(Math.round(average * count), MAX_LISTA_NOMINAL * count);
  const base = Math.floor(total / count);
  const extra = total - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

function representantes(rng: Random): number {
  return rng.int(10, 20);
}

interface SeccionContext {
  readonly rng: Random;
  readonly entidad: number;
  readonly distrito: number;
  readonly seccion: number;
}

function seccionCasillas(ctx: SeccionContext, plan: SeccionPlan, out: Casilla[]): void {
  const { rng } = ctx;
  const ubicacion: Ubicacion = plan.urban ? 'URBANA' : 'NO_URBANA';
  const base = {
    entidad: ctx.entidad,
    distrito: ctx.distrito,
    seccion: ctx.seccion,
    ubicacion,
    boletasAprobadas: 0,
  };
  if (plan.hasBasica) {
    const listas = ordinaryListas(rng, 1 + plan.contiguas);
    listas.forEach((listaNominal, i) => {
      const tipo: TipoCasilla = i === 0 ? 'B' : 'C';
      const id = i === 0 ? 1 : i;
      out.push(
        makeCasilla({ ...base, tipo, id, extension: 0, listaNominal, representantes: representantes(rng) }),
      );
    });
  }
  plan.extraordinariaGroups.forEach((size, group) => {
    for (let extension = 0; extension < size; extension++) {
      const listaNominal = Math.round(clamp(rng.normal(380, 170), 20, MAX_LISTA_NOMINAL));
      out.push(
        makeCasilla({
          ...base,
          tipo: 'E',
          id: group + 1,
          extension,
          listaNominal,
          representantes: representantes(rng),
        }),
      );
    }
  });
  for (let id = 1; id <= plan.especiales; id++) {
    out.push(
      makeCasilla({
        ...base,
        tipo: 'S',
        id,
        extension: 0,
        listaNominal: 0,
        representantes: representantes(rng),
        boletasAprobadas: 50 * rng.int(15, 30),
      }),
    );
  }
}

/** A synthetic catalog. tiny: 2 distritos, 40 casillas; state: 9 distritos, 7,000; national: 300, 170,648. */
export function generateCatalog(options: GenerateCatalogOptions): Catalog {
  const plan = scalePlan(options.scale);
  const root = createRandom(`catalog/${options.scale}/${options.seed}`);
  const distritoCount = plan.entidades.reduce((n, e) => n + e.distritos, 0);
  const weights = Array.from({ length: distritoCount }, () => Math.max(0.5, root.normal(1, 0.12)));
  const budgets = allocate(plan.casillas, weights);

  const entidades: Entidad[] = [];
  const distritos: Distrito[] = [];
  const casillas: Casilla[] = [];
  let budgetIndex = 0;
  for (const { profile: p, distritos: count } of plan.entidades) {
    entidades.push({ id: p.id, name: p.name });
    const plans: SeccionPlan[][] = [];
    const entidadCasillas = budgets.slice(budgetIndex, budgetIndex + count).reduce((a, b) => a + b, 0);
    const seccionesPerCasilla = Math.min(
      SECCIONES_PER_ORDINARY_CASILLA,
      MAX_PLANNED_SECCIONES / entidadCasillas,
    );
    for (let d = 1; d <= count; d++) {
      distritos.push({ entidad: p.id, id: d, name: p.cabeceras[d - 1] ?? `DISTRITO ${d}` });
      const rng = root.fork(`distrito/${p.id}/${d}`);
      const casillas = budgets[budgetIndex++] ?? 0;
      plans.push(planDistrito({ rng, casillas, urbanShare: p.urbanShare, seccionesPerCasilla, plan }));
    }
    const rng = root.fork(`secciones/${p.id}`);
    const numbers = numberSecciones(
      rng,
      plans.reduce((n, s) => n + s.length, 0),
    );
    let n = 0;
    plans.forEach((seccionPlans, d) => {
      for (const seccionPlan of seccionPlans) {
        const ctx = { rng, entidad: p.id, distrito: d + 1, seccion: numbers[n++] ?? 0 };
        seccionCasillas(ctx, seccionPlan, casillas);
      }
    });
    options.onEntidad?.(entidades.length);
  }
  casillas.sort(compareCasillas);
  return { entidades, distritos, casillas };
}
