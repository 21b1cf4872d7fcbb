/**
 * The witnesses of a cut (docs/witness.md): which of the witnesses the election definition
 * lists cosigned the cut's journal checkpoint (C2SP tlog-cosignature v1), when, and whether
 * that meets the definition's `required`. Pure, on WebCrypto: the CLI and the site's verify
 * page read witnesses the same way. Fewer valid distinct cosignatures than required fails V05.
 */
import {
  openCosignaturesWeb,
  parseWitnessKeyWeb,
  type WebWitnessKey,
} from '../../platform/web/cosignature.ts';
import type { Failures } from './report.ts';

export interface WitnessPolicyText {
  readonly keys: readonly string[];
  readonly required: number;
}

export interface WitnessesSeen {
  /** The listed witnesses that cosigned, with the time each says it did (unix seconds). */
  readonly cosigned: readonly { readonly name: string; readonly time: number }[];
  readonly listed: readonly string[];
  readonly required: number;
  readonly met: boolean;
  readonly problems: readonly string[];
}

/** Reads the witnesses of the cut's checkpoint against the policy; null policy: none listed. */
export async function readWitnesses(
  checkpointNote: string,
  policy: WitnessPolicyText,
): Promise<WitnessesSeen> {
  const problems: string[] = [];
  const keys: WebWitnessKey[] = [];
  for (const text of policy.keys) {
    const key = await parseWitnessKeyWeb(text);
    if ('problem' in key) problems.push(`witness key: ${key.problem}`);
    else keys.push(key);
  }
  const opened = await openCosignaturesWeb(checkpointNote, keys);
  problems.push(...opened.problems);
  const cosigned = opened.cosignatures.map((c) => ({ name: c.name, time: c.time }));
  return {
    cosigned,
    listed: keys.map((k) => k.name),
    required: policy.required,
    met: cosigned.length >= policy.required,
    problems,
  };
}

const isoSeconds = (time: number): string => new Date(time * 1000).toISOString().replace('.000Z', 'Z');

/** One line: who cosigned and when, of how many listed and required. */
export function witnessSummary(seen: WitnessesSeen): string {
  const who =
    seen.cosigned.length === 0
      ? 'none'
      : seen.cosigned.map((c) => `${c.name} at ${isoSeconds(c.time)}`).join(', ');
  return `witnesses: ${seen.cosigned.length} of ${seen.listed.length} cosigned (${who}), ${seen.required} required`;
}

/** V05's witness half: a problem with a cosignature, or too few of them, fails the check. */
export function checkWitnesses(checks: Failures, seen: WitnessesSeen): void {
  for (const problem of seen.problems) checks.fail('V05', `witnesses: ${problem}`);
  if (!seen.met)
    checks.fail(
      'V05',
      `the witness policy is not met: ${seen.cosigned.length} valid distinct cosignatures, ${seen.required} required (${witnessSummary(seen)})`,
    );
}

/** The policy from an election definition's JSON, or null when it lists no witnesses (or is unreadable). */
export function witnessPolicyOf(definition: unknown): WitnessPolicyText | null {
  if (definition === null || typeof definition !== 'object') return null;
  const witnesses = (definition as { witnesses?: unknown }).witnesses;
  if (witnesses === null || typeof witnesses !== 'object') return null;
  const { keys, required } = witnesses as { keys?: unknown; required?: unknown };
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return null;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 0) return null;
  return { keys: keys as string[], required };
}
