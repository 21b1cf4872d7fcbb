/**
 * The demo: an election night played in accelerated time against a real data folder. Every
 * acta esperada gets an arrival time from the arrival curve (some never arrive; some of those
 * are declared sin acta), ~2% extra submissions come from outside the catalog, two simulated
 * capturistas type each acta with a small error rate, a verifier resolves mismatches, a few
 * actas go through cotejo, and a signed cut is published (and verified) every few simulated
 * minutes. The night is a pure function of the seed, and every step is idempotent, so a demo
 * that is stopped picks up where it was.
 */
import { pathExists } from '../platform/durable_file.ts';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Digitization, DocumentType, Origin, SinActaReason } from '../domain/acta.ts';
import { applicableColumns } from '../domain/actas_esperadas.ts';
import { type Casilla, type Catalog, distritoKey } from '../domain/catalog.ts';
import type { TerritoryRow } from '../domain/territory.ts';
import { territoryOf } from '../catalog/territory_csv.ts';
import { declareTerritory } from '../intake/territory.ts';
import { formatActaTimestamp } from '../domain/local_time.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { ActaFields } from '../domain/values.ts';
import { actaContent } from '../sim/acta_images/acta_set.ts';
import type { ActaContent } from '../sim/acta_images/synthetic_acta.ts';
import type { BlobStore } from '../images/blob_store.ts';
import { DEMO_READER_POLICY, DemoReader, formatReaderNight } from './demo_reader.ts';
import { ActaIndex } from '../capture/identify.ts';
import { openImageStore } from '../images/image_store.ts';
import { type ActaPool, createActaPool } from '../sim/acta_images/acta_pool.ts';
import { generateCatalog } from '../sim/catalog_generator.ts';
import { defaultElectionDefinition } from '../sim/default_election.ts';
import { sampleArrivalHours, trueActaFields, typeActa } from '../sim/election_night.ts';
import { createRandom, type Random } from '../sim/random.ts';
import { formatReport, verifyCut } from '../verify/verify.ts';
import { DEFAULT_SITE_OUT } from '../site/build.ts';
import { startCutServer } from '../mirror/static_server.ts';
import { consoleHowTo, demoAccountsFile } from './console_accounts.ts';
import { PeopleAtTheConsole } from './people.ts';
import { type DemoWitnesses, makeDemoWitnesses, openDemoWitnesses } from './demo_witnesses.ts';
import { buildServer, type ServerHandle } from '../server/app.ts';
import { serveConfigSchema } from '../server/config.ts';
import { storeLocation } from '../center/database.ts';
import { dataPaths } from '../center/data_dir.ts';
import { type CenterNode, initCenter, openCenter } from '../center/node.ts';
import { publishCut } from '../publish/publisher.ts';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

export interface DemoOptions {
  readonly root: string;
  readonly scale: 'tiny' | 'state';
  readonly seed: number;
  readonly untilClose: boolean;
  readonly serve: boolean;
  readonly port: number;
  /** Simulated minutes per real second when serving; 0 runs as fast as possible. */
  readonly speed: number;
  /** Simulated minutes between cuts. */
  readonly cutEvery: number;
  readonly reset: boolean;
  /**
   * Render each submitted acta's image (a synthetic acta with the night's true values, by phone
   * or scanner) and keep it in the center's image store, so the site and the console show it;
   * off, the actas carry placeholder hashes and no image (true by default).
   */
  readonly images?: boolean;
  /**
   * While a person is signed in to the console, one capture of one acta in this many is left
   * to people (people.ts); 0 leaves none. 3 by default.
   */
  readonly peopleEvery?: number;
  /**
   * A new demo's election lists three witnesses (2 of 3 required) that run in the demo and
   * cosign each cut's checkpoint through the console's center (demo_witnesses.ts); they need
   * that center, so this is `serve` by default, and is decided when the data folder is made.
   */
  readonly witnesses?: boolean;
  /**
   * A new demo's election puts the acta reader in assist (DEMO_READER_POLICY), and the demo reads
   * every acta's image to offer it as a capture (demo_reader.ts). Needs images.
   */
  readonly readerAssist?: boolean;
  /** The built operators' console to serve (`npm run build`'s by default). */
  readonly consoleDir?: string;
  readonly log: (line: string) => void;
  /** Where the night is, after each cut and while actas come in (for a progress line). */
  readonly progress?: (state: DemoProgress) => void;
  readonly signal?: AbortSignal;
}

