/**
 * The console's words for what the center answers in English (its logs' and API's language):
 * error codes and acta states, said in Spanish (the console's language) and English. The
 * center's own English message is kept only where no code is known, behind "detalle técnico".
 */
export type Language = 'es' | 'en';

type Pair = readonly [es: string, en: string];

/** The center's error codes (`{ error, message }` answers) a person at the console meets. */
export const SERVER_ERRORS: Readonly<Record<string, Pair>> = {
  'sign-in-failed': [
    'No se pudo iniciar sesión: revise el usuario, la contraseña y el código.',
    'Sign-in failed: check the username, password and code.',
  ],
  throttled: [
    'Demasiados intentos: espere un momento y vuelva a intentarlo.',
    'Too many attempts: wait a moment and try again.',
  ],
  'no-session': ['Su sesión terminó: inicie sesión de nuevo.', 'Your session ended: sign in again.'],
  'step-up-required': [
    'Esta operación pide confirmar con su llave de seguridad.',
    'This operation asks you to confirm with your security key.',
  ],
  'claim-taken': [
    'No se registró: el tiempo de esta acta se agotó y se asignó a otra persona.',
    'Not recorded: this acta’s time ran out and it went to someone else.',
  ],
  'after-close': [
    'No se registró: el PREP ya cerró (se publicó el corte final) y sus resultados ya no cambian.',
    'Not recorded: the PREP has closed (the final cut is published) and its results no longer change.',
  ],
  'username-taken': ['Ese nombre de usuario ya existe.', 'That username already exists.'],
  'too-short': ['La contraseña es demasiado corta.', 'The password is too short.'],
  'too-long': ['El texto es demasiado largo.', 'The text is too long.'],
  'bad-role': ['Ese rol no existe.', 'No such role.'],
  'bad-scope': ['Ese ámbito no es válido.', 'That scope is not valid.'],
  'bad-code': ['El código no es válido.', 'The code is not valid.'],
  'no-such-operator': ['Esa cuenta no existe.', 'No such account.'],
  'unknown-acta': ['Esa acta no existe.', 'No such acta.'],
  'not-handed-out': ['Esa acta no le fue asignada.', 'That acta was not handed to you.'],
  busy: ['El centro está ocupado: vuelva a intentarlo.', 'The center is busy: try again.'],
  forbidden: ['Su rol no permite esta operación.', 'Your role does not allow this operation.'],
  unreachable: ['No se puede contactar al centro.', 'The center cannot be reached.'],
  malformed: ['El centro dio una respuesta inesperada.', 'The center gave an unexpected answer.'],
};

/** A code the console does not know: said generally, the center's text as technical detail. */
export const UNKNOWN_ERROR: Pair = ['El centro rechazó la operación.', 'The center refused the operation.'];
export const TECHNICAL_DETAIL: Pair = ['detalle técnico', 'technical detail'];

export const ACTA_STATUS: Readonly<Record<string, Pair>> = {
  received: ['recibida', 'received'],
  captured_once: ['capturada una vez', 'captured once'],
  mismatch: ['capturas distintas', 'captures differ'],
  verified: ['verificada', 'verified'],
  sin_acta: ['sin acta', 'no acta'],
};

export const WORDS = {
  es: { state: 'estado' },
  en: { state: 'state' },
} as const;

const pick = (pair: Pair, language: Language) => (language === 'es' ? pair[0] : pair[1]);

/** The center's answer in words: known codes translated; otherwise the general sentence. */
export function serverErrorWords(code: string, language: Language = 'es'): string | null {
  const known = SERVER_ERRORS[code];
  return known === undefined ? null : pick(known, language);
}

export function actaStatusWords(status: string, language: Language = 'es'): string {
  const known = ACTA_STATUS[status];
  return known === undefined ? status : pick(known, language);
}

/** Every English string of the catalogue its Spanish side does not share (for the tests). */
export function englishOnlyStrings(): string[] {
  const pairs = [
    ...Object.values(SERVER_ERRORS),
    ...Object.values(ACTA_STATUS),
    UNKNOWN_ERROR,
    TECHNICAL_DETAIL,
  ];
  const spanish = new Set(pairs.map(([es]) => es));
  return [...pairs.map(([, en]) => en), WORDS.en.state].filter((s) => !spanish.has(s));
}
