/**
 * The center's heap policy. `serve` keeps a heap of ~40 MB (the catalog, the election, the
 * store's caches) and takes image bodies of ~2 MB, tens at once. With V8's own growing factor the
 * old generation's limit sat close above that heap (77 MB for 37), and V8 kept scheduling full
 * collections from a task with ~1 MB allocated on the heap between two (its trace; our reading is
 * that the room left was under V8's young-generation threshold): about three a second at the
 * gate's pace, each marking the whole heap (150–190 ms of background CPU): a fifth
 * of serve's CPU (docs/benchmarks.md, "Intake with the quality gate on"). Letting the heap grow to
 * four times what survives a collection costs at most three times the live heap more (~120 MB
 * at a state's scale; V8 still keeps under its maximum heap), and cut those collections from 44
 * to 16 in the same run.
 */
import process from 'node:process';
import v8 from 'node:v8';

/** Old generation limit after a full collection = what survived × (1 + this/100). */
export const HEAP_GROWING_PERCENT = 300;

/** Applies the policy to this process (every isolate: the gate's workers too), unless the operator set the flag. */
export function applyCenterHeapPolicy(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