export interface DemoProgress {
  /** The simulated clock, local time of the election, `YYYY-MM-DD HH:MM`. */
  readonly simulatedTime: string;
  /** Simulated minutes since the first cut, of the night's `nightMinutes`. */
  readonly simulatedMinutes: number;
  readonly nightMinutes: number;
  /** Actas esperadas (all contests) with a submission so far, of `expected`. */
  readonly received: number;
  readonly expected: number;
  /** The first contest's shares in the last cut, as published (e.g. "45.2130"). */
  readonly captured: string;
  readonly counted: string;
  readonly cuts: number;
  readonly totalCuts: number;
}

type DemoEvent =
  | {
      readonly at: number;
      readonly kind: 'submit';
      readonly contest: string;
      readonly claimedKey: string;
      readonly imageSha256: string;
      /** What the image shows, when the demo renders images. */
      readonly sheet: ActaContent;
      readonly origin: Origin;
      readonly digitization: Digitization;
      readonly documentType: DocumentType;
      readonly source: string;
    }
  | {
      readonly at: number;
      readonly kind: 'capture';
      readonly recordId: string;
      readonly operatorId: string;
      readonly fields: ActaFields;
      /** The acta's true values: what resolves a mismatch a person's capture made (people.ts). */
      readonly truth: ActaFields;
    }
  | {
      readonly at: number;
      readonly kind: 'resolve';
      readonly recordId: string;
      readonly verifierId: string;
      readonly fields: ActaFields;
    }
  | {
      readonly at: number;
      readonly kind: 'cotejo';
      readonly recordId: string;
      readonly reviewerId: string;
      readonly decision: 'accept' | 'reopen';
    }
  | {
      readonly at: number;
      readonly kind: 'sin-acta';
      readonly contest: string;
      readonly actaKey: string;
      readonly reason: SinActaReason;
    };

const MINUTE = 60_000;
const CAPTURISTAS = 40;
const VERIFIERS = 6;
const TYPING_ERROR_RATE = 0.03;
const FUERA_DE_CATALOGO_SHARE = 0.02;
const SIN_ACTA_SHARE_OF_MISSING = 0.35;
const SIN_ACTA_REASONS: readonly SinActaReason[] = [
  'PAQUETE_NO_ENTREGADO',
  'CASILLA_NO_INSTALADA',
  'SIN_SOBRE',
  'CONTINGENCIA_URNA_ELECTRONICA',
];

