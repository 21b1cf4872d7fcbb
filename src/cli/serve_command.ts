/**
 * `openprep serve`: the center online. Opens the data folder, validates the configuration,
 * listens, signs a journal checkpoint every few seconds while the journal grows, and on
 * SIGTERM or SIGINT drains: answers 503 on /readyz but goes on serving for `drainSeconds`
 * (the balancer stops sending meanwhile), then stops taking work, finishes what is in flight,
 * and closes the store.
 */
import { applyCenterHeapPolicy } from '../platform/heap_policy.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import process from 'node:process';
import packageJson from '../../package.json' with { type: 'json' };
import { setTimeout as sleep } from 'node:timers/promises';
import { openCenter } from '../center/node.ts';
import { checkNodeAtStart } from '../center/startup_check.ts';
import { err } from '../domain/result.ts';
import { classifyFault } from '../platform/faults.ts';
import { cutAwaitsWitnesses, signCheckpoint } from '../publish/publisher.ts';
import { openImageStore } from '../images/image_store.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { corpusIdentity, openBreachCorpus } from '../auth/breached_passwords.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { buildServer } from '../server/app.ts';
import { Deployment, deploymentFacts } from '../server/deployment.ts';
import { currentAttestation, RELEASE_REFUSED_EXIT } from '../release/bootstrap.ts';
import { loadServeConfig } from '../server/config.ts';
import { registerAlertSinkMetrics } from '../server/alert_metrics.ts';
import { alertSinksFrom } from '../security/alert_config.ts';
import { describeSinkEvent, type SinkEventOf } from '../security/alert_sinks.ts';
import { operatingNight } from '../security/detections.ts';
import { runSecurityMonitor, SecurityMonitor } from '../security/monitor.ts';
import { parseCommandArgs } from './args.ts';
import { serve } from './commands.ts';

const fail = (message: string, code = 1): number => {
  process.stderr.write(`openprep serve: ${message}\n`);
  return code;
};

