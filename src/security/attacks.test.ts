/**
 * Replayed attacks against a real `openprep serve`, each alert read back through the route
 * within a generous outer bound (the time each took is measured by `npm run bench -- detections`),
 * and a clean simulated night that raises none.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanNight, replayAttacks } from '../test/attacks.ts';

test('every replayed attack raises its alert, read back through GET /api/v1/security/alerts and received by the webhook', async () => {
  const report = await replayAttacks();
  assert.equal(report.missed, 0, JSON.stringify(report.seconds_to_alert));
  assert.equal(report.detected, report.attacks);
  assert.ok(report.attacks >= 7);
  // Alerts raised outside the replayed classes would be counted here too: each reached the SOC.
  assert.ok(report.delivered_to_webhook >= report.detected, JSON.stringify(report));
});

test('a clean simulated night raises no alert', async () => {
  const night = await cleanNight();
  assert.ok(night.entries > 100, `${night.entries} journal entries`);
  assert.deepEqual(night.alerts, []);
});