function operator(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(2, '0')}`;
}

/** A plausible image hash for a simulated acta, when the demo renders no images. */
function imageHash(label: string): string {
  return createHash('sha256').update(`openprep-demo-image:${label}`).digest('hex');
}

/**
 * Plans the whole night: every submission, capture, resolution, cotejo and sin acta, with its
 * simulated time. Captures are planned from the truth of the acta, so they are known at once.
 */
export function planNight(node: CenterNode, seed: number): DemoEvent[] {
  const { election, catalog } = node.pipeline;
  const start = Date.parse(election.publicationStart);
  const index = new ActaIndex(catalog, election);
  const events: DemoEvent[] = [];
  const root = createRandom(`demo-night:${seed}`);

  const captureEvents = (random: Random, recordId: string, truth: ActaFields, arrivedAt: number): void => {
    const first = random.int(1, CAPTURISTAS);
    const second = ((first + random.int(0, CAPTURISTAS - 2)) % CAPTURISTAS) + 1;
    const one = typeActa(random, truth, TYPING_ERROR_RATE);
    const two = typeActa(random, truth, TYPING_ERROR_RATE);
    const t1 = arrivedAt + random.int(1, 12) * MINUTE;
    const t2 = t1 + random.int(1, 12) * MINUTE;
    events.push({
      at: t1,
      kind: 'capture',
      recordId,
      operatorId: operator('capturista', first),
      fields: one,
      truth,
    });
    events.push({
      at: t2,
      kind: 'capture',
      recordId,
      operatorId: operator('capturista', second),
      fields: two,
      truth,
    });
    if (JSON.stringify(one) !== JSON.stringify(two))
      events.push({
        at: t2 + random.int(2, 15) * MINUTE,
        kind: 'resolve',
        recordId,
        verifierId: operator('verificador', random.int(1, VERIFIERS)),
        fields: truth,
      });
    else if (random.chance(0.01))
      events.push({
        at: t2 + random.int(30, 240) * MINUTE,
        kind: 'cotejo',
        recordId,
        reviewerId: operator('cotejo', random.int(1, 3)),
        decision: 'accept',
      });
  };

  for (const contest of election.contests) {
    const esperadas = [...index.esperadas(contest.id).values()];
    for (const esperada of esperadas) {
      const random = root.fork(`${contest.id}:${esperada.actaKey}`);
      const hours = sampleArrivalHours(random);
      if (hours === null) {
        if (random.chance(SIN_ACTA_SHARE_OF_MISSING))
          events.push({
            at: start + random.int(6 * 60, 22 * 60) * MINUTE,
            kind: 'sin-acta',
            contest: contest.id,
            actaKey: esperada.actaKey,
            reason: random.pick(SIN_ACTA_REASONS),
          });
        continue;
      }
      const arrivedAt = start + Math.round(hours * 60) * MINUTE;
      const phone = random.chance(0.55);
      const truth = trueActaFields({
        random,
        casilla: esperada.casilla,
        columns: applicableColumns(contest, esperada.casilla),
      });
      const sheet = actaContent(catalog, contest, esperada, truth);
      events.push({
        at: arrivedAt,
        kind: 'submit',
        contest: contest.id,
        claimedKey: esperada.actaKey,
        imageSha256: imageHash(`${contest.id}:${esperada.actaKey}`),
        sheet,
        origin: phone ? 'CASILLA' : 'CATD',
        digitization: phone ? 'MOVIL' : 'ESCANER',
        documentType: random.chance(0.97) ? 'ACTA_PREP' : 'COPIA_PE',
        source: phone
          ? `cae-${esperada.casilla.distrito}`
          : `catd-${esperada.casilla.entidad}-${esperada.casilla.distrito}`,
      });
      captureEvents(random, esperada.actaKey, truth, arrivedAt);
      // Later, the scanner sends the same acta again: the first image stays the image of record.
      if (phone && random.chance(0.1))
        events.push({
          at: arrivedAt + random.int(30, 300) * MINUTE,
          kind: 'submit',
          contest: contest.id,
          claimedKey: esperada.actaKey,
          imageSha256: imageHash(`${contest.id}:${esperada.actaKey}:scan`),
          sheet,
          origin: 'CATD',
          digitization: 'ESCANER',
          documentType: 'ACTA_PREP',
          source: `catd-${esperada.casilla.entidad}-${esperada.casilla.distrito}`,
        });
    }
    // Actas whose identification matches no approved casilla: fuera de catálogo.
    const fuera = Math.round(esperadas.length * FUERA_DE_CATALOGO_SHARE);
    for (let i = 0; i < fuera; i++) {
      const random = root.fork(`${contest.id}:fuera:${i}`);
      const template = random.pick(esperadas);
      const claimedKey = fueraKey(template.casilla, template.tipoActa, i);
      const hours = sampleArrivalHours(random) ?? 23;
      const arrivedAt = start + Math.round(hours * 60) * MINUTE;
      const truth = trueActaFields({ random, casilla: template.casilla, columns: contest.columns });
      events.push({
        at: arrivedAt,
        kind: 'submit',
        contest: contest.id,
        claimedKey,
        imageSha256: imageHash(`${contest.id}:fuera:${i}`),
        // The sheet of the casilla it copies, under the key that names no approved casilla.
        sheet: { ...actaContent(catalog, contest, template, truth), actaKey: claimedKey },
        origin: 'CATD',
        digitization: 'ESCANER',
        documentType: 'ACTA_PREP',
        source: `catd-${template.casilla.entidad}-${template.casilla.distrito}`,
      });
      captureEvents(random, `FC:${contest.id}:${claimedKey}`, truth, arrivedAt);
    }
  }
  // Stable order: by time, then as planned.
  return events
    .map((event, i) => ({ event, i }))
    .sort((a, b) => a.event.at - b.event.at || a.i - b.i)
    .map((x) => x.event);
}

/**
 * A key that parses but names no approved casilla (a sección number the catalog does not have),
 * or one that does not parse at all (an unreadable label). Unique per contest and index.
 */
function fueraKey(casilla: Casilla, tipoActa: string, i: number): string {
  const entidad = String(casilla.entidad).padStart(2, '0');
  if (i % 5 === 4) return `${entidad}?${String(i).padStart(4, '0')}${casilla.tipo}${tipoActa}`;
  return `${entidad}${String(9000 + (i % 1000)).padStart(4, '0')}${casilla.tipo}0100${tipoActa}`;
}

/** The demo's images: the pool's stamped forms, stored in the center's image store. */
interface DemoImages {
  readonly blobs: BlobStore;
  readonly pool: ActaPool;
}

/**
 * The image a submission carries: its acta stamped on a pooled form (a phone's JPEG or a
 * scanner's PNG, deterministic from the seed), hashed and put in the center's image store before
 * it is registered, as intake does — the hash registered is the hash of the bytes stored.
 */
async function submittedImage(
  event: Extract<DemoEvent, { kind: 'submit' }>,
  images: DemoImages | null,
  seed: number,
): Promise<string> {
  if (images === null) return event.imageSha256;
  const rendered = await images.pool.render(
    event.sheet,
    seed,
    event.digitization === 'MOVIL' ? 'phone' : 'scanner',
  );
  const sha256 = createHash('sha256').update(rendered.bytes).digest('hex');
  const stored = await images.blobs.put(
    { sha256, kind: rendered.format === 'jpeg' ? 'jpg' : 'png' },
    { data: rendered.bytes },
  );
  if (!stored.ok) throw new Error(`the demo's image store refused an image: ${stored.message}`);
  return sha256;
}

