/**
 * The published JSON Schemas (docs/schemas/), applied by `openprep verify`: the manifest (V03),
 * the site JSON (V10), the election definition (V11) and the cuts root's latest.json (V16).
 * The schemas are the spec an outsider builds from, so the verifier reads the very files the
 * docs publish — resolved from this module, not the working directory — rather than a copy.
 * They give the shape; the checks beside them still compare every value with the CSV, the
 * catalog and the signatures.
 *
 * Node only: ajv compiles a schema into JavaScript with `new Function`, which the site's
 * content security policy forbids, so src/verify/core/ (which the browser runs) keeps its own
 * zod reading of the manifest.
 */
import { readFileSync } from 'node:fs';
import Ajv2020Module, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/** docs/schemas/, beside src/ in the repository and in the package. */
export const SCHEMA_FOLDER = new URL('../../docs/schemas/', import.meta.url);

export const SCHEMA_FILES = [
  'manifest.schema.json',
  'site.schema.json',
  'election.schema.json',
  'latest.schema.json',
  'history.schema.json',
  'reader.schema.json',
] as const;

const BASE = 'https://openprep.example/schemas/';

/** What can be checked, each named by the schema (and `$defs` entry) that describes it. */
export const SCHEMA_TARGETS = {
  manifest: 'manifest.schema.json',
  election: 'election.schema.json',
  latest: 'latest.schema.json',
  'site-index': 'site.schema.json#/$defs/index',
  'site-nacional': 'site.schema.json#/$defs/nacional',
  'site-entidad': 'site.schema.json#/$defs/entidad',
  'site-distrito': 'site.schema.json#/$defs/distrito',
  history: 'history.schema.json#/$defs/historial',
  changes: 'history.schema.json#/$defs/cambios',
  reader: 'reader.schema.json',
} as const;
export type SchemaTarget = keyof typeof SCHEMA_TARGETS;

/** How many of a file's schema errors a failure spells out; the rest are counted. */
const SHOWN_ERRORS = 3;

// ajv is CommonJS: its default export, seen from an ES module, is the module object.
const Ajv2020 = Ajv2020Module.default;
let ajv: InstanceType<typeof Ajv2020> | null = null;
const validators = new Map<SchemaTarget, ValidateFunction>();

/** Every schema, loaded and compiled once per thread (a national cut has ~900 site files). */
function validator(target: SchemaTarget): ValidateFunction {
  let validate = validators.get(target);
  if (validate !== undefined) return validate;
  if (ajv === null) ajv = newAjv();
  const found = ajv.getSchema(`${BASE}${SCHEMA_TARGETS[target]}`);
  if (found === undefined)
    throw new Error(`no schema ${SCHEMA_TARGETS[target]} in ${SCHEMA_FOLDER.pathname}`);
  validate = found;
  validators.set(target, validate);
  return validate;
}

/**
 * An ajv holding every published schema, strict (an unknown keyword or a type a keyword cannot
 * apply to is an error in the schema, not a silent pass). Union types are standard JSON Schema
 * (`["object", "null"]`); `verbose` keeps each failing value for the message.
 */
export function newAjv(): InstanceType<typeof Ajv2020> {
  const instance = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
  for (const file of SCHEMA_FILES) instance.addSchema(readSchema(file));
  return instance;
}

export function readSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(file, SCHEMA_FOLDER), 'utf8')) as Record<string, unknown>;
}

/** The site JSON file kind a path of the cut folder calls for, or null for a path that is none. */
export function siteSchemaTarget(relative: string): SchemaTarget | null {
  if (relative === 'json/index.json') return 'site-index';
  if (relative === 'json/historial.json') return 'history';
  if (relative === 'json/cambios.json') return 'changes';
  if (relative === 'json/reader.json') return 'reader';
  if (/^json\/[^/]+\/nacional\.json$/.test(relative)) return 'site-nacional';
  if (/^json\/[^/]+\/entidad\/[^/]+\.json$/.test(relative)) return 'site-entidad';
  if (/^json\/[^/]+\/distrito\/[^/]+\.json$/.test(relative)) return 'site-distrito';
  return null;
}

/**
 * Why `json` (already parsed from `file`) does not match its schema, in one line: the first few
 * errors, each naming the JSON pointer of the value, then how many more; null when it matches.
 */
export function schemaFailure(target: SchemaTarget, json: unknown, file: string): string | null {
  const validate = validator(target);
  if (validate(json)) return null;
  // An `if`'s own error only says its `then` or `else` failed: the errors inside say what.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const shown = errors.slice(0, SHOWN_ERRORS).map(describeError);
  const more = errors.length > SHOWN_ERRORS ? ` (and ${errors.length - SHOWN_ERRORS} more)` : '';
  return `${file} does not match ${SCHEMA_TARGETS[target]}: ${shown.join('; ')}${more}`;
}

/** A quoted value, cut short: an error message must not carry a whole array of a file. */
function shortValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function describeError(error: ErrorObject): string {
  const at = error.instancePath === '' ? '/' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at} has a field the format does not have: "${String(params['additionalProperty'])}"`;
    case 'required':
      return `${at} lacks "${String(params['missingProperty'])}"`;
    case 'type':
      return `${at} must be ${String(params['type']).replace(',', ' or ')}, not ${shortValue(error.data)}`;
    case 'const': {
      const allowed = params['allowedValue'];
      const expected =
        typeof allowed === 'object' && allowed !== null
          ? 'the fixed value of the format'
          : shortValue(allowed);
      return `${at} must be ${expected}, not ${shortValue(error.data)}`;
    }
    case 'enum':
      return `${at} must be one of ${(params['allowedValues'] as unknown[]).map(shortValue).join(', ')}, not ${shortValue(error.data)}`;
    case 'pattern':
      return `${at} is ${shortValue(error.data)}, which does not match ${String(params['pattern'])}`;
    case 'false schema':
      return `${at} is not allowed here`;
    default:
      return `${at} ${error.message ?? `fails ${error.schemaPath}`}`;
  }
}

/** Bytes parsed as JSON, or null when they are not JSON (which the check reading them reports). */
export function parseJson(bytes: Uint8Array): { readonly json: unknown } | null {
  try {
    return {
      json: JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
    };
  } catch {
    return null;
  }
}

/** V10's schema check of one site file, against the kind of file its path calls for. */
export function siteShapeCheck(file: string, json: unknown): string | null {
  const target = siteSchemaTarget(file);
  if (target === null) return `${file} is not where the format puts a site JSON file`;
  return schemaFailure(target, json, file);
}

/**
 * The schema check of a file's bytes: why they do not match, or null — also when they are not
 * JSON at all, which the check reading the file reports in its own words.
 */
export function bytesSchemaFailure(
  target: SchemaTarget,
  bytes: Uint8Array | null,
  file: string,
): string | null {
  if (bytes === null) return null;
  const parsed = parseJson(bytes);
  return parsed === null ? null : schemaFailure(target, parsed.json, file);
}
