/** `openprep agent init|run|status|export-bundle`, `openprep bundle import` and `openprep drill proxy`. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import {
  agentConfigSchema,
  agentPaths,
  CENTER_CA_FILE,
  initAgent,
  openAgent,
  rawPublicKeyBase64,
  runAgent,
} from '../agent/agent.ts';
import { enrolOverHttp } from '../agent/enrol_http.ts';
import { readCaBundle } from '../agent/pinned_fetch.ts';
import { BUNDLE_LIMITS, writeBundle } from '../intake/bundle.ts';
import { openCenter } from '../center/node.ts';
import { formatIsoLocal } from '../domain/local_time.ts';
import { importBundle } from '../intake/bundle_import.ts';
import { type ImageStore, openImageStore } from '../images/image_store.ts';
import { IntakeService } from '../intake/intake_service.ts';
import type { QualityGatePool } from '../gate/gate_pool.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { parseReceiptBody } from '../intake/receipt_body.ts';
import { openReceiptNode } from '../intake/package.ts';
import { loadServeConfig } from '../server/config.ts';
import { failWith, parseCommandArgs, readStdin } from './args.ts';
import {
  agentEnroll,
  agentExportBundle,
  agentInit,
  agentRun,
  agentStatus,
  bundleImport,
  drillProxy,
} from './commands.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function runAgentInit(args: readonly string[]): Promise<number> {
  const fail = failWith('agent init');
  const parsed = parseCommandArgs(args, agentInit.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  let centerKey: string;
  try {
    centerKey = (await readFile(o['center-key'], 'utf8')).trim();
  } catch (error) {
    return fail(`cannot read the election's public key ${o['center-key']}: ${(error as Error).message}`, 2);
  }
  const config = agentConfigSchema.safeParse({
    deviceId: o['device-id'],
    origin: o.origin,
    utcOffsetMinutes: o['utc-offset-minutes'],
    // Absolute: `agent run` may start elsewhere (a service's working folder).
    watch: path.resolve(o.watch),
    channels: [
      { name: 'primary', url: o.center },
      ...(o.alternate !== undefined ? [{ name: 'alternate', url: o.alternate }] : []),
    ],
    centerKey,
    ...(o['center-ca'] === undefined ? {} : { centerCa: CENTER_CA_FILE }),
    ...(o['center-pin'] === undefined ? {} : { centerPins: o['center-pin'].split(',') }),
  });
  if (!config.success)
    return fail(config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 2);
  let centerCa: { pem: string; subjects: readonly string[] } | undefined;
  if (o['center-ca'] !== undefined) {
    let pem: string;
    try {
      pem = await readFile(o['center-ca'], 'utf8');
    } catch (error) {
      return fail(`cannot read the centers' CA ${o['center-ca']}: ${(error as Error).message}`, 2);
    }
    const bundle = readCaBundle(pem);
    if (!bundle.ok) return fail(`${o['center-ca']}: ${bundle.message}`, 2);
    centerCa = { pem, subjects: bundle.value };
  }
  const created = await initAgent(o.data, config.data, centerCa?.pem);
  if (!created.ok) return fail(created.message);
  out(`agent folder ${o.data} created for device ${o['device-id']}`);
  if (centerCa !== undefined)
    out(`the centers are trusted only with a certificate from: ${centerCa.subjects.join('; ')}`);
  out(
    `watching ${config.data.watch} for scans named <CONTEST>_<CLAVE_ACTA>.jpg|.png (e.g. PRES_010338B010002.jpg)`,
  );
  out(`device public key: ${created.value.publicKey}`);
  out('enrol it: a coordinator runs, here (password and code on standard input)');
  out(`  openprep agent enroll --data ${o.data} --username <coordinator> --bound-to <CATD>`);
  out('or an administrator, at the center:');
  out(
    `  openprep device enroll --id ${o['device-id']} --origin ${o.origin} --bound-to <CATD> --public-key ${created.value.publicKey}`,
  );
  return 0;
}

export async function runAgentEnroll(args: readonly string[]): Promise<number> {
  const fail = failWith('agent enroll');
  const parsed = parseCommandArgs(args, agentEnroll.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  // The coordinator's password and current code, one per line, on standard input.
  const [password, code, ...rest] = (await readStdin()).split(/\r?\n/);
  if (password === undefined || code === undefined || rest.length > 0 || !/^[0-9]{6}$/.test(code.trim()))
    return fail('give the password and the 6-digit code on standard input, one per line', 2);
  const opened = await openAgent(o.data, Date.now);
  if (!opened.ok) return fail(opened.message, 2);
  const agent = opened.value;
  try {
    const primary = agent.config.channels[0]!;
    const enrolled = await enrolOverHttp({
      centerUrl: primary.url,
      username: o.username,
      password,
      code: code.trim(),
      deviceId: agent.config.deviceId,
      publicKey: rawPublicKeyBase64(agent.privateKey),
      origin: agent.config.origin,
      boundTo: o['bound-to'],
      fetch: agent.fetch,
    });
    if (!enrolled.ok) return fail(`${enrolled.code}: ${enrolled.message}`);
    // The center's key must be the one this agent was configured with: receipts are checked with it.
    if (enrolled.value.electionKey.trim() !== agent.config.centerKey.trim())
      return fail(
        `enrolled, but ${primary.url} signs with ${enrolled.value.electionKey}, not the key in agent.json: check which center this is`,
      );
    out(
      `device ${agent.config.deviceId} enrolled at ${primary.url} (${agent.config.origin}, ${o['bound-to']})`,
    );
    return 0;
  } finally {
    agent.close();
  }
}

export async function runAgentRun(args: readonly string[]): Promise<number> {
  const fail = failWith('agent run');
  const parsed = parseCommandArgs(args, agentRun.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const log = (fields: Record<string, unknown>) => {
    if (!o.quiet) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  };
  log({ event: 'agent', message: `agent running on ${o.data}` });
  const result = await runAgent({
    root: o.data,
    signal: controller.signal,
    onEvent: (event) => log({ ...event }),
    ...(o['metrics-file'] === undefined ? {} : { metricsFile: o['metrics-file'] }),
  });
  if (!result.ok) return fail(result.message, 2);
  log({
    event: 'agent',
    message: 'stopped',
    pending: result.value.pending,
    delivered: result.value.delivered,
  });
  return 0;
}

export async function runAgentStatus(args: readonly string[]): Promise<number> {
  const fail = failWith('agent status');
  const parsed = parseCommandArgs(args, agentStatus.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const root = parsed.value.options.data;
  const opened = await openAgent(root, Date.now);
  if (!opened.ok) return fail(opened.message, 2);
  try {
    const counts = opened.value.outbox.counts();
    // The running agent's view of its channels and folder, when it has written one.
    let live: Record<string, unknown> = {};
    try {
      live = JSON.parse(await readFile(agentPaths(root).status, 'utf8')) as Record<string, unknown>;
    } catch {
      live = {};
    }
    const refused = opened.value.outbox
      .list('refused')
      .map((item) => ({ sequence: item.sequence, file: item.source, reason: item.lastError }));
    const failing = opened.value.outbox
      .list('pending')
      .filter((item) => item.lastError !== null)
      .slice(0, 20)
      .map((item) => ({
        sequence: item.sequence,
        file: item.source,
        attempts: item.attempts,
        lastError: item.lastError,
      }));
    out(
      JSON.stringify(
        {
          deviceId: opened.value.config.deviceId,
          pending: counts.pending,
          delivered: counts.delivered,
          refused: counts.refused,
          oldestPendingAt:
            counts.oldestPendingAt === null ? null : new Date(counts.oldestPendingAt).toISOString(),
          refusedItems: refused,
          failingItems: failing,
          channels: live['channels'] ?? null,
          unidentified: live['unidentified'] ?? [],
          rejected: live['rejected'] ?? [],
          review: live['review'] ?? [],
          statusWrittenAt: live['at'] ?? null,
        },
        null,
        2,
      ),
    );
    return 0;
  } finally {
    opened.value.close();
  }
}

export async function runAgentExportBundle(args: readonly string[]): Promise<number> {
  const fail = failWith('agent export-bundle');
  const parsed = parseCommandArgs(args, agentExportBundle.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const opened = await openAgent(o.data, Date.now);
  if (!opened.ok) return fail(opened.message, 2);
  const agent = opened.value;
  try {
    const fromLeaf = o['from-leaf'];
    if (fromLeaf !== undefined) return await exportDeliveredFromLeaf(agent, fromLeaf, o.out);
    const pending = agent.outbox.list('pending').slice(0, BUNDLE_LIMITS.packages);
    if (pending.length === 0) {
      out('nothing pending: no bundle written');
      return 0;
    }
    const packages = [];
    for (const item of pending)
      packages.push({
        text: item.packageText,
        signature: item.signature,
        contentType: item.contentType,
        imageSha256: item.imageSha256,
        image: await agent.outbox.image(item),
      });
    const now = Date.now();
    const zip = await writeBundle({
      deviceId: agent.config.deviceId,
      createdAt: formatIsoLocal(now, agent.config.utcOffsetMinutes),
      privateKey: agent.privateKey,
      packages,
    });
    await writeFileDurably(o.out, zip);
    agent.outbox.markExported(
      pending.map((item) => item.sequence),
      now,
    );
    out(`wrote ${o.out}: ${pending.length} packages, ${zip.length} bytes`);
    out('they stay pending here until a receipt comes back (network, or the import at a center)');
    return 0;
  } finally {
    agent.close();
  }
}

/**
 * Recovery after a center lost storage (docs/journal.md, "Lost storage"): the packages this
 * agent delivered whose receipts name a journal leaf at or past `fromLeaf` — the restored
 * journal's size — in one bundle, so the center can take again the ones it no longer holds
 * (`bundle import` answers the others with their receipts). Nothing changes in the outbox.
 */
