/**
 * Exports of internal data (the operator list, the device inventory) with canaries: plausible
 * fake rows unique to each export, mixed in at random positions. The rows are fake, so no
 * legitimate work ever uses them; a canary found in a dump names the export it came from, and
 * one used at the center (a sign-in with its username, a package from its device id) is a
 * DECOY_USED. Pure: the caller gives the rows, the randomness and the fingerprint key.
 */
import type { DeviceRow } from '../domain/device.ts';
import type { OperatorRow } from '../auth/operators_port.ts';
import type { ExportKind } from './decoys_port.ts';

export interface ExportTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** A canary row and the values that identify it (fingerprinted; its name alone identifies nothing). */
export interface Canary {
  readonly row: readonly string[];
  readonly identifying: readonly string[];
}

/** Randomness, given: `int(n)` is uniform in [0, n), `hex(bytes)` a random hex string. */
export interface Random {
  int(n: number): number;
  hex(bytes: number): string;
}

export const OPERATOR_COLUMNS = ['id', 'username', 'name', 'role', 'scope', 'createdAt'] as const;
export const DEVICE_COLUMNS = [
  'id',
  'origin',
  'boundTo',
  'label',
  'publicKey',
  'enrolledAt',
  'revokedAt',
] as const;

const iso = (at: number | null) => (at === null ? '' : new Date(at).toISOString());

export function operatorTable(operators: readonly OperatorRow[]): ExportTable {
  return {
    columns: OPERATOR_COLUMNS,
    rows: operators.map((o) => [o.id, o.username, o.name, o.role, o.scope, iso(o.createdAt)]),
  };
}

export function deviceTable(devices: readonly DeviceRow[]): ExportTable {
  return {
    columns: DEVICE_COLUMNS,
    rows: devices.map((d) => [
      d.id,
      d.origin,
      d.boundTo,
      d.label,
      d.publicKey,
      iso(d.enrolledAt),
      iso(d.revokedAt),
    ]),
  };
}

// Common Mexican given names and surnames: a canary must look like the rows around it.
const GIVEN = [
  'María',
  'José',
  'Juan',
  'Guadalupe',
  'Francisco',
  'Rosa',
  'Luis',
  'Ana',
  'Miguel',
  'Patricia',
  'Jorge',
  'Verónica',
  'Carlos',
  'Alejandra',
  'Ricardo',
  'Gabriela',
  'Fernando',
  'Leticia',
  'Arturo',
  'Claudia',
];
const SURNAMES = [
  'Hernández',
  'García',
  'Martínez',
  'López',
  'González',
  'Rodríguez',
  'Pérez',
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
];

const pick = <T>(random: Random, list: readonly T[]): T => list[random.int(list.length)] as T;
const ascii = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

/**
 * `count` canaries for an export of this kind, like the real rows (a real row's scope, CATD,
 * origin and dates), none of whose identifying values is taken by a real row.
 */
export function makeCanaries(
  kind: ExportKind,
  real: ExportTable,
  count: number,
  random: Random,
  at: number,
): Canary[] {
  const taken = new Set(real.rows.flatMap((row) => row.map((cell) => cell.toLowerCase())));
  const canaries: Canary[] = [];
  const model = (column: number, fallback: string) =>
    real.rows.length === 0 ? fallback : (pick(random, real.rows)[column] ?? fallback);
  // A real row's date a little later, so the canaries' dates fall among the real ones.
  const when = (column: number) => {
    const seen = Date.parse(model(column, ''));
    return iso((Number.isNaN(seen) ? at - 86_400_000 : seen) + random.int(2 * 3_600_000));
  };
  while (canaries.length < count) {
    let row: string[];
    let identifying: string[];
    if (kind === 'operators') {
      const first = pick(random, GIVEN);
      const last = pick(random, SURNAMES);
      const second = pick(random, SURNAMES);
      const username = `${ascii(first)}.${ascii(last)}${10 + random.int(90)}`;
      const id = `op-${random.hex(8)}`;
      const role = model(3, 'capturista');
      row = [id, username, `${first} ${last} ${second}`, role, model(4, 'nacional'), when(5)];
      identifying = [id, username];
    } else {
      const boundTo = model(2, 'CATD-01');
      const id = `${boundTo}-S${10 + random.int(90)}${random.hex(1).toUpperCase()}`;
      const publicKey = Buffer.from(random.hex(32), 'hex').toString('base64');
      row = [id, model(1, 'CATD'), boundTo, '', publicKey, when(5), ''];
      identifying = [id, publicKey];
    }
    if (identifying.some((value) => taken.has(value.toLowerCase()))) continue;
    for (const value of identifying) taken.add(value.toLowerCase());
    canaries.push({ row, identifying });
  }
  return canaries;
}

/**
 * The real rows with the canaries among them. The store lists rows by id, so an export in id
 * order with rows out of it would point at the canaries: they take the place their own random
 * id gives them, a random position that keeps the order.
 */
export function mixIn(real: ExportTable, canaries: readonly Canary[], random: Random): ExportTable {
  const rows = [...real.rows];
  for (const canary of canaries) rows.splice(random.int(rows.length + 1), 0, canary.row);
  const first = (row: readonly string[]) => row[0] ?? '';
  const sorted = real.rows.every((row, i) => i === 0 || first(real.rows[i - 1]!) <= first(row));
  if (sorted) rows.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0));
  return { columns: real.columns, rows };
}

const csvCell = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);

export function renderExport(table: ExportTable, format: 'csv' | 'json'): string {
  if (format === 'csv')
    return `${[table.columns, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
  const objects = table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i] ?? ''])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}
