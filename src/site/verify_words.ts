/**
 * The browser verifier's results in the reader's language. The checks (src/verify/core, shared
 * with `openprep verify`) write their findings in English, for logs and bug reports; the page
 * says each one in the reader's words instead: the check's title, and a summary of what it
 * found, built from the message shapes the checks are known to write (a file missing, a hash
 * that differs, the cut the pointer names…). A message of another shape gets the check's
 * general sentence for its status. The verifier's own text stays available, unchanged and
 * marked as English, behind a "detalle técnico" disclosure: the summary never claims more
 * than the message said.
 */
import type { Language } from './i18n.ts';
import type { CheckResult } from './verify_cut.ts';

type Pair = readonly [es: string, en: string];

export const CHECK_NAMES: Readonly<Record<string, Pair>> = {
  V00: ['Apuntador latest.json firmado', 'Signed latest pointer'],
  V01: ['Firma del manifiesto', 'Manifest signature'],
  V02: ['Simulacro o elección real', 'Drill or live mode'],
  V03: ['Forma del manifiesto', 'Manifest well-formed'],
  V04: ['Tamaño y SHA-256 de cada archivo', 'File sizes and hashes'],
  V05: ['Punto de control de la bitácora', 'Journal checkpoint'],
  V06: ['Raíces de Merkle de las actas', 'Acta Merkle roots'],
};

const PASS: Readonly<Record<string, Pair>> = {
  V00: ['latest.json está firmado con esta llave.', 'latest.json is signed with this key.'],
  V01: [
    'El manifiesto está firmado con la llave de la elección.',
    'The manifest is signed with the election’s key.',
  ],
  V02: ['El modo de la llave es el del manifiesto.', 'The key’s mode is the manifest’s.'],
  V03: [
    'El manifiesto tiene la forma del formato publicado.',
    'The manifest has the published format’s form.',
  ],
  V04: [
    'Cada archivo tiene el tamaño y el SHA-256 que el manifiesto dice.',
    'Every file has the size and SHA-256 the manifest states.',
  ],
  V05: [
    'El punto de control firmado de la bitácora coincide con el manifiesto.',
    'The signed journal checkpoint matches the manifest.',
  ],
  V06: [
    'Las filas de actas de cada elección dan la raíz de Merkle del manifiesto.',
    'Each contest’s acta rows give the manifest’s Merkle root.',
  ],
};

const FAIL: Readonly<Record<string, Pair>> = {
  V00: [
    'latest.json no está firmado con esta llave, o no se puede leer.',
    'latest.json is not signed with this key, or cannot be read.',
  ],
  V01: [
    'El manifiesto no está firmado con esta llave, o falta.',
    'The manifest is not signed with this key, or is missing.',
  ],
  V02: [
    'La llave es de otro modo (simulacro o elección real) que el manifiesto.',
    'The key is for another mode (drill or live) than the manifest.',
  ],
  V03: [
    'El manifiesto no tiene la forma del formato publicado.',
    'The manifest does not have the published format’s form.',
  ],
  V04: [
    'Hay archivos que faltan o no son los que el manifiesto lista.',
    'Some files are missing or are not those the manifest lists.',
  ],
  V05: [
    'El punto de control de la bitácora no coincide con el manifiesto, no está firmado, o no lo firmaron los testigos requeridos.',
    'The journal checkpoint does not match the manifest, is not signed, or lacks the witnesses required.',
  ],
  V06: [
    'Las filas de actas no dan la raíz de Merkle del manifiesto.',
    'The acta rows do not give the manifest’s Merkle root.',
  ],
};

const SKIPPED: Pair = ['No se comprobó.', 'Not checked.'];
const NOT_REACHED: Pair = [
  'No se llegó a comprobar: una comprobación anterior falló.',
  'Not reached: an earlier check failed.',
];