async function applyEvent(
  node: CenterNode,
  event: DemoEvent,
  image: Promise<string> | null,
  people: PeopleAtTheConsole | null,
  reader: DemoReader | null = null,
): Promise<string | null> {
  const p = node.pipeline;
  switch (event.kind) {
    case 'submit': {
      const r = await p.registerSubmission({
        contest: event.contest,
        claimedKey: event.claimedKey,
        imageSha256: image === null ? event.imageSha256 : await image,
        origin: event.origin,
        digitization: event.digitization,
        documentType: event.documentType,
        transfer: null,
        acopioAt: event.at,
        source: event.source,
      });
      if (r.ok && r.value.outcome === 'registered' && reader !== null && image !== null)
        await reader.arrived(r.value.recordId, await image, event.sheet);
      return r.ok ? null : r.message;
    }
    case 'capture': {
      const capture = async (): Promise<string | null> => {
        // Beside the console, people may hold this acta or have it left to them.
        if (people !== null) return people.capture(event);
        const r = await p.recordCapture({
          recordId: event.recordId,
          operatorId: event.operatorId,
          fields: event.fields,
        });
        return r.ok ? null : r.message;
      };
      return reader === null ? capture() : reader.capture(event, capture);
    }
    case 'resolve': {
      const r = await p.resolveMismatch({
        recordId: event.recordId,
        verifierId: event.verifierId,
        fields: event.fields,
      });
      return r.ok || r.code === 'not-in-mismatch' ? null : r.message;
    }
    case 'cotejo': {
      const r = await p.cotejo({
        recordId: event.recordId,
        reviewerId: event.reviewerId,
        decision: event.decision,
      });
      return r.ok ? null : r.message;
    }
    case 'sin-acta': {
      const r = await p.declareSinActa({
        contest: event.contest,
        actaKey: event.actaKey,
        reason: event.reason,
        operatorId: 'coordinador-01',
      });
      return r.ok || r.code === 'has-submission' ? null : r.message;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface DemoSummary {
  readonly cuts: number;
  readonly verified: number;
  readonly failedVerifications: number;
  readonly server: Server | null;
  /** Stops the servers and closes the store (the console needs it open while it serves). */
  readonly close: () => Promise<void>;
}

/** Submissions whose images are being stamped and stored ahead of the journal. */
const IMAGES_AHEAD = 4;
/** Where, in the data folder, the demo keeps the blank forms its images are stamped on. */
const DEMO_FORMS = 'demo-forms';

/** CAE areas of the demo: this many casillas each, within one distrito. */
const DEMO_CASILLAS_PER_CAE = 6;

/**
 * The demo's territory (docs/demo.md): a CATD per distrito, `CATD-EE-DDD`, and a CAE per six
 * casillas of a distrito, `CAE-EE-DDD-NN` (numbered within the distrito).
 */
export function demoTerritory(catalog: Catalog): TerritoryRow[] {
  const rows: TerritoryRow[] = [];
  const perDistrito = new Map<string, number>();
  for (const d of catalog.distritos)
    rows.push({
      unit: `CATD-${distritoKey(d.entidad, d.id)}`,
      unitKind: 'CATD',
      areaKind: 'distrito',
      area: distritoKey(d.entidad, d.id),
    });
  for (const c of catalog.casillas) {
    const key = distritoKey(c.entidad, c.distrito);
    const index = perDistrito.get(key) ?? 0;
    perDistrito.set(key, index + 1);
    const cae = String(Math.floor(index / DEMO_CASILLAS_PER_CAE) + 1).padStart(2, '0');
    rows.push({ unit: `CAE-${key}-${cae}`, unitKind: 'CAE', areaKind: 'casilla', area: c.key });
  }
  return rows;
}

/** The demo's operators, one of each role a person would try in the console. */
const DEMO_OPERATORS = [
  ['demo.captura1', 'capturista'],
  ['demo.captura2', 'capturista'],
  ['demo.verifica', 'verificador'],
  ['demo.coordina', 'coordinador'],
] as const;
export const DEMO_PASSWORD = 'simulacro de la noche electoral';

/**
 * The operators' console beside the demo (docs/console.md): `openprep serve`'s API and console on
 * the next port, over the demo's own center, with demo accounts made on the first run. Their
 * second factor is a TOTP seed, written with the password to a file in the demo's data folder:
 * a drill on one's own machine, never an election. Sessions and codes run on the real clock;
 * the actas on the night's.
 */
async function startDemoConsole(
  node: CenterNode,
  root: string,
  port: number,
  log: (line: string) => void,
  people: PeopleAtTheConsole,
  consoleDir: string | undefined,
): Promise<ServerHandle> {
  const center = await buildServer({
    node,
    // The person at the console and the demo's witnesses all come from 127.0.0.1, and a fast
    // night's witnesses read the center at every cut: ten times serve's default rate.
    // The acta reader off: reading is ~0.2 s of CPU an acta (npm run bench -- reader), and the
    // default night's 20,664 actas would take ~66 CPU-minutes on top of its ~11 (docs/reader.md).
    config: serveConfigSchema.parse({
      logLevel: 'silent',
      port,
      rateLimitPerMinute: 6000,
      reader: { mode: 'off' },
    }),
    clock: Date.now,
    ...(consoleDir === undefined ? {} : { consoleDir }),
  });
  // Someone who captures is about: the simulated capturistas leave them a share (people.ts).
  center.app.addHook('onResponse', async (request) => {
    const role = request.auth?.operator.role;
    if (role === 'capturista' || role === 'coordinador') people.seen();
  });
  await center.app.listen({ host: '127.0.0.1', port });
  const file = demoAccountsFile(root);
  const lines: string[] = [];
  for (const [username, role] of DEMO_OPERATORS) {
    const added = await center.accounts.addOperator({
      username,
      name: username,
      role,
      scope: 'nacional',
      password: DEMO_PASSWORD,
      expiresAt: null,
      by: 'demo',
    });
    if (added.ok)
      lines.push(`${username} (${role}): TOTP ${added.value.totpSecret} — ${added.value.totpUri}`);
  }
  if (lines.length > 0)
    await writeFile(
      file,
      `Consola de la demostración (SIMULACRO): http://localhost:${port}/consola/\n` +
        `Contraseña de todas las cuentas: ${DEMO_PASSWORD}\n` +
        `Código de 6 dígitos: npx openprep demo code <usuario> --data ${root}, o agregue la semilla TOTP a su aplicación de autenticación (o: oathtool --totp -b <semilla>)\n\n` +
        `${lines.join('\n')}\n`,
      { mode: 0o600 },
    );
  for (const line of await consoleHowTo({ port, root, password: DEMO_PASSWORD, every: people.every }))
    log(line);
  return center;
}

export async function runDemo(options: DemoOptions): Promise<Result<DemoSummary, string>> {
  const paths = dataPaths(options.root);
  // The demo is the embedded default: its --reset deletes a folder, which a database is not.
  if (storeLocation(paths.database).kind !== 'sqlite')
    return err('demo-needs-sqlite', 'the demo runs on the embedded SQLite store: unset DATABASE_URL');
  if (options.reset) await rm(paths.root, { recursive: true, force: true });
  let simulatedNow = 0;
  const clock = () => simulatedNow;
  let node: CenterNode;
  if (await pathExists(paths.database)) {
    // A person's hold on an acta runs on the wall clock, not on the night's fast one.
    const opened = await openCenter({ root: paths.root, clock, claimClock: Date.now });
    if (!opened.ok) return err(opened.code, opened.message);
    node = opened.value;
    options.log(`Continuing the demo in ${paths.root} (use --reset to start over).`);
  } else {
    const catalog = generateCatalog({ scale: options.scale, seed: options.seed });
    const witnessed = (options.witnesses ?? options.serve) && options.serve;
    const election = {
      ...defaultElectionDefinition(catalog, { mode: 'simulacro' }),
      ...(witnessed ? { witnesses: await makeDemoWitnesses(paths.root) } : {}),
      ...(options.readerAssist === true ? { reader: DEMO_READER_POLICY } : {}),
    };
    simulatedNow = Date.parse(election.publicationStart) - 2 * 60 * MINUTE;
    const created = await initCenter({ root: paths.root, election, catalog, clock, claimClock: Date.now });
    if (!created.ok) return err(created.code, created.message);
    node = created.value;
    // So that a phone or scanner enrolled in the demo has a territory to send from.
    await declareTerritory(node.devices, territoryOf(demoTerritory(catalog)), clock());
    options.log(
      `New demo in ${paths.root}: ${catalog.casillas.length} casillas, ${catalog.distritos.length} distritos, election ${election.id} (SIMULACRO).`,
    );
  }
  let server: Server | null = null;
  let center: ServerHandle | null = null;
  // Beside the console, people capture too (people.ts).
  const people = options.serve
    ? new PeopleAtTheConsole({
        pipeline: node.pipeline,
        records: node.records,
        every: options.peopleEvery ?? 3,
        now: Date.now,
      })
    : null;
  let handedOver = false;
  try {
    const { election } = node.pipeline;
    const offset = election.utcOffsetMinutes;
    const start = Date.parse(election.publicationStart);
    const close = node.pipeline.closesAt;
    const events = planNight(node, options.seed);
    // The center's own image store (the data folder's images/), as `serve` keeps it; the forms
    // the images are stamped on are kept beside it, made once.
    let blobs: BlobStore | null = null;
    let images: DemoImages | null = null;
    if (options.images ?? true) {
      const store = await openImageStore(path.join(paths.root, 'images'), { store: 'folder' });
      await store.init();
      blobs = store.blobs;
      images = { blobs, pool: createActaPool(path.join(paths.root, DEMO_FORMS)) };
    }
    // An election in assist: the demo reads each acta itself, as the reading service will.
    let reader: DemoReader | null = null;
    if (election.reader?.mode === 'assist' && blobs !== null) {
      const made = DemoReader.create({ pipeline: node.pipeline, records: node.records, blobs });
      if (typeof made === 'string') return err('reader-unavailable', made);
      reader = made;
    }
    const publicImages = new Set<string>();
    const cuts = await node.journal.cuts();
    const last = cuts.at(-1) ?? null;
    if (last?.final === true) {
      options.log(`This night is over: the final cut ${last.id} is published.`);
    }
    options.log(`Public key of this election: ${node.verifierKey}`);
    options.log(`  (also in ${path.join(paths.keys, `${node.signer.name}.pub`)})`);
    if (options.serve) {
      const site = (await pathExists(path.join(DEFAULT_SITE_OUT, 'index.html')))
        ? DEFAULT_SITE_OUT
        : undefined;
      server = await startCutServer({
        root: paths.cuts,
        ...(site === undefined ? {} : { site }),
        port: options.port,
      });
      options.log(
        site === undefined
          ? `Serving the cuts at http://127.0.0.1:${options.port}/ (the public site is not built: npm run build)`
          : `Serving the public site and the cuts at http://127.0.0.1:${options.port}/`,
      );
      center = await startDemoConsole(
        node,
        paths.root,
        options.port + 1,
        options.log,
        people!,
        options.consoleDir,
      );
    }
    // The witnesses read the console's center, the only HTTP center the demo runs.
    let witnesses: DemoWitnesses | null = null;
    if (election.witnesses !== undefined && center !== null) {
      witnesses = await openDemoWitnesses({
        root: paths.root,
        logKeyText: node.verifierKey,
        center: `http://127.0.0.1:${options.port + 1}`,
        log: options.log,
      });
      options.log(
        `Testigos de la bitácora: ${witnesses.names.join(', ')} (se requieren ${election.witnesses.required} de ${election.witnesses.keys.length}); véalos en la página de verificación del sitio.`,
      );
    } else if (election.witnesses !== undefined)
      options.log(
        `Esta elección nombra testigos, pero sin servir no hay centro que lean: cada corte los espera ${election.witnesses.waitSeconds} s y no pasa V05.`,
      );
    const resumeAfter = last?.cutTime ?? Number.NEGATIVE_INFINITY;
    let nextCut = last === null ? start : last.cutTime + options.cutEvery * MINUTE;
    let eventIndex = events.findIndex((e) => e.at > resumeAfter);
    if (eventIndex < 0) eventIndex = events.length;
    let previousFolder = last === null ? null : path.join(paths.cuts, last.id);
    let verified = 0;
    let failed = 0;
    let published = 0;
    const errors = new Map<string, number>();
    // Progress: actas esperadas received so far, of all the contests' actas esperadas.
    const index = new ActaIndex(node.pipeline.catalog, election);
    const expected = election.contests.reduce((n, c) => n + index.esperadas(c.id).size, 0);
    const received = new Set<string>();
    const receive = (event: DemoEvent) => {
      if (event.kind === 'submit' && index.esperadas(event.contest).has(event.claimedKey))
        received.add(`${event.contest}:${event.claimedKey}`);
    };
    for (const event of events.slice(0, eventIndex)) receive(event);
    const localMinute = (t: number) => formatActaTimestamp(t, offset).slice(0, 16).replace('T', ' ');
    let shares = { captured: '0.0000', counted: '0.0000' };
    const showProgress = (at: number) =>
      options.progress?.({
        simulatedTime: localMinute(at),
        simulatedMinutes: Math.max(0, Math.round((at - start) / MINUTE)),
        nightMinutes: Math.round((close - start) / MINUTE),
        received: received.size,
        expected,
        ...shares,
        cuts: cuts.length + published,
        totalCuts: Math.ceil((close - start) / (options.cutEvery * MINUTE)) + 1,
      });
    // Images are stamped and stored a few submissions ahead, on libuv's threads, while the
    // journal takes the events in order.
    const pending = new Map<number, Promise<string>>();
    let ahead = eventIndex;
    const prefetch = (until: number) => {
      for (; ahead < events.length && events[ahead]!.at <= until && pending.size < IMAGES_AHEAD; ahead++) {
        const event = events[ahead]!;
        if (event.kind !== 'submit' || images === null) continue;
        const image = submittedImage(event, images, options.seed);
        image.catch(() => {}); // awaited, and thrown, in order below
        pending.set(ahead, image);
      }
    };
    let stopped = false;
    // A function, so that the compiler does not take the loop's test as settling it.
    const aborted = () => options.signal?.aborted === true;
    showProgress(nextCut - options.cutEvery * MINUTE);
    while (last?.final !== true && nextCut <= close && options.signal?.aborted !== true) {
      const realStart = performance.now();
      let reported = performance.now();
      while (eventIndex < events.length && events[eventIndex]!.at <= nextCut) {
        // Ctrl-C: the event in hand is whole in the journal; the rest of the window is played
        // again (every step is idempotent) when the demo is started again.
        if (aborted()) {
          stopped = true;
          break;
        }
        const event = events[eventIndex]!;
        prefetch(nextCut);
        simulatedNow = event.at;
        const image =
          event.kind === 'submit' && images !== null
            ? (pending.get(eventIndex) ?? submittedImage(event, images, options.seed))
            : null;
        const problem = await applyEvent(node, event, image, people, reader);
        pending.delete(eventIndex);
        if (problem !== null) errors.set(problem, (errors.get(problem) ?? 0) + 1);
        receive(event);
        eventIndex++;
        if (performance.now() - reported > 250) {
          reported = performance.now();
          showProgress(event.at);
        }
      }
      if (stopped) {
        await Promise.allSettled(pending.values());
        options.log(
          `Stopped at ${localMinute(simulatedNow)} (simulated), before the cut of ${localMinute(nextCut)}: everything until then is in the journal.`,
        );
        break;
      }
      simulatedNow = nextCut;
      const isFinal = nextCut >= close;
      await people?.settle(isFinal);
      await reader?.score();
      let looked = false;
      const cut = await publishCut(node, {
        cutTime: nextCut,
        final: isFinal,
        ...(blobs === null ? {} : { images: { blobs, known: publicImages } }),
        // While the cut waits for its witnesses, they look at the center (demo_witnesses.ts).
        ...(witnesses === null
          ? {}
          : {
              witnessWait: {
                pollMs: 20,
                sleep: async (ms: number) => {
                  await witnesses.look(looked);
                  looked = true;
                  await sleep(Math.min(ms, 20));
                },
              },
            }),
      });
      if (!cut.ok) return err(cut.code, `cut at ${formatActaTimestamp(nextCut, offset)}: ${cut.message}`);
      published++;
      const report = await verifyCut({
        cut: cut.value.folder,
        publicKey: node.verifierKey,
        ...(previousFolder !== null ? { previous: previousFolder } : {}),
      });
      if (report.ok) verified++;
      else {
        failed++;
        options.log(formatReport(report));
      }
      const summary = JSON.parse(
        await readFile(
          path.join(cut.value.folder, 'json', election.contests[0]!.id, 'nacional.json'),
          'utf8',
        ),
      ) as { aggregates: Record<string, string | number> };
      const a = summary.aggregates;
      const cosigned = cut.value.witnesses;
      shares = {
        captured: String(a['PORCENTAJE_ACTAS_CAPTURADAS']),
        counted: String(a['PORCENTAJE_ACTAS_CONTABILIZADAS']),
      };
      options.log(
        `[${formatActaTimestamp(nextCut, offset).slice(0, 16)}] corte ${cut.value.id} #${cut.value.sequence}${cut.value.final ? ' FINAL' : ''}` +
          ` · ${election.contests[0]!.id} capturadas ${a['PORCENTAJE_ACTAS_CAPTURADAS']}% contabilizadas ${a['PORCENTAJE_ACTAS_CONTABILIZADAS']}%` +
          ` participación ${a['PORCENTAJE_PARTICIPACION_CIUDADANA']}% · bitácora ${cut.value.journalSize}` +
          (cosigned === null
            ? ''
            : ` · cofirmado por ${cosigned.cosigners.length} testigo${cosigned.cosigners.length === 1 ? '' : 's'} (se requieren ${cosigned.required})`) +
          ` · ${report.ok ? 'verificado' : 'VERIFICACIÓN FALLIDA'} (${cut.value.seconds.toFixed(2)} s)`,
      );
      previousFolder = cut.value.folder;
      showProgress(nextCut);
      if (isFinal) break;
      nextCut += options.cutEvery * MINUTE;
      if (options.speed > 0 && !options.untilClose) {
        const budget = (options.cutEvery / options.speed) * 1000;
        const spent = performance.now() - realStart;
        if (spent < budget) await sleep(budget - spent, options.signal);
      }
    }
    // Stopped mid-night: what waited for people is done now, so no acta is left half captured.
    if (options.signal?.aborted === true) await people?.settle(true);
    for (const [problem, count] of errors) options.log(`note: ${count} × ${problem}`);
    if (reader !== null) options.log(formatReaderNight(await reader.night()));
    const serving = { server, center };
    // Serving, the store stays open for the console until the caller closes; otherwise it closes now.
    handedOver = options.serve;
    return ok({
      cuts: published,
      verified,
      failedVerifications: failed,
      server: serving.server,
      close: async () => {
        if (!handedOver) return;
        serving.server?.close();
        await serving.center?.app.close();
        await node.close();
      },
    });
  } finally {
    // A night that failed or threw closes everything here; a finished one hands it to the caller.
    if (!handedOver) {
      server?.close();
      await center?.app.close();
      await node.close();
    }
  }
}
