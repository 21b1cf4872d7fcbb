/**
 * The demo's witnesses (docs/demo.md, docs/witness.md): three observers' witnesses, made in the
 * demo's data folder on its first run and listed in its election definition (2 of 3 required),
 * that run in the demo's process — the Witness of src/witness, not a copy — against the demo
 * center's real routes: they read `/api/v1/checkpoint`, check the consistency proof of
 * `/api/v1/proof/consistency`, and hand back their cosignature at `/api/v1/witness/cosignature`.
 * A real witness polls every few seconds; the demo's night is fast, so they look when a cut
 * waits for them instead (the publisher's wait), and no cut waits longer than it must.
 */
import path from 'node:path';
import type { WitnessPolicy } from '../domain/election.ts';
import { parseVerifierKey } from '../journal/note.ts';
import { initWitness, openWitness } from '../witness/state.ts';
import { Witness } from '../witness/witness.ts';

export const DEMO_WITNESSES = [
  'testigo-unam.demo',
  'testigo-observadores.demo',
  'testigo-prensa.demo',
] as const;
/** Where, in the data folder, the demo's witnesses keep their keys and what they cosigned. */
const WITNESSES_FOLDER = 'demo-witnesses';
/** Small: the witnesses answer within milliseconds; only a broken one would make a cut wait this long. */
const DEMO_WITNESS_WAIT_SECONDS = 5;

const LOOK_EVERY_MS = 500;

const folderOf = (root: string, name: string) => path.join(root, WITNESSES_FOLDER, name);

/** Makes the three witnesses (a fresh key each) and the policy naming them, for a new demo's definition. */
export async function makeDemoWitnesses(root: string): Promise<WitnessPolicy> {
  const keys: string[] = [];
  for (const name of DEMO_WITNESSES) {
    const made = await initWitness(folderOf(root, name), name);
    if (!made.ok) throw new Error(`the demo's witness ${name}: ${made.message}`);
    keys.push(made.value.verifierKey);
  }
  return { keys, required: 2, waitSeconds: DEMO_WITNESS_WAIT_SECONDS };
}

export interface DemoWitnesses {
  readonly names: readonly string[];
  /**
   * Each witness reads the center's checkpoint once and cosigns it if it extends what it saw;
   * `again` (the same cut's wait, still short of witnesses): not within half a second of the last look.
   */
  readonly look: (again: boolean) => Promise<void>;
}

/**
 * Opens the demo's witnesses against the center at `center` (its base URL), for the log of
 * `logKeyText`. A witness that cannot be opened is told and left out: the night goes on with
 * the others, as a real night does without a witness that is down.
 */
export async function openDemoWitnesses(options: {
  readonly root: string;
  readonly logKeyText: string;
  readonly center: string;
  readonly log: (line: string) => void;
}): Promise<DemoWitnesses> {
  const logKey = parseVerifierKey(options.logKeyText);
  if (!logKey.ok) throw new Error(`the demo's log key: ${logKey.message}`);
  const witnesses: Witness[] = [];
  for (const name of DEMO_WITNESSES) {
    const folder = await openWitness(folderOf(options.root, name));
    if (!folder.ok) {
      options.log(`Testigo ${name} no disponible: ${folder.message}`);
      continue;
    }
    const witness = new Witness({
      folder: folder.value,
      logKey: logKey.value,
      logKeyText: options.logKeyText.trim(),
      center: options.center,
      say: (line) => {
        // Its cosignatures are counted on each cut's line; only what went wrong is shown.
        if (!line.startsWith('cosigned ')) options.log(`testigo ${name}: ${line}`);
      },
    });
    const loaded = await witness.load();
    if (!loaded.ok) {
      options.log(`Testigo ${name} no disponible: ${loaded.message}`);
      continue;
    }
    witnesses.push(witness);
  }
  // Within a cut's wait, once per half second at most: a witness that could not cosign is not asked again at once.
  let lookedAt = Number.NEGATIVE_INFINITY;
  return {
    names: witnesses.map((w) => w.folder.signer.name),
    look: async (again: boolean) => {
      if (again && performance.now() - lookedAt < LOOK_EVERY_MS) return;
      lookedAt = performance.now();
      const outcomes = await Promise.all(witnesses.map((w) => w.poll()));
      outcomes.forEach((outcome, i) => {
        if (outcome.kind === 'unavailable')
          options.log(`testigo ${witnesses[i]!.folder.signer.name}: ${outcome.message}`);
      });
    },
  };
}