export async function runServe(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, serve.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const config = await loadServeConfig({
    ...(o.config !== undefined ? { file: o.config } : {}),
    env: process.env,
    flags: {
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
    },
  });
  if (!config.ok) return fail(config.message, 2);
  // Before the catalog and the election are loaded: the heap's limits follow what it holds.
  applyCenterHeapPolicy();
  // A drill may replay a past night: its clock starts at the given time and runs at real speed.
  // Recorded in the store, so that `openprep cut` and every other command of the drill, and
  // the other nodes, run on the same simulated clock (src/center/drill_clock.ts).
  const simulatedStart = o['simulated-start'] === undefined ? null : Date.parse(o['simulated-start']);
  const node = await openCenter({
    root: o.data,
    clock: Date.now,
    ...(simulatedStart === null ? {} : { simulatedStart }),
  }).catch((error: unknown) => {
    // A damaged store can fail the first reads: one line for the operator, not a stack trace.
    const fault = classifyFault(error);
    if (fault === null) throw error;
    return err('database-unreadable', `the store cannot be read: ${fault.message} (${fault.code})`);
  });
  if (!node.ok) return fail(node.message, node.code === 'simulated-live' ? 2 : 1);
  const clock = node.value.clock;
  // Before any work: a damaged file, or a journal missing what this center signed, stops here.
  const startup = await checkNodeAtStart(node.value).catch((error: unknown) => {
    const fault = classifyFault(error);
    if (fault === null) throw error;
    return err('store-damaged', `the store cannot be read: ${fault.message} (${fault.code})`);
  });
  if (!startup.ok) {
    await node.value.close().catch(() => undefined);
    return fail(startup.message);
  }
  // A secrets key that is not the election's (another node's, a missing file) stops it now,
  // not at an operator's sign-in that fails on this node and not on the others.
  const secrets = await node.value.secrets();
  if (!secrets.ok) {
    await node.value.close().catch(() => undefined);
    return fail(secrets.message);
  }
  // A bucket that cannot be reached stops the service now, not at the first acta of the night.
  const images = await openImageStore(`${node.value.paths.root}/images`, config.value.images);
  const reachable = await images.blobs.check();
  if (!reachable.ok) {
    images.blobs.close();
    await node.value.close();
    return fail(`the image store cannot be used: ${reachable.message}`);
  }
  // Where security alerts go besides the journal (docs/security-operations.md, "Where alerts
  // go"): null when no webhook or syslog collector is configured. The security monitor hands
  // every SECURITY_ALERT it commits to `alerts.send(alert)`, which never waits and never throws.
  let sinkLog: (event: SinkEventOf) => void = () => undefined;
  const sinks = await alertSinksFrom(config.value.alerts, {
    electionId: node.value.pipeline.election.id,
    mode: node.value.pipeline.election.mode,
    userAgent: `OpenPREP/${packageJson.version}`,
    onEvent: (event) => sinkLog(event),
  });
  if (!sinks.ok) {
    images.blobs.close();
    await node.value.close();
    return fail(sinks.message, 2);
  }
  const alerts = sinks.value;
  // A corpus configured but not readable stops the service: passwords would go unchecked.
  const breached = await openBreachCorpus(config.value.passwords.breachedCorpus);
  if (!breached.ok) {
    images.blobs.close();
    await alerts?.close(0);
    await node.value.close();
    return fail(breached.message);
  }
  // What this process runs (the bootstrap's attestation, docs/trust.md): journaled before any
  // work, so every receipt and checkpoint that follows is after the DEPLOYMENT that names it.
  const attestation = currentAttestation();
  const deployment = new Deployment({
    journal: node.value.journal,
    clock,
    attestation,
    facts: () => deploymentFacts('serve', attestation, config.value),
  });
  const server = await buildServer({
    node: node.value,
    config: config.value,
    clock,
    images,
    breached: breached.value,
    deployment,
  });
  const { app } = server;
  await deployment.journalIfChanged();
  app.log.info(
    {
      event: 'deployment',
      ...deployment.document(),
      ...(attestation.kind === 'attested' ? { checkMs: attestation.checkMs, files: attestation.files } : {}),
    },
    attestation.kind === 'attested'
      ? `release ${attestation.version} (${attestation.sha256}) attested in ${attestation.checkMs} ms, signed by ${attestation.signers.join(', ')}`
      : 'development checkout, not attested',
  );
  app.log.info({ event: 'startup-check', ...startup.value }, 'store and journal checked');
  // A corpus new since this node last checked (it changes only between starts): every kept
  // fingerprint is compared with it, in the background (one range read per prefix, ~1,000
  // HMACs each on HIBP's corpus); an account found must change its password before anything
  // else, its live sessions included. Once per corpus and node: the marker is this node's.
  const marker = path.join(node.value.paths.root, 'breached-passwords.checked');
  // Unreadable just after it opened (replaced meanwhile): checked again, as a new corpus.
  const identity = await corpusIdentity(config.value.passwords.breachedCorpus).catch(() => null);
  const checkedBefore = await readFile(marker, 'utf8').catch(() => null);
  const rechecking = (
    identity !== null && checkedBefore === identity
      ? Promise.resolve(null)
      : server.accounts.recheck(breached.value, 'serve')
  )
    .then(async (report) => {
      if (report === null) return;
      if (report.ok) {
        if (identity !== null) await writeFileDurably(marker, identity);
        app.log.info(
          {
            event: 'security',
            kind: 'breached-password-recheck',
            ...report.value,
            marked: report.value.marked.length,
          },
          `breached passwords re-checked against ${breached.value.description}`,
        );
      } else app.log.error({ event: 'security', code: report.code }, report.message);
    })
    .catch((error: unknown) => app.log.error({ err: error }, 'breached-password re-check failed'));

  if (alerts !== null) registerAlertSinkMetrics(server.metrics.registry, () => alerts.stats());
  sinkLog = (event) => {
    const { level, message } = describeSinkEvent(event);
    app.log[level](
      { event: 'alert-sink', sink: event.sink, kind: event.kind, alertId: event.alertId },
      message,
    );
  };

  let checkpointing = Promise.resolve();
  let signedSize = -1;
  // 0: another node on the same data folder signs the checkpoints; two signers would race.
  const signs = config.value.checkpointSeconds > 0;
  const checkpoint = async () => {
    if (!signs) return;
    // A cut is waiting for its witnesses to cosign its checkpoint: a newer one would hide it.
    if (
      node.value.pipeline.election.witnesses !== undefined &&
      (await cutAwaitsWitnesses(node.value.leases, clock()))
    )
      return;
    const store = node.value.journal;
    const head = await store.journalHead();
    if (head.size === signedSize) return;
    // The tree the witnesses' consistency proofs come from: one for the life of the service.
    const tree = await server.journalTree.grownTo(head.size);
    const signed = await signCheckpoint(node.value, head, clock(), tree);
    if (signed.ok) signedSize = head.size;
    // Another process on this data folder (a cut, another node) signed a newer head meanwhile.
    else if (signed.code === 'smaller-than-last-signed') app.log.debug({ code: signed.code }, signed.message);
    // The signer service is away: the next turn tries again; nothing is signed meanwhile.
    else if (signed.code === 'signer-unavailable') app.log.warn({ code: signed.code }, signed.message);
    else app.log.error({ event: 'security', code: signed.code }, signed.message);
  };
  const timer = setInterval(
    () => {
      checkpointing = checkpointing.then(checkpoint).catch((error: unknown) => app.log.error({ err: error }));
    },
    signs ? config.value.checkpointSeconds * 1000 : 3_600_000,
  );

  // The security monitor, on whichever node holds its lease (docs/security-operations.md).
  // Each new alert is handed to every listener of `monitor.onAlert` once it is committed.
  const security = config.value.security;
  const monitor = security.enabled
    ? new SecurityMonitor({
        store: node.value.security,
        config: security,
        night: operatingNight(node.value.pipeline.election),
        holder: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
        clock,
      })
    : null;
  monitor?.onAlert((alert) =>
    app.log.warn(
      {
        event: 'security',
        kind: 'alert',
        alertId: alert.alertId,
        detection: alert.detection,
        severity: alert.severity,
      },
      `security alert: ${alert.detection}`,
    ),
  );
  if (alerts !== null) monitor?.onAlert((alert) => alerts.send(alert));
  const monitorStop = new AbortController();
  const monitoring =
    monitor === null
      ? Promise.resolve()
      : runSecurityMonitor({
          monitor,
          pollMs: security.pollMilliseconds,
          signal: monitorStop.signal,
          sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
          onEvent: (event) => {
            if (event.kind === 'failed')
              app.log.warn({ event: 'security', kind: 'monitor-failed' }, event.message);
            else if (event.kind !== 'alerted')
              app.log.info({ event: 'security', kind: `monitor-${event.kind}` });
          },
        });

  let stopping: Promise<number> | null = null;
  let finish: (code: number) => void = () => undefined;
  const stop = (signal: string, code = 0): Promise<number> => {
    stopping ??= (async () => {
      // First the balancer is told (GET /readyz answers 503) while this node goes on serving
      // whatever still reaches it for the drain period; only then does the listener close. A
      // second signal meanwhile stops the process at once (the handlers below are `once`).
      // Code that changed under the process is not drained: it stops taking work at once.
      const drainMs = code === RELEASE_REFUSED_EXIT ? 0 : config.value.drainSeconds * 1000;
      app.log.info({ signal, drainSeconds: config.value.drainSeconds }, 'shutting down: draining requests');
      server.draining = true;
      if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
      app.log.info('drain period over: closing the listener');
      clearInterval(timer);
      clearInterval(rechecks);
      monitorStop.abort();
      await monitoring;
      // Requests in flight get a few seconds to finish; a client that never finishes (a slow or
      // vanished uploader) must not keep the node from stopping: its connection is closed.
      const force = setTimeout(() => app.server.closeAllConnections(), 10_000);
      force.unref();
      // Before the server closes: closing it closes the store the re-check writes to.
      await rechecking;
      await app.close();
      clearTimeout(force);
      await checkpointing;
      await checkpoint().catch(() => {});
      const flushed = await alerts?.close(config.value.alerts.closeSeconds * 1000);
      if (flushed !== undefined && !flushed.flushed)
        app.log.error(
          { event: 'alert-sink', unsent: flushed.unsent },
          'security alerts left undelivered (they are in the journal)',
        );
      await node.value.close();
      app.log.info('stopped');
      return code;
    })();
    return stopping;
  };
  // The release re-checked while serving (config `release.recheckSeconds`), and the deployment's
  // facts (the host name) journaled again when they change. A release that no longer checks
  // means code on disk changed under a running process: what it loaded may be what it loaded at
  // start, or not (a lazily imported module, a worker), and a node that cannot say which code
  // signs its receipts must not sign any more. It journals the failure and stops, with the
  // bootstrap's exit status, without draining; the service manager must not restart it onto
  // the changed files (docs/deployment.md, "When a node refuses to start").
  let checkingRelease = false;
  const rechecks = setInterval(() => {
    if (checkingRelease || stopping !== null) return;
    checkingRelease = true;
    void (async () => {
      if (attestation.kind === 'attested') {
        const check = await deployment.recheck(process.env);
        if (!check.ok) {
          app.log.fatal(
            { event: 'security', kind: 'release-check-failed', ...check },
            `${Deployment.describe(check)}: stopping (journaled RELEASE_CHECK_FAILED)`,
          );
          process.stderr.write(`openprep serve: ${Deployment.describe(check)}; stopping.\n`);
          finish(await stop('release-check-failed', RELEASE_REFUSED_EXIT));
          return;
        }
        app.log.info({ event: 'deployment', kind: 'release-checked', ...check }, 'release re-checked');
      }
      await deployment.journalIfChanged();
    })()
      .catch((error: unknown) => app.log.error({ err: error }, 'release re-check failed to run'))
      .finally(() => {
        checkingRelease = false;
      });
  }, config.value.release.recheckSeconds * 1000);
  try {
    await app.listen({ host: config.value.host, port: config.value.port });
  } catch (error) {
    clearInterval(timer);
    clearInterval(rechecks);
    monitorStop.abort();
    await monitoring;
    images.blobs.close();
    await alerts?.close(0);
    await node.value.close();
    return fail(`cannot listen on ${config.value.host}:${config.value.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.value.port;
  // One plain line for people and scripts (tests read the port from it); the rest is JSON logs.
  process.stderr.write(`openprep serve: listening on http://${config.value.host}:${port}/\n`);
  return new Promise<number>((resolve) => {
    finish = resolve;
    process.once('SIGTERM', () => void stop('SIGTERM').then(resolve));
    process.once('SIGINT', () => void stop('SIGINT').then(resolve));
  });
}
