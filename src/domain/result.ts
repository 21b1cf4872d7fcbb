/**
 * Expected failures are values, not exceptions (exceptions are for bugs). Every fallible
 * function names its closed set of error codes in its return type.
 */
export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E extends string> = { readonly ok: false; readonly code: E; readonly message: string };
export type Result<T, E extends string> = Ok<T> | Err<E>;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function err<E extends string>(code: E, message: string): Err<E> {
  return { ok: false, code, message };
}

/** Ends an exhaustive switch: fails to compile when a case is missing. */
export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
