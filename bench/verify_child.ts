/** Runs the verifier in its own process, as `openprep verify` does, and prints its time and peak memory. */
import process from 'node:process';
import { verifyCut } from '../src/verify/verify.ts';

const [cut, publicKey] = process.argv.slice(2);
const started = performance.now();
const report = await verifyCut({ cut: cut!, publicKey: publicKey! });
process.stdout.write(
  `${JSON.stringify({
    seconds: Math.round(performance.now() - started) / 1000,
    ok: report.ok,
    failed: report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
