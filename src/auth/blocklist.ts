/**
 * The curated blocklist OpenPREP ships, applied with or without a breach corpus. Hand-made
 * (the build machine has no network, so no public top-N list was copied): passwords that lead
 * public breach statistics in English and Spanish, and what people type at an electoral body,
 * each with the decorations people add (a capital, a year, digits, a "!"). A password policy
 * already refuses anything shorter than 12 characters; the short ones stay so that a re-check
 * of old accounts and a corpus built from this list (`openprep passwords corpus build`) find them.
 */
const WORDS = `password passw0rd p@ssw0rd contraseña contrasena contraseña123 123456 12345678 123456789
  1234567890 123456789012 1234567890123 111111111111 000000000000 qwerty qwertyuiop qwerty123
  asdfghjkl zxcvbnm 1q2w3e4r 1q2w3e4r5t6y zaq12wsx abc123 abcdef123456 iloveyou teamo tequiero
  admin administrator administrador root welcome bienvenido bienvenida letmein monkey dragon
  football futbol mexico méxico mexicolindo vivamexico guadalajara monterrey puebla america chivas
  cruzazul pumas tigres amor corazon princesa estrella soleado secret secreto changeme cambiame
  cambiar sistemas usuario default master superman batman trustno1 sunshine shadow baseball
  starwars whatever freedom qazwsx password1 passwordpassword contraseñasegura
  elecciones eleccion electoral votacion votaciones voto votar democracia prep prepine ineprep
  ine iee ople iecm consejo consejero casilla casillas capturista capturistas verificador
  coordinador acopio catd cae sinacta actaprep conteo computos resultados preliminares
  programaderesultados institutonacionalelectoral ineMexico jornadaelectoral procesoelectoral
  proceso2024 pef pef2024 simulacro simulacros openprep consola candidato candidata
  presidente presidencia diputados senadores mayoria morena pan pri prd pvem movimientociudadano`
  .split(/\s+/)
  .filter((word) => word.length > 0);

const DECORATIONS = [
  '',
  '1',
  '12',
  '123',
  '1234',
  '12345',
  '123456',
  '!',
  '.',
  '2018',
  '2021',
  '2023',
  '2024',
  '2025',
  '2027',
  '2024!',
  '@2024',
  '_2024',
];

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Every password of the shipped blocklist (6,949). */
export const BLOCKLIST: readonly string[] = [
  ...new Set(
    WORDS.flatMap((word) =>
      DECORATIONS.flatMap((decoration) => [
        `${word}${decoration}`,
        `${capitalised(word)}${decoration}`,
        `${word.toUpperCase()}${decoration}`,
      ]),
    ),
  ),
];