async function exportDeliveredFromLeaf(
  agent: Extract<Awaited<ReturnType<typeof openAgent>>, { ok: true }>['value'],
  fromLeaf: number,
  file: string,
): Promise<number> {
  const named: { item: (typeof delivered)[number]; leaf: number }[] = [];
  const delivered = agent.outbox.list('delivered');
  for (const item of delivered) {
    const body = item.receipt === null ? null : await openReceiptNode(item.receipt, agent.centerKey);
    const receipt = body === null ? null : parseReceiptBody(body, agent.centerKey.name);
    if (receipt?.ok === true && receipt.value.leafIndex >= fromLeaf)
      named.push({ item, leaf: receipt.value.leafIndex });
  }
  named.sort((a, b) => a.leaf - b.leaf);
  if (named.length === 0) {
    out(`no delivered package has a receipt at leaf ${fromLeaf} or later: no bundle written`);
    return 0;
  }
  const chosen = named.slice(0, BUNDLE_LIMITS.packages);
  const packages = [];
  for (const { item } of chosen)
    packages.push({
      text: item.packageText,
      signature: item.signature,
      contentType: item.contentType,
      imageSha256: item.imageSha256,
      image: await agent.outbox.image(item),
    });
  const zip = await writeBundle({
    deviceId: agent.config.deviceId,
    createdAt: formatIsoLocal(Date.now(), agent.config.utcOffsetMinutes),
    privateKey: agent.privateKey,
    packages: packages.sort((a, b) => sequenceOf(a.text) - sequenceOf(b.text)),
  });
  await writeFileDurably(file, zip);
  const last = chosen.at(-1)!.leaf;
  out(
    `wrote ${file}: ${chosen.length} delivered packages whose receipts name leaves ${chosen[0]!.leaf}–${last}, ${zip.length} bytes`,
  );
  if (chosen.length < named.length)
    out(
      `${named.length - chosen.length} more: after importing this one, export again with --from-leaf ${last + 1}`,
    );
  return 0;
}

