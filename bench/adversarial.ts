/**
 * `npm run bench -- adversarial [slow] [seconds] [flood per second] [signin,forged,fuzz]`: a center (`openprep serve`, SQLite, a
 * state-sized election) takes genuine packages from 4 scanners, first alone (the baseline), then
 * while 500 slow uploads, sign-in floods, forged packages, an enrolled scanner of another CATD and
 * random bytes at every route try at once, then under attack again while the process is killed
 * with SIGKILL three times. Prints one JSON object: attempts per class, receipts held and stored,
 * lost (must be 0), server_fault_4xx (must be 0) and genuine_p99_ratio (attacked p99 ÷ baseline
 * p99; must be ≤ 2).
 *
 * Loopback only; every loop is bounded in count and time (src/adversarial/siege.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { prepareSiege, type SiegeReport, siege } from '../src/adversarial/siege.ts';

const slow = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 30);
/** Requests a second of each flooding class (sign-in, forged, random bytes). */
const perSecond = Number(process.argv[4] ?? 100);
const DEVICES = 4;
const EVERY_MS = 200;
const packagesPerDevice = Math.max(10, Math.round((seconds * 1000) / EVERY_MS));
/** The flooding classes to run (all by default): sign-in, forged, fuzz. */
const floods = new Set((process.argv[5] ?? 'signin,forged,fuzz').split(','));
const ATTACK = {
  slow,
  signin: floods.has('signin') ? 10 : 0,
  forged: floods.has('forged') ? 4 : 0,
  fuzz: floods.has('fuzz') ? 4 : 0,
  perSecond,
  outOfScope: true,
} as const;

const work = await mkdtemp(path.join(tmpdir(), 'openprep-bench-adversarial-'));
try {
  const center = await prepareSiege(work, 7, DEVICES);
  const common = { packagesPerDevice, everyMs: EVERY_MS, kills: 0 };
  const baseline = await siege(center, { ...common, seed: 1, attack: null });
  const attacked = await siege(center, { ...common, seed: 2, attack: ATTACK });
  const killed = await siege(center, {
    ...common,
    packagesPerDevice: Math.max(10, Math.round(packagesPerDevice / 2)),
    seed: 3,
    attack: { ...ATTACK, slow: Math.round(slow / 5) },
    kills: 3,
  });
  const runs: readonly SiegeReport[] = [baseline, attacked, killed];
  const attempts: Record<string, number> = {};
  for (const run of runs)
    for (const [kind, n] of Object.entries(run.attempts)) attempts[kind] = (attempts[kind] ?? 0) + n;
  const sum = (pick: (r: SiegeReport) => number) => runs.reduce((total, r) => total + pick(r), 0);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'adversarial',
        machine: { cores: cpus().length, node: process.version },
        store: 'sqlite',
        genuine_devices: DEVICES,
        genuine_every_ms: EVERY_MS,
        slow_clients: slow,
        flood_per_second_per_class: perSecond,
        attempts,
        receipts_held: sum((r) => r.receiptsHeld),
        receipts_stored: sum((r) => r.receiptsStored),
        lost: sum((r) => r.lost),
        server_fault_4xx: sum((r) => r.serverFault4xx),
        journal_verified: runs.every((r) => r.journalVerified),
        genuine_p50_ms: { baseline: round(baseline.genuine.p50Ms), attacked: round(attacked.genuine.p50Ms) },
        genuine_p99_ms: {
          baseline: round(baseline.genuine.p99Ms),
          attacked: round(attacked.genuine.p99Ms),
          killed: round(killed.genuine.p99Ms),
        },
        genuine_p99_ratio: Math.round((attacked.genuine.p99Ms / baseline.genuine.p99Ms) * 100) / 100,
        genuine_answers_attacked: attacked.genuine.answers,
        attack_answers: attacked.attackAnswers,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
