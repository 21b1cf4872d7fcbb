/**
 * `openprep alert test`: from an operator's shell, checks that alerts reach the SOC. A
 * synthetic SECURITY_ALERT, its envelope marked `test: true` (syslog: `test="true"` and
 * `[TEST]` in the text), goes to the sinks serve's configuration names, with the same retries;
 * each attempt is printed as it happens. It is not journaled: it is not an incident.
 */
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import packageJson from '../../package.json' with { type: 'json' };
import { openCenter } from '../center/node.ts';
import { alertSinksFrom } from '../security/alert_config.ts';
import type { SecurityAlert } from '../security/alert_envelope.ts';
import { describeSinkEvent } from '../security/alert_sinks.ts';
import { loadServeConfig } from '../server/config.ts';
import { parseCommandArgs } from './args.ts';
import { alertTest } from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (message: string, code = 1): number => {
  process.stderr.write(`openprep alert test: ${message}\n`);
  return code;
};

export async function runAlertTest(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, alertTest.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const config = await loadServeConfig({
    ...(o.config === undefined ? {} : { file: o.config }),
    env: process.env,
    flags: {},
  });
  if (!config.ok) return fail(config.message, 2);
  const node = await openCenter({ root: o.data, clock: Date.now });
  if (!node.ok) return fail(node.message);
  const election = node.value.pipeline.election;
  await node.value.close();

  const sinks = await alertSinksFrom(config.value.alerts, {
    electionId: election.id,
    mode: election.mode,
    userAgent: `OpenPREP/${packageJson.version}`,
    onEvent: (event) => out(describeSinkEvent(event).message),
  });
  if (!sinks.ok) return fail(sinks.message, 2);
  if (sinks.value === null)
    return fail(
      'no sink is configured: set alerts.webhook or alerts.syslog (OPENPREP_ALERT_WEBHOOK_URL, OPENPREP_ALERT_SYSLOG; docs/security-operations.md)',
    );
  const now = Date.now();
  const alert: SecurityAlert = {
    type: 'SECURITY_ALERT',
    at: now,
    alertId: `test-${randomUUID()}`,
    detection: o.detection,
    severity: o.severity,
    subject: {},
    firstAt: now,
    lastAt: now,
    evidence: {},
    responses: [],
  };
  out(`test alert ${alert.alertId} (${alert.detection}, ${alert.severity}) for ${election.id}:`);
  sinks.value.send(alert, { test: true });
  await sinks.value.close(o.wait * 1000);
  let failed = 0;
  for (const stats of sinks.value.stats()) {
    const delivered = stats.sent === 1;
    if (!delivered) failed += 1;
    out(`${stats.sink} ${stats.target}: ${delivered ? 'delivered' : 'NOT delivered'}`);
  }
  return failed === 0 ? 0 : 1;
}