function sequenceOf(packageText: string): number {
  return (JSON.parse(packageText) as { sequence: number }).sequence;
}

export async function runBundleImport(args: readonly string[]): Promise<number> {
  const fail = failWith('bundle import');
  const parsed = parseCommandArgs(args, bundleImport.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const file = parsed.value.positionals[0];
  if (file === undefined || parsed.value.positionals.length > 1) return fail('give one bundle file', 2);
  const config = await loadServeConfig({
    ...(o.config !== undefined ? { file: o.config } : {}),
    env: process.env,
    flags: {},
  });
  if (!config.ok) return fail(config.message, 2);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as Error).message}`, 2);
  }
  if (size > BUNDLE_LIMITS.totalBytes + 64 * 1024 * 1024)
    return fail(`${file} is larger than a bundle may be`);
  // A drill's acopio times are its simulated ones, recorded in the store by serve (or here).
  const simulatedStart = o['simulated-start'] === undefined ? null : Date.parse(o['simulated-start']);
  const node = await openCenter({
    root: o.data,
    clock: Date.now,
    ...(simulatedStart === null ? {} : { simulatedStart }),
  });
  if (!node.ok) return fail(node.message, node.code === 'simulated-live' ? 2 : 1);
  const clock = node.value.clock;
  let openedImages: ImageStore | null = null;
  let gatePool: QualityGatePool | null = null;
  try {
    // The same image store as `serve` with the same configuration, checked before anything is stored.
    const images = await openImageStore(`${node.value.paths.root}/images`, config.value.images);
    openedImages = images;
    const reachable = await images.blobs.check();
    if (!reachable.ok)
      return fail(`the image store cannot be used: ${reachable.message} — nothing was stored`);
    await images.init();
    // The same quality gate as `serve`: a bundle's images are judged as if they came online.
    if (config.value.intake.qualityGate === 'enforce')
      gatePool = new (await import('../gate/gate_pool.ts')).QualityGatePool();
    const pool = gatePool;
    const intake = new IntakeService({
      pipeline: node.value.pipeline,
      devices: node.value.devices,
      commits: node.value.commits,
      signer: node.value.receipts,
      images,
      limits: { maxBytes: config.value.intake.maxImageBytes, maxPixels: config.value.intake.maxPixels },
      clock,
      ...(pool === null
        ? {}
        : { gate: (bytes: Buffer, claimedKey: string) => pool.assess(bytes, claimedKey) }),
    });
    const imported = await importBundle({
      zip: await readFile(file),
      intake,
    });
    if (!imported.ok) return fail(`${imported.code}: ${imported.message} — nothing was stored`);
    const packages = imported.value.packages;
    const count = (outcome: string) => packages.filter((p) => p.outcome === outcome).length;
    if (o.receipts !== undefined)
      await writeFileDurably(
        o.receipts,
        `${packages
          .filter((p) => p.receipt !== undefined)
          .map((p) => JSON.stringify({ sequence: p.sequence, receipt: p.receipt }))
          .join('\n')}\n`,
      );
    out(
      JSON.stringify({
        deviceId: imported.value.deviceId,
        accepted: count('accepted'),
        alreadyAccepted: count('already-accepted'),
        refused: packages
          .filter((p) => p.outcome === 'refused')
          .map((p) => ({ sequence: p.sequence, reason: p.reason, message: p.message })),
      }),
    );
    return 0;
  } finally {
    openedImages?.blobs.close();
    await gatePool?.close();
    await node.value.close();
  }
}

export async function runDrillProxy(args: readonly string[]): Promise<number> {
  const fail = failWith('drill proxy');
  const parsed = parseCommandArgs(args, drillProxy.options);
  if (!parsed.ok) return fail(parsed.message, 2);
  const o = parsed.value.options;
  const { parseFaultRates, startFaultProxy } = await import('../drill/fault_proxy.ts');
  const rates = parseFaultRates(o.faults);
  if (!rates.ok) return fail(rates.message, 2);
  const delay = o['delay-ms']?.split(',').map(Number) as [number, number] | undefined;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  try {
    proxy = await startFaultProxy({
      target: o.target,
      rates: rates.value,
      seed: o.seed,
      port: o.listen,
      ...(delay !== undefined ? { delayMs: delay } : {}),
      onDecision: (decision) => {
        if (decision.action !== 'pass')
          process.stderr.write(`${JSON.stringify({ event: 'fault', ...decision })}\n`);
      },
    });
  } catch (error) {
    return fail((error as Error).message, 2);
  }
  process.stderr.write(`openprep drill proxy: listening on ${proxy.url} → ${o.target}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await proxy.close();
  out(JSON.stringify(proxy.counts));
  return 0;
}
