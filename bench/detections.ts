/**
 * `npm run bench -- detections [tiny|state]`: the security monitor against replayed attacks and
 * a clean night (docs/security-operations.md, "Detections"). Starts `openprep serve` in its own
 * process and replays credential stuffing from one address and from many, password spraying,
 * brute force, a TOTP replay, a device sending another CATD's actas and a decoy's use, timing
 * each from its last request to its alert read back through GET /api/v1/security/alerts; then
 * plays the demo's simulated night (tiny by default) and runs the monitor over its journal.
 * Prints one JSON object: attacks, detected, missed (0 expected), seconds_to_alert per class,
 * delivered_to_webhook (the alerts raised that the server's webhook delivered to a receiver on
 * loopback, all expected), false_positives (alerts in the clean night, 0 expected). Everything it started is stopped
 * and removed whether it succeeds or fails (src/test/attacks.ts).
 */
import process from 'node:process';
import { cleanNight, replayAttacks } from '../src/test/attacks.ts';

const scale = process.argv[2] === 'state' ? 'state' : 'tiny';
const began = performance.now();
const attacks = await replayAttacks();
const night = await cleanNight({ scale });
process.stdout.write(
  `${JSON.stringify({
    attacks: attacks.attacks,
    detected: attacks.detected,
    missed: attacks.missed,
    seconds_to_alert: attacks.seconds_to_alert,
    delivered_to_webhook: attacks.delivered_to_webhook,
    clean_night: { scale, journal_entries: night.entries },
    false_positives: night.alerts.length,
    false_positive_ids: night.alerts,
    seconds: Math.round((performance.now() - began) / 100) / 10,
  })}\n`,
);
const delivered = attacks.delivered_to_webhook >= attacks.detected;
process.exit(attacks.missed === 0 && delivered && night.alerts.length === 0 ? 0 : 1);
