import { err, ok, type Result } from './result.ts';

/** The casilla types, in the catalog's order: básica, contigua, extraordinaria, especial. */
export const TIPOS_CASILLA = ['B', 'C', 'E', 'S'] as const;
export type TipoCasilla = (typeof TIPOS_CASILLA)[number];

/**
 * CLAVE_CASILLA = ID_ENTIDAD (2) + SECCION (4) + TIPO_CASILLA (1) + ID_CASILLA (2) + EXT_CONTIGUA (2),
 * e.g. `010338B0100`. CLAVE_ACTA = CLAVE_CASILLA + TIPO_ACTA, e.g. `010338B010002`.
 * Branded so a key is parsed once, at the boundary.
 */
export type CasillaKey = string & { readonly __brand: 'CasillaKey' };
export type ActaKey = string & { readonly __brand: 'ActaKey' };

export interface CasillaKeyParts {
  readonly entidad: number;
  readonly seccion: number;
  readonly tipo: TipoCasilla;
  readonly id: number;
  readonly extension: number;
}

export interface ActaKeyParts extends CasillaKeyParts {
  readonly casillaKey: CasillaKey;
  readonly tipoActa: string;
}

export type KeyError =
  | 'bad-length'
  | 'bad-entidad'
  | 'bad-seccion'
  | 'bad-tipo'
  | 'bad-id'
  | 'bad-extension'
  | 'bad-tipo-acta';

export const CASILLA_KEY_LENGTH = 11;
const TIPO_ACTA_PATTERN = /^[0-9A-Z]{1,5}$/;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export function formatCasillaKey(parts: CasillaKeyParts): Result<CasillaKey, KeyError> {
  if (!inRange(parts.entidad, 1, 99)) return err('bad-entidad', `entidad ${parts.entidad} is not 1..99`);
  if (!inRange(parts.seccion, 0, 9999)) return err('bad-seccion', `sección ${parts.seccion} is not 0..9999`);
  if (!TIPOS_CASILLA.includes(parts.tipo)) return err('bad-tipo', `tipo de casilla ${parts.tipo} is unknown`);
  if (!inRange(parts.id, 0, 99)) return err('bad-id', `id de casilla ${parts.id} is not 0..99`);
  if (!inRange(parts.extension, 0, 99))
    return err('bad-extension', `extensión contigua ${parts.extension} is not 0..99`);
  return ok(
    `${pad(parts.entidad, 2)}${pad(parts.seccion, 4)}${parts.tipo}${pad(parts.id, 2)}${pad(parts.extension, 2)}` as CasillaKey,
  );
}

const DIGITS = /^[0-9]+$/;

export function parseCasillaKey(text: string): Result<CasillaKeyParts & { key: CasillaKey }, KeyError> {
  const key = text.startsWith("'") ? text.slice(1) : text;
  if (key.length !== CASILLA_KEY_LENGTH)
    return err('bad-length', `CLAVE_CASILLA "${text}" must have ${CASILLA_KEY_LENGTH} characters`);
  const entidadText = key.slice(0, 2);
  const seccionText = key.slice(2, 6);
  const tipo = key.slice(6, 7);
  const idText = key.slice(7, 9);
  const extensionText = key.slice(9, 11);
  if (!DIGITS.test(entidadText) || Number(entidadText) < 1)
    return err('bad-entidad', `CLAVE_CASILLA "${text}": entidad "${entidadText}" is not 01..99`);
  if (!DIGITS.test(seccionText))
    return err('bad-seccion', `CLAVE_CASILLA "${text}": sección "${seccionText}" is not 4 digits`);
  if (!(TIPOS_CASILLA as readonly string[]).includes(tipo))
    return err(
      'bad-tipo',
      `CLAVE_CASILLA "${text}": tipo "${tipo}" is not one of ${TIPOS_CASILLA.join(', ')}`,
    );
  if (!DIGITS.test(idText)) return err('bad-id', `CLAVE_CASILLA "${text}": id "${idText}" is not 2 digits`);
  if (!DIGITS.test(extensionText))
    return err('bad-extension', `CLAVE_CASILLA "${text}": extensión "${extensionText}" is not 2 digits`);
  return ok({
    key: key as CasillaKey,
    entidad: Number(entidadText),
    seccion: Number(seccionText),
    tipo: tipo as TipoCasilla,
    id: Number(idText),
    extension: Number(extensionText),
  });
}

export function formatActaKey(casillaKey: CasillaKey, tipoActa: string): Result<ActaKey, KeyError> {
  if (!TIPO_ACTA_PATTERN.test(tipoActa))
    return err('bad-tipo-acta', `TIPO_ACTA "${tipoActa}" must be 1 to 5 digits or capital letters`);
  return ok(`${casillaKey}${tipoActa}` as ActaKey);
}

export function parseActaKey(text: string): Result<ActaKeyParts, KeyError> {
  const key = text.startsWith("'") ? text.slice(1) : text;
  if (key.length <= CASILLA_KEY_LENGTH)
    return err('bad-length', `CLAVE_ACTA "${text}" must be a CLAVE_CASILLA followed by a TIPO_ACTA`);
  const casilla = parseCasillaKey(key.slice(0, CASILLA_KEY_LENGTH));
  if (!casilla.ok) return err(casilla.code, `CLAVE_ACTA "${text}": ${casilla.message}`);
  const tipoActa = key.slice(CASILLA_KEY_LENGTH);
  if (!TIPO_ACTA_PATTERN.test(tipoActa))
    return err(
      'bad-tipo-acta',
      `CLAVE_ACTA "${text}": TIPO_ACTA "${tipoActa}" must be 1 to 5 digits or capital letters`,
    );
  return ok({ ...casilla.value, casillaKey: casilla.value.key, tipoActa });
}
