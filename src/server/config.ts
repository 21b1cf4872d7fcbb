/**
 * `openprep serve` configuration: defaults, then a JSON file (--config), then environment
 * variables, then flags; validated as a whole at start, so a bad value stops the service with
 * a message naming it instead of surfacing at 20:00 on election night.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { err, ok, type Result } from '../domain/result.ts';
import { ALERT_ENVIRONMENT, alertsConfigSchema } from '../security/alert_config.ts';
import { detectionConfigSchema } from '../security/detection_config.ts';

/** S3's bucket naming rules (the strict, DNS-compatible ones every service accepts). */
const BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Folders of plain names, each ending in `/` (the last one may omit it). */
const PREFIX = /^(?:[A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]*$/;

/** A bucket's name as S3 allows it (the one schema for the images' and the cuts' buckets). */
const bucketName = (description: string) =>
  z
    .string()
    .regex(
      BUCKET,
      '3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    )
    .optional()
    .describe(description);

/** A folder inside a bucket: relative, no "..". */
const objectPrefix = (description: string) =>
  z
    .string()
    .max(512)
    .regex(
      PREFIX,
      'folder names of letters, digits, ".", "_" and "-", separated by "/", not starting with "/"',
    )
    .refine((p) => !p.split('/').includes('..'), 'no ".." in the prefix')
    .default('')
    .describe(description);

export const serveConfigSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('The address to listen on: 0.0.0.0 (or ::) to take connections from other machines.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(8090)
      .describe('The TCP port to listen on (0: any free one).'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe(
        'The least severe log line written (JSON lines on standard output); requests are logged at debug.',
      ),
    intake: z
      .object({
        maxImageBytes: z
          .number()
          .int()
          .min(1024)
          .max(256 * 1024 * 1024)
          // As large as the CATD agent's own limit (agent.ts maxImageBytes): a scan the agent
          // queues must not meet a 413 here, which gives the acta up. A colour PNG scan at 300 dpi
          // with paper grain is 9–13 MB (bench/intake.ts's realistic actas).
          .default(20 * 1024 * 1024)
          .describe('Largest image accepted, in bytes; larger uploads get 413 as soon as they pass it.'),
        maxPixels: z
          .number()
          .int()
          .min(1)
          .max(1_000_000_000)
          .default(50_000_000)
          .describe('Largest width × height accepted (a 20000×20000 "pixel flood" is 400 million).'),
        maxInFlight: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(512)
          .describe(
            "Uploads handled at once; beyond it, 503 with Retry-After. With the quality gate on, each one's image is held in memory until it is judged and stored, so memory for images is at most `maxInFlight` × `maxImageBytes` (the worst case: every device sending its largest scan at once), plus up to 256 MiB kept between bursts for the next images (docs/intake.md).",
          ),
        qualityGate: z
          .enum(['enforce', 'off'])
          .default('enforce')
          .describe(
            'The image quality gate (docs/images.md): `enforce` refuses unfit images (422, with the reasons) and flags unreadable or mismatched QR labels; `off` takes every well-formed image (the devices gate before sending).',
          ),
        maxPerDevice: z
          .number()
          .int()
          .min(1)
          .max(1024)
          .default(8)
          .describe('Uploads one enrolled device may have at once (its agent sends 4 by default).'),
        maxUnauthenticated: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(1024)
          .describe(
            "Multipart requests whose signed header (their first two fields) is not verified yet, in all: they hold no upload slot, and past this bound they are refused at once (503, closed). The lean form's header is checked as it arrives.",
          ),
        maxUnauthenticatedPerAddress: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(32)
          .describe('The same bound as `maxUnauthenticated`, per client address.'),
        headerDeadlineSeconds: z
          .number()
          .min(0.1)
          .max(300)
          .default(10)
          .describe(
            "Seconds from the request's start to a verified signed header (multipart: its first two fields).",
          ),
        minBytesPerSecond: z
          .number()
          .int()
          .min(1)
          .max(10_000_000)
          .default(1024)
          .describe(
            'Slowest upload kept, in bytes per second averaged over `rateWindowSeconds`: a phone on a 2G link sends ~5 KB/s, a slowloris one byte every few seconds.',
          ),
        rateWindowSeconds: z
          .number()
          .min(1)
          .max(600)
          .default(30)
          .describe('The window, in seconds, over which `minBytesPerSecond` is averaged.'),
      })
      .strict()
      .describe('Signed-package intake (`POST /api/v1/packages`, docs/intake.md).')
      .default({
        maxImageBytes: 20 * 1024 * 1024,
        maxPixels: 50_000_000,
        maxInFlight: 512,
        qualityGate: 'enforce',
        maxPerDevice: 8,
        maxUnauthenticated: 1024,
        maxUnauthenticatedPerAddress: 32,
        headerDeadlineSeconds: 10,
        minBytesPerSecond: 1024,
        rateWindowSeconds: 30,
      }),
    connections: z
      .object({
        headersSeconds: z
          .number()
          .min(1)
          .max(300)
          .default(10)
          .describe("Seconds from a connection's opening to its request's whole headers."),
        bodySeconds: z
          .number()
          .min(1)
          .max(600)
          .default(30)
          .describe("Seconds for the whole body of any route but intake's (which has its own rules)."),
        perAddress: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(256)
          .describe("Connections one client address may hold at once (a trusted proxy's are not counted)."),
      })
      .strict()
      .describe('Connections and request deadlines for every route.')
      .default({ headersSeconds: 10, bodySeconds: 30, perAddress: 256 }),
    images: z
      .object({
        store: z
          .enum(['folder', 's3'])
          .default('folder')
          .describe(
            "Where acta images are kept: the data folder's `images/` (local, or a file system the nodes share), or an S3-compatible bucket (credentials from the AWS SDK's standard chain, never here).",
          ),
        s3: z
          .object({
            bucket: bucketName('The bucket (it must exist); required when `images.store` is `s3`.'),
            prefix: objectPrefix('A folder inside the bucket the objects go under, such as `pef2024/`.'),
            endpoint: z
              .url({ protocol: /^https?$/ })
              .optional()
              .describe("The service's address, for anything but AWS itself (MinIO, Ceph RGW, …)."),
            region: z
              .string()
              .regex(/^[A-Za-z0-9-]{1,64}$/, 'a region name such as us-east-1')
              .optional()
              .describe('The region (or `AWS_REGION`); self-hosted services accept us-east-1.'),
            forcePathStyle: z
              .boolean()
              .default(false)
              .describe(
                'The bucket in the path rather than the host name: what most self-hosted services need.',
              ),
          })
          .strict()
          .optional()
          .describe('The S3-compatible bucket, when `images.store` is `s3` (docs/deployment.md).'),
      })
      .strict()
      .superRefine((images, context) => {
        if (images.store === 's3' && images.s3?.bucket === undefined)
          context.addIssue({
            code: 'custom',
            path: ['s3', 'bucket'],
            message: 'required when images.store is s3 (OPENPREP_S3_BUCKET)',
          });
      })
      .default({ store: 'folder' })
      .describe('Where acta images are kept.'),
    cuts: z
      .object({
        store: z
          .enum(['folder', 's3'])
          .default('folder')
          .describe(
            'Where `openprep cut` publishes cuts, the catalog, the public images and the latest pointer: the data folder\'s `cuts/`, or an S3-compatible bucket reached with `images.s3`\'s endpoint, region and path style (docs/deployment.md, "Cuts in object storage").',
          ),
        bucket: bucketName(
          'The public bucket the cuts go to (it must exist); required when `cuts.store` is `s3`.',
        ),
        prefix: objectPrefix('A folder inside the bucket the cuts go under, such as `pef2024/`.'),
      })
      .strict()
      .superRefine((cuts, context) => {
        if (cuts.store === 's3' && cuts.bucket === undefined)
          context.addIssue({
            code: 'custom',
            path: ['bucket'],
            message: 'required when cuts.store is s3 (OPENPREP_CUTS_BUCKET)',
          });
      })
      .default({ store: 'folder', prefix: '' })
      .describe('Where published cuts go (`openprep cut`).'),
    webauthn: z
      .object({
        rpId: z
          .string()
          .min(1)
          .default('localhost')
          .describe("The WebAuthn relying party: the domain the operators' console is served under."),
        origins: z
          .array(z.string().url())
          .default([])
          .describe(
            "The exact origins (scheme, host, port) browsers will report; empty: localhost on the service's port.",
          ),
      })
      .strict()
      .default({ rpId: 'localhost', origins: [] })
      .describe("Security keys for the administrators' step-up (docs/operators.md)."),
    trustedProxies: z
      .array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]))
      .max(64)
      .default([])
      .describe(
        'Load balancers in front of this node (addresses or CIDR ranges): from them alone the X-Forwarded-For header is believed, for throttling and rate limits by client address.',
      ),
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(600)
      .describe(
        'Requests per minute per client address on each operator and public route (intake has its own bound).',
      ),
    checkpointSeconds: z
      .number()
      .min(0)
      .max(3600)
      .refine((s) => s === 0 || s >= 0.1, 'at least 0.1 seconds, or 0 for a node that signs no checkpoints')
      .default(10)
      .describe(
        "How often the journal's checkpoint is signed while serving (when it grew); 0 on every node but one when several share a data folder.",
      ),
    drainSeconds: z
      .number()
      .min(0)
      .max(300)
      .default(5)
      .describe(
        'On SIGTERM: how long the node keeps serving with GET /readyz answering 503 (so the load balancer stops sending it work) before it closes its listener and finishes what is in flight.',
      ),
    passwords: z
      .object({
        breachedCorpus: z
          .string()
          .min(1)
          .optional()
          .describe(
            'A breached-password corpus (docs/security-operations.md, "Breached passwords"): a folder of HIBP range files (`00000.txt` … `FFFFF.txt`, `SUFFIX:COUNT` lines) or one file of `SHA1:COUNT` lines sorted by hash. New passwords in it are refused, and at start every kept fingerprint is re-checked against it. Without it, the shipped blocklist alone.',
          ),
      })
      .strict()
      .default({})
      .describe('Operator passwords (NIST SP 800-63B-4).'),
    reader: z
      .object({
        mode: z
          .enum(['shadow', 'off'])
          .default('shadow')
          .describe(
            'The acta reader (docs/reader.md, "Shadow mode in the center"): `shadow` reads every acta image of record off the request path and keeps the readings apart, for the dashboard and each cut\'s reader.json (it never captures nor publishes a value); `off` reads nothing.',
          ),
        workers: z
          .number()
          .int()
          .min(1)
          .max(4)
          .default(1)
          .describe(
            'Worker threads reading actas (each about 0.2 s of CPU an acta); started at the first image, so a node that takes none pays nothing.',
          ),
      })
      .strict()
      .default({ mode: 'shadow', workers: 1 })
      .describe('The acta reader, in shadow mode (issue 19).'),
    metrics: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Whether `GET /metrics` (Prometheus text format) is served at all.'),
        loopback: z
          .boolean()
          .default(true)
          .describe(
            'Whether a scrape from this machine (127.0.0.0/8, ::1) that came through no proxy (no forwarding header) needs no token. Turn it off when a proxy on this machine forwards public requests without an X-Forwarded-For header.',
          ),
        token: z
          .string()
          .regex(/^[\x21-\x7e]{32,256}$/, '32 to 256 printable ASCII characters, no spaces')
          .optional()
          .describe(
            'A bearer token that lets a scraper from any address in (`Authorization: Bearer …`); give it in the environment rather than in a file. Without it, only loopback scrapes are answered.',
          ),
      })
      .strict()
      .default({ enabled: true, loopback: true })
      .describe('The metrics endpoint (docs/deployment.md, "Metrics and alerts").'),
    release: z
      .object({
        recheckSeconds: z
          .number()
          .min(1)
          .max(86_400)
          .default(300)
          .describe(
            'How often a node running an installed release checks its files again against the signed release manifest (docs/trust.md, "The running code, attested"); on a difference it journals RELEASE_CHECK_FAILED and stops serving. Each check reads and hashes the whole release (a few seconds of one core). Ignored in a development checkout.',
          ),
      })
      .strict()
      .default({ recheckSeconds: 300 })
      .describe('The running code, attested: the periodic re-check of an installed release.'),
    alerts: alertsConfigSchema,
    security: detectionConfigSchema.describe(
      'The security monitor and its detections: thresholds, windows and responses (docs/security-operations.md, "Detections").',
    ),
  })
  .strict();

