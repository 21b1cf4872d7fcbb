/**
 * `openprep agent`: the CATD side. An agent folder holds the device's own Ed25519 key, its
 * configuration (which centers, in which order, and the election's public key to check
 * receipts), the durable outbox and a status file. The agent watches the scanner's output
 * folder, queues each finished image as a signed package, sends it over the first healthy
 * channel, and keeps it until a receipt that verifies comes back — across crashes, restarts
 * and network failures.
 *
 * An acta is identified by its file name, `<ELECTION>_<CLAVE_ACTA>.jpg|.jpeg|.png` (e.g.
 * `PRES_010338B010002.jpg`), and checked before it is queued by the quality gate
 * (src/gate/quality_gate.ts), which also reads the QR label stuck on the acta: an unfit image
 * is held with the reasons to rescan it; a label that does not read, or names another acta, is
 * held until the operator confirms the key by adding `_CONFIRMADA` to the name
 * (`PRES_010338B010002_CONFIRMADA.jpg`), and then sent saying so (`keyConfirmed` in the
 * package: the center refuses such an image otherwise). Other files are listed as unidentified for the operator
 * to rename; they are never guessed.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomInt } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { sniffKind } from '../images/image_store.ts';
import { writeFileDurably } from '../platform/durable_file.ts';
import { parseVerifierKey, type VerifierKey } from '../journal/note.ts';
import { openReceiptNode } from '../intake/package.ts';
import { SqliteOutbox } from './sqlite_outbox.ts';
import { type PinnedFetch, pinnedFetch, readCaBundle, SPKI_PIN } from './pinned_fetch.ts';
import {
  type BackoffPolicy,
  type Channel,
  type ChannelHealth,
  type FetchLike,
  httpChannel,
  type ReceiptCheck,
  receiptBodyVerdict,
  Sender,
  type SenderEvent,
} from './transport.ts';
import { AgentMetrics } from './agent_metrics.ts';

export const agentConfigSchema = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64')
      .describe('The device id this agent signs as, as enrolled at the center (`agent init --device-id`).'),
    origin: z
      .enum(['CASILLA', 'CATD'])
      .default('CATD')
      .describe('Where the actas are digitised: a CATD scanner, or a casilla (PREP Casilla).'),
    utcOffsetMinutes: z
      .number()
      .int()
      .min(-720)
      .max(840)
      .default(-360)
      .describe("The election's UTC offset in minutes, for the device time in each package."),
    watch: z.string().min(1).describe("The scanner's output folder (absolute)."),
    channels: z
      .array(
        z
          .object({
            name: z
              .string()
              .min(1)
              .max(40)
              .describe('A short name (in logs and metrics): `primary`, `alternate`.'),
            url: z.url().describe("The center's address (its load balancer)."),
          })
          .strict(),
      )
      .min(1)
      .max(8)
      .describe('Centers in priority order (`agent init --center`, `--alternate`).'),
    centerCa: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The PEM file of the CA (or CAs, during a CA change) the centers' certificates must come from: the only ones trusted for them, not the system's list (`agent init --center-ca`, which copies it into the agent folder as center-ca.pem; a relative name is read from the agent folder). Unset: the system's CAs.",
      ),
    centerPins: z
      .array(z.string().regex(SPKI_PIN, 'sha256/ and the base64 of 32 bytes'))
      .max(8)
      .optional()
      .describe(
        "Besides the CA, the centers' public keys allowed (`sha256/<base64>` of the certificate's SubjectPublicKeyInfo; `agent init --center-pin`): a certificate of the right CA with another key is refused. Needs `centerCa`.",
      ),
    centerKey: z
      .string()
      .min(1)
      .describe(
        "The election's public key (C2SP verifier key), as in the center's keys/<name>.pub: receipts are checked with it.",
      ),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Packages sent at once.'),
    backoff: z
      .object({
        baseMs: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .describe('The first wait after a failed send, in milliseconds.'),
        maxMs: z
          .number()
          .int()
          .min(10)
          .max(3_600_000)
          .describe(
            'The longest wait between attempts, in milliseconds: each wait is random below a ceiling that doubles at each failure, up to this.',
          ),
      })
      .strict()
      .default({ baseMs: 1_000, maxMs: 300_000 })
      .describe('Retries after a failure: exponential backoff with jitter.'),
    settleMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1_000)
      .describe(
        'A scanned file is taken once it has not changed for this long, in milliseconds (the scanner finished writing).',
      ),
    maxImageBytes: z
      .number()
      .int()
      .min(1)
      .default(20 * 1024 * 1024)
      .describe('Largest scan queued, in bytes; a larger one is reported, not sent.'),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .describe('How long one send may take before it counts as failed, in milliseconds.'),
    qualityGate: z
      .enum(['enforce', 'off'])
      .default('enforce')
      .describe(
        'The image quality gate before queuing (docs/images.md); `off` queues every well-formed image.',
      ),
    metricsFile: z
      .string()
      .min(1)
      .regex(/\.prom$/, 'a file name ending in .prom (what node_exporter reads)')
      .optional()
      .describe(
        "Where to write the agent's metrics (outbox backlog, channel health) every few seconds, in Prometheus text format: a file in node_exporter's textfile collector folder (docs/deployment.md).",
      ),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.centerPins !== undefined && config.centerCa === undefined)
      context.addIssue({
        code: 'custom',
        path: ['centerPins'],
        message: 'pins go with a pinned CA (centerCa)',
      });
    if (config.centerCa !== undefined)
      for (const [i, channel] of config.channels.entries())
        if (!channel.url.startsWith('https://'))
          context.addIssue({
            code: 'custom',
            path: ['channels', i, 'url'],
            message: 'with a pinned CA (centerCa), every center is reached over https://',
          });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export type AgentError = 'bad-agent-folder' | 'bad-config' | 'no-watch-folder';

export interface AgentPaths {
  readonly root: string;
  readonly config: string;
  readonly key: string;
  readonly status: string;
}

/** Where `agent init --center-ca` keeps the centers' CA, in the agent folder. */
export const CENTER_CA_FILE = 'center-ca.pem';