/** Known message shapes of the checks (one failure; several are joined by "; "). */
const SHAPES: readonly (readonly [RegExp, (m: RegExpExecArray) => Pair])[] = [
  [/^points to (\S+)$/, (m) => [`Señala el corte ${m[1]}.`, `Points to cut ${m[1]}.`]],
  [/^signed by (\S+)$/, (m) => [`Firmado por la llave ${m[1]}.`, `Signed by the key ${m[1]}.`]],
  [/^(\d+) files match$/, (m) => [`Los ${m[1]} archivos coinciden.`, `All ${m[1]} files match.`]],
  [/^(\d+) contests$/, (m) => [`Coinciden las ${m[1]} elecciones.`, `All ${m[1]} contests match.`]],
  [
    /^(simulacro|live)$/,
    (m) => [m[1] === 'live' ? 'Elección real.' : 'Simulacro.', m[1] === 'live' ? 'Live election.' : 'Drill.'],
  ],
  [/^(\S+) is missing$/, (m) => [`Falta ${m[1]}.`, `${m[1]} is missing.`]],
  [
    /^(\S+): SHA-256 differs from the manifest$/,
    (m) => [
      `${m[1]}: su SHA-256 no es el del manifiesto (el archivo fue alterado).`,
      `${m[1]}: its SHA-256 is not the manifest’s (the file was altered).`,
    ],
  ],
  [
    /^(\S+): (\d+) bytes, manifest says (\d+)$/,
    (m) => [
      `${m[1]}: ${m[2]} bytes, el manifiesto dice ${m[3]}.`,
      `${m[1]}: ${m[2]} bytes, the manifest says ${m[3]}.`,
    ],
  ],
  [
    /^the public key is not a verifier key/,
    () => [
      'El texto pegado no es una llave pública de verificación (nombre+id+base64).',
      'The text pasted is not a verifier public key (name+id+base64).',
    ],
  ],
  [
    /^latest\.json or latest\.sig is not published here$/,
    () => [
      'Este servidor no publica latest.json o latest.sig (un espejo puede no tenerlos).',
      'This server does not publish latest.json or latest.sig (a mirror may not have them).',
    ],
  ],
  [
    /^witnesses: (\d+) of (\d+) cosigned \(.*\), (\d+) required$/,
    (m) => [
      `Lo firmaron ${m[1]} de ${m[2]} testigos; se requieren ${m[3]}.`,
      `${m[1]} of ${m[2]} witnesses cosigned it; ${m[3]} required.`,
    ],
  ],
  [
    /^the witness policy is not met: (\d+) valid distinct cosignatures, (\d+) required/,
    (m) => [
      `Testigos que firmaron este punto de control: ${m[1]}; se requieren ${m[2]}.`,
      `Witnesses that cosigned this checkpoint: ${m[1]}; ${m[2]} required.`,
    ],
  ],
  [
    /^no valid signature by this key$/,
    () => ['No hay una firma válida de esta llave.', 'There is no valid signature by this key.'],
  ],
  [
    /^(\S+)\/manifest\.json or manifest\.sig is missing$/,
    (m) => [
      `Falta el manifiesto del corte ${m[1]} o su firma.`,
      `The manifest of cut ${m[1]} or its signature is missing.`,
    ],
  ],
];

export interface CheckInWords {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  /** The verifier's own message (English), when there is one. */
  readonly technical: string | null;
}

export function checkInWords(result: CheckResult, language: Language): CheckInWords {
  const pick = (pair: Pair) => (language === 'es' ? pair[0] : pair[1]);
  const title = pick(CHECK_NAMES[result.id] ?? [result.title, result.title]);
  const detail = result.detail.trim();
  const technical = detail === '' ? null : detail;
  if (result.status === 'skip' && detail === 'not reached')
    return { id: result.id, title, summary: pick(NOT_REACHED), technical: null };
  const general = pick(
    (result.status === 'pass' ? PASS : result.status === 'fail' ? FAIL : {})[result.id] ?? SKIPPED,
  );
  // Each part of the message said in words when its shape is known; else the general sentence.
  const parts = detail === '' ? [] : detail.replace(/ \(and \d+ more\)$/, '').split('; ');
  const said = parts.map((part) => {
    for (const [shape, words] of SHAPES) {
      const match = shape.exec(part);
      if (match !== null) return pick(words(match));
    }
    return null;
  });
  const known = said.filter((s): s is string => s !== null);
  const more = /\(and (\d+) more\)$/.exec(detail);
  const extra = more === null ? '' : language === 'es' ? ` Y ${more[1]} más.` : ` And ${more[1]} more.`;
  const summary =
    result.status === 'skip'
      ? known.join(' ') || general
      : [general, ...known].join(' ') + (known.length > 0 ? extra : '');
  return { id: result.id, title, summary, technical };
}