export type ServeConfig = z.infer<typeof serveConfigSchema>;

/** Environment variables and where each goes in the configuration. */
export const ENVIRONMENT: readonly (readonly [
  name: string,
  path: readonly string[],
  kind: 'string' | 'number' | 'list' | 'boolean',
])[] = [
  ['OPENPREP_HOST', ['host'], 'string'],
  ['OPENPREP_PORT', ['port'], 'number'],
  ['OPENPREP_LOG_LEVEL', ['logLevel'], 'string'],
  ['OPENPREP_MAX_IMAGE_BYTES', ['intake', 'maxImageBytes'], 'number'],
  ['OPENPREP_MAX_PIXELS', ['intake', 'maxPixels'], 'number'],
  ['OPENPREP_MAX_IN_FLIGHT', ['intake', 'maxInFlight'], 'number'],
  ['OPENPREP_MAX_PER_DEVICE', ['intake', 'maxPerDevice'], 'number'],
  ['OPENPREP_MIN_BYTES_PER_SECOND', ['intake', 'minBytesPerSecond'], 'number'],
  ['OPENPREP_QUALITY_GATE', ['intake', 'qualityGate'], 'string'],
  ['OPENPREP_READER', ['reader', 'mode'], 'string'],
  ['OPENPREP_CHECKPOINT_SECONDS', ['checkpointSeconds'], 'number'],
  ['OPENPREP_DRAIN_SECONDS', ['drainSeconds'], 'number'],
  ['OPENPREP_RATE_LIMIT_PER_MINUTE', ['rateLimitPerMinute'], 'number'],
  ['OPENPREP_TRUSTED_PROXIES', ['trustedProxies'], 'list'],
  ['OPENPREP_IMAGE_STORE', ['images', 'store'], 'string'],
  ['OPENPREP_S3_BUCKET', ['images', 's3', 'bucket'], 'string'],
  ['OPENPREP_S3_PREFIX', ['images', 's3', 'prefix'], 'string'],
  ['OPENPREP_S3_ENDPOINT', ['images', 's3', 'endpoint'], 'string'],
  ['OPENPREP_S3_REGION', ['images', 's3', 'region'], 'string'],
  ['OPENPREP_S3_FORCE_PATH_STYLE', ['images', 's3', 'forcePathStyle'], 'boolean'],
  ['OPENPREP_CUT_STORE', ['cuts', 'store'], 'string'],
  ['OPENPREP_CUTS_BUCKET', ['cuts', 'bucket'], 'string'],
  ['OPENPREP_CUTS_PREFIX', ['cuts', 'prefix'], 'string'],
  ['OPENPREP_METRICS', ['metrics', 'enabled'], 'boolean'],
  ['OPENPREP_METRICS_LOOPBACK', ['metrics', 'loopback'], 'boolean'],
  ['OPENPREP_METRICS_TOKEN', ['metrics', 'token'], 'string'],
  ['OPENPREP_RELEASE_RECHECK_SECONDS', ['release', 'recheckSeconds'], 'number'],
  ...ALERT_ENVIRONMENT,
  ['OPENPREP_BREACHED_PASSWORDS', ['passwords', 'breachedCorpus'], 'string'],
  ['OPENPREP_SECURITY_MONITOR', ['security', 'enabled'], 'boolean'],
  ['OPENPREP_SECURITY_POLL_MILLISECONDS', ['security', 'pollMilliseconds'], 'number'],
  ['OPENPREP_SECURITY_THROTTLE_MINUTES', ['security', 'throttleMinutes'], 'number'],
];

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