export function agentPaths(root: string): AgentPaths {
  return {
    root,
    config: path.join(root, 'agent.json'),
    key: path.join(root, 'device.key'),
    status: path.join(root, 'status.json'),
  };
}

/** Raw Ed25519 public key, base64: what `openprep device enroll --public-key` takes. */
export function rawPublicKeyBase64(privateKey: KeyObject): string {
  const x = privateKey.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url').toString('base64');
}

/**
 * Creates an agent folder — a fresh device key (0600) and the configuration — and the
 * scanner's folder it watches, if it is not there yet.
 */
export async function initAgent(
  root: string,
  config: AgentConfig,
  /** The centers' CA (PEM), written as the agent folder's center-ca.pem (what `centerCa` names). */
  centerCaPem?: string,
): Promise<Result<{ publicKey: string }, AgentError>> {
  const paths = agentPaths(root);
  const key = parseVerifierKey(config.centerKey);
  if (!key.ok) return err('bad-config', `centerKey: ${key.message}`);
  const pair = generateKeyPairSync('ed25519');
  try {
    await mkdir(config.watch, { recursive: true });
  } catch (error) {
    return err(
      'no-watch-folder',
      `cannot create the watch folder ${config.watch}: ${(error as Error).message}`,
    );
  }
  try {
    await mkdir(root, { recursive: true });
    if (centerCaPem !== undefined) await writeFileDurably(path.join(root, CENTER_CA_FILE), centerCaPem);
    await writeFileDurably(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    // 'wx': an agent folder's key is never replaced; a new device is a new folder.
    await writeFile(paths.key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    return err('bad-agent-folder', `cannot create the agent folder ${root}: ${(error as Error).message}`);
  }
  return ok({ publicKey: rawPublicKeyBase64(pair.privateKey) });
}

export interface OpenedAgent {
  readonly config: AgentConfig;
  readonly privateKey: KeyObject;
  readonly centerKey: VerifierKey;
  readonly outbox: SqliteOutbox;
  /** How the agent reaches its centers: trusting only their CA when one is pinned. */
  readonly fetch: FetchLike;
  close(): void;
}

export async function openAgent(root: string, clock: () => number): Promise<Result<OpenedAgent, AgentError>> {
  const paths = agentPaths(root);
  let configText: string;
  let keyText: string;
  try {
    configText = await readFile(paths.config, 'utf8');
    keyText = await readFile(paths.key, 'utf8');
  } catch (error) {
    return err(
      'bad-agent-folder',
      `${root} is not an agent folder (openprep agent init): ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(configText);
  } catch {
    return err('bad-config', `${paths.config} is not JSON`);
  }
  const parsed = agentConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err(
      'bad-config',
      `${paths.config}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const config = parsed.data;
  const centerKey = parseVerifierKey(config.centerKey);
  if (!centerKey.ok) return err('bad-config', `${paths.config}: centerKey: ${centerKey.message}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyText);
  } catch (error) {
    return err('bad-agent-folder', `${paths.key}: not a private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    return err('bad-agent-folder', `${paths.key}: not an Ed25519 key`);
  let pinned: PinnedFetch | null = null;
  if (config.centerCa !== undefined) {
    const file = path.resolve(root, config.centerCa);
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      return err('bad-config', `${paths.config}: centerCa: cannot read ${file}: ${(error as Error).message}`);
    }
    const bundle = readCaBundle(pem);
    if (!bundle.ok) return err('bad-config', `${paths.config}: centerCa: ${file}: ${bundle.message}`);
    pinned = pinnedFetch({
      ca: pem,
      ...(config.centerPins === undefined ? {} : { pins: config.centerPins }),
    });
  }
  const outbox = await SqliteOutbox.open(
    root,
    {
      deviceId: config.deviceId,
      origin: config.origin,
      privateKey,
      utcOffsetMinutes: config.utcOffsetMinutes,
    },
    clock,
  );
  return ok({
    config,
    privateKey,
    centerKey: centerKey.value,
    outbox,
    fetch: pinned?.fetch ?? ((url, init) => fetch(url, init)),
    close: () => {
      pinned?.close();
      outbox.close();
    },
  });
}

/**
 * A receipt proves delivery only if the election's key signed it and it names exactly this
 * package: its hash, device, sequence and image.
 */
export function receiptCheck(centerKey: VerifierKey, deviceId: string): ReceiptCheck {
  return async (item, receipt) => {
    const body = await openReceiptNode(receipt, centerKey);
    if (body === null)
      return {
        ok: false,
        message: 'the receipt is not signed by the election key nor by a receipt key it certified',
      };
    return receiptBodyVerdict(body, centerKey.name, item, deviceId);
  };
}

const FILE_NAME = /^([A-Z0-9_]{1,16}?)_([0-9A-Z]{1,32})(_CONFIRMADA)?\.(jpe?g|png)$/i;

/**
 * Reads the acta a scanned file is for from its name, or null; `confirmed` when the operator
 * confirmed the key of an acta whose QR label does not read or disagrees.
 */
export function identifyByFileName(
  name: string,
): { contest: string; claimedKey: string; confirmed: boolean } | null {
  const m = FILE_NAME.exec(name);
  if (m === null) return null;
  return { contest: m[1]!.toUpperCase(), claimedKey: m[2]!.toUpperCase(), confirmed: m[3] !== undefined };
}

export interface ScanResult {
  readonly queued: number;
  readonly unidentified: readonly string[];
  readonly rejected: readonly { readonly file: string; readonly reason: string }[];
  /** Held for the operator: the QR label does not read or names another acta (confirm by renaming). */
  readonly review: readonly { readonly file: string; readonly reason: string }[];
}

/**
 * One pass over the scanner's folder: every settled, identified JPEG/PNG not yet in the outbox
 * is queued. Safe to repeat at any time, and after any crash.
 */
export class FolderScanner {
  readonly #agent: OpenedAgent;
  readonly #clock: () => number;
  /** Files already handled, by name, size and mtime: not read again while unchanged. */
  readonly #seen = new Map<string, string>();
  /** Files the quality gate held, with why: listed on every scan until they change or go. */
  readonly #held = new Map<string, { version: string; list: 'rejected' | 'review'; reason: string }>();

  constructor(agent: OpenedAgent, clock: () => number) {
    this.#agent = agent;
    this.#clock = clock;
  }

  async scan(): Promise<ScanResult> {
    const { config, outbox } = this.#agent;
    const unidentified: string[] = [];
    const rejected: { file: string; reason: string }[] = [];
    const review: { file: string; reason: string }[] = [];
    let queued = 0;
    let names: string[];
    try {
      names = (await readdir(config.watch, { withFileTypes: true }))
        .filter((d) => d.isFile())
        .map((d) => d.name);
    } catch (error) {
      return {
        queued,
        unidentified,
        rejected: [{ file: config.watch, reason: (error as Error).message }],
        review,
      };
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const file = path.join(config.watch, name);
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(file);
      } catch {
        continue; // gone meanwhile
      }
      const version = `${info.size}:${info.mtimeMs}`;
      if (this.#seen.get(name) === version) {
        const held = this.#held.get(name);
        if (held?.version === version)
          (held.list === 'rejected' ? rejected : review).push({ file: name, reason: held.reason });
        continue;
      }
      this.#held.delete(name);
      if (this.#clock() - info.mtimeMs < config.settleMs) continue; // still being written
      const target = identifyByFileName(name);
      if (target === null) {
        unidentified.push(name);
        this.#seen.set(name, version);
        continue;
      }
      if (info.size > config.maxImageBytes || info.size === 0) {
        rejected.push({
          file: name,
          reason: info.size === 0 ? 'empty file' : `larger than ${config.maxImageBytes} bytes`,
        });
        this.#seen.set(name, version);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch {
        continue; // moved or deleted meanwhile: the next scan sees what is there
      }
      const kind = sniffKind(bytes);
      if (kind === null) {
        rejected.push({ file: name, reason: 'neither a JPEG nor a PNG' });
        this.#seen.set(name, version);
        continue;
      }
      if (config.qualityGate === 'enforce') {
        // Loaded on first use: an agent without the gate never loads libvips.
        const { assessActaImage } = await import('../gate/quality_gate.ts');
        const report = await assessActaImage(bytes, { claimedKey: target.claimedKey });
        const why = report.reasons.map((r) => r.message).join(' · ');
        if (report.verdict === 'reject' || (report.verdict === 'review' && !target.confirmed)) {
          const list = report.verdict === 'reject' ? 'rejected' : 'review';
          const reason =
            list === 'review'
              ? `${why} — si la clave es correcta, agregue _CONFIRMADA al nombre del archivo`
              : why;
          (list === 'rejected' ? rejected : review).push({ file: name, reason });
          this.#held.set(name, { version, list, reason });
          this.#seen.set(name, version);
          continue;
        }
      }
      try {
        const result = await outbox.queue({
          image: bytes,
          contentType: kind === 'png' ? 'image/png' : 'image/jpeg',
          contest: target.contest,
          claimedKey: target.claimedKey,
          source: name,
          ...(target.confirmed ? { keyConfirmed: true } : {}),
        });
        if (result.queued) queued++;
        this.#seen.set(name, version);
      } catch (error) {
        // Disk full, say: not taken, so the next scan tries again; the operator sees why.
        rejected.push({ file: name, reason: `could not be queued: ${(error as Error).message}` });
      }
    }
    return { queued, unidentified, rejected, review };
  }
}

export interface AgentStatus {
  readonly deviceId: string;
  readonly at: string;
  readonly pending: number;
  readonly delivered: number;
  readonly refused: number;
  readonly oldestPendingAt: string | null;
  readonly channels: readonly {
    readonly name: string;
    readonly failures: number;
    readonly downUntil: string | null;
    readonly lastError: string | null;
    readonly lastSuccessAt: string | null;
  }[];
  readonly unidentified: readonly string[];
  readonly rejected: readonly { readonly file: string; readonly reason: string }[];
  readonly review: readonly { readonly file: string; readonly reason: string }[];
}

export function statusOf(
  agent: OpenedAgent,
  channels: readonly ChannelHealth[],
  scan: ScanResult | null,
  now: number,
): AgentStatus {
  const counts = agent.outbox.counts();
  return {
    deviceId: agent.config.deviceId,
    at: new Date(now).toISOString(),
    pending: counts.pending,
    delivered: counts.delivered,
    refused: counts.refused,
    oldestPendingAt: counts.oldestPendingAt === null ? null : new Date(counts.oldestPendingAt).toISOString(),
    channels: channels.map((c) => ({
      name: c.name,
      failures: c.failures,
      downUntil: c.downUntil > now ? new Date(c.downUntil).toISOString() : null,
      lastError: c.lastError,
      lastSuccessAt: c.lastSuccessAt === null ? null : new Date(c.lastSuccessAt).toISOString(),
    })),
    unidentified: scan?.unidentified ?? [],
    rejected: scan?.rejected ?? [],
    review: scan?.review ?? [],
  };
}

/**
 * Runs the agent until `signal` aborts: scans the folder (on change and every `scanMs`),
 * sends, and writes status.json every few seconds.
 */
export async function runAgent(options: {
  readonly root: string;
  readonly signal: AbortSignal;
  readonly clock?: () => number;
  readonly scanMs?: number;
  readonly onEvent?: (event: SenderEvent | { kind: 'queued'; count: number }) => void;
  readonly channels?: readonly Channel[];
  /** A textfile for node_exporter (agent_metrics.ts); by default the configuration's `metricsFile`. */
  readonly metricsFile?: string;
}): Promise<Result<AgentStatus, AgentError>> {
  const clock = options.clock ?? Date.now;
  const opened = await openAgent(options.root, clock);
  if (!opened.ok) return opened;
  const agent = opened.value;
  const { config } = agent;
  // A missing scanner folder (a mount that did not come up, a typo) would otherwise only show
  // in status.json: the agent would run, find nothing, and say nothing.
  const folder = await stat(config.watch).catch((error: Error) => error);
  if (folder instanceof Error || !folder.isDirectory()) {
    agent.close();
    return err(
      'no-watch-folder',
      folder instanceof Error
        ? `the watch folder ${config.watch} is not there (${folder.message}): create it, or mount the scanner's share there`
        : `the watch folder ${config.watch} is not a folder`,
    );
  }
  const backoff: BackoffPolicy = config.backoff;
  const sender = new Sender({
    outbox: agent.outbox,
    channels:
      options.channels ??
      config.channels.map((c) => httpChannel(c.name, c.url, config.requestTimeoutMs, agent.fetch)),
    checkReceipt: receiptCheck(agent.centerKey, config.deviceId),
    clock,
    random: () => randomInt(0, 2 ** 32) / 2 ** 32,
    backoff,
    concurrency: config.concurrency,
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  const scanner = new FolderScanner(agent, clock);
  let lastScan: ScanResult | null = null;
  const scan = async () => {
    lastScan = await scanner.scan();
    if (lastScan.queued > 0) options.onEvent?.({ kind: 'queued', count: lastScan.queued });
  };
  let changed = true;
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(config.watch, () => {
      changed = true;
    });
    watcher.on('error', () => {
      watcher = null; // the periodic scan carries on
    });
  } catch {
    watcher = null;
  }
  const metricsFile = options.metricsFile ?? config.metricsFile;
  const metrics = metricsFile === undefined ? null : new AgentMetrics();
  const writeStatus = async () => {
    await writeFileDurably(
      agentPaths(options.root).status,
      `${JSON.stringify(statusOf(agent, sender.health, lastScan, clock()), null, 2)}\n`,
    ).catch(() => {});
    const scanned: ScanResult | null = lastScan;
    // A folder that went away must not stop the agent: the stale file shows it (its timestamp).
    await metrics
      ?.write(metricsFile!, {
        counts: agent.outbox.counts(),
        channels: sender.health,
        unidentified: scanned?.unidentified.length ?? 0,
        rejected: scanned?.rejected.length ?? 0,
        now: clock(),
      })
      .catch(() => {});
  };
  const scanMs = options.scanMs ?? 2_000;
  let lastScanAt = 0;
  let lastStatusAt = 0;
  const sending = sender.run(options.signal, 200);
  try {
    while (!options.signal.aborted) {
      const now = clock();
      if (changed || now - lastScanAt >= scanMs) {
        changed = false;
        lastScanAt = now;
        await scan();
      }
      if (now - lastStatusAt >= 2_000) {
        lastStatusAt = now;
        await writeStatus();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    watcher?.close();
    await sending;
    await writeStatus();
  }
  const status = statusOf(agent, sender.health, lastScan, clock());
  agent.close();
  return ok(status);
}