export async function loadServeConfig(options: {
  readonly file?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly flags: { readonly host?: string; readonly port?: number };
}): Promise<Result<ServeConfig, 'bad-config'>> {
  let raw: Record<string, unknown> = {};
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      return err('bad-config', `cannot read ${options.file}: ${(error as Error).message}`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return err('bad-config', `${options.file}: the configuration is a JSON object`);
      raw = parsed as Record<string, unknown>;
    } catch (error) {
      return err('bad-config', `${options.file}: not JSON: ${(error as Error).message}`);
    }
  }
  for (const [name, path, kind] of ENVIRONMENT) {
    const value = options.env[name];
    if (value === undefined || value === '') continue;
    if (kind === 'number') {
      const number = Number(value);
      if (!Number.isFinite(number))
        return err('bad-config', `${name}=${JSON.stringify(value)} is not a number`);
      setPath(raw, path, number);
    } else if (kind === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(value))
        return err('bad-config', `${name}=${JSON.stringify(value)} is not true or false`);
      setPath(raw, path, value === 'true' || value === '1');
    } else if (kind === 'list')
      setPath(
        raw,
        path,
        value.split(',').map((item) => item.trim()),
      );
    else setPath(raw, path, value);
  }
  if (options.flags.host !== undefined) raw['host'] = options.flags.host;
  if (options.flags.port !== undefined) raw['port'] = options.flags.port;
  const checked = serveConfigSchema.safeParse(raw);
  if (!checked.success)
    return err(
      'bad-config',
      `configuration: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return ok(checked.data);
}
