/**
 * The command table of `openprep`: each command's name, options (with their checks, defaults
 * and help lines), examples, and the module that runs it. The parser and `--help` both read
 * these definitions. Each command's module is imported only when it runs, so `--help`,
 * `--version` and a mistyped command answer at once.
 */
import process from 'node:process';
import { z } from 'zod';
import { defaultDataDir } from '../center/data_dir.ts';
import { SECURITY_DETECTIONS } from '../journal/entry_types.ts';
import { flag, type OptionDefs, repeated, seedOption, valued } from './args.ts';

export interface Command<O extends OptionDefs = OptionDefs> {
  readonly name: string;
  readonly summary: string;
  /** The positional arguments, for the usage line, e.g. `<FILE.csv>`. */
  readonly arguments?: string;
  readonly options: O;
  /** Whole command lines, each runnable as written (after `openprep`). */
  readonly examples: readonly string[];
  readonly run: (args: readonly string[]) => Promise<number>;
}

const command = <O extends OptionDefs>(definition: Command<O>): Command<O> => definition;

// Options several commands share.
const data = valued(
  'DIR',
  z.string().min(1).default(defaultDataDir()),
  "the center's data folder (OPENPREP_DATA)",
);
const agentData = valued('DIR', z.string().min(1), "the agent's folder");
const config = valued(
  'FILE',
  z.string().min(1).optional(),
  "serve's configuration file (JSON); the environment and flags override it",
);
const simulatedStart = valued(
  'ISO',
  z.iso.datetime({ offset: true }).optional(),
  "a drill's start on its simulated clock (e.g. 2024-06-02T21:00:00-06:00), recorded in the store for every command of the drill",
);
const json = flag('print JSON instead of lines');
const seed = valued('N', seedOption, 'the seed: the same seed gives the same output');
const share = (byDefault: number) => z.coerce.number().min(0).max(1).default(byDefault);

export const demo = command({
  name: 'demo',
  summary: 'play an election night in accelerated time and serve its cuts (npm start)',
  options: {
    scale: valued(
      'tiny|state',
      z.enum(['tiny', 'state']).default('state'),
      'tiny: 40 casillas; state: 7,000 casillas',
    ),
    seed,
    data,
    'until-close': flag('run the night as fast as possible and exit after the final cut'),
    'no-serve': flag('do not serve the site, the cuts or the console over HTTP'),
    'no-images': flag('do not render acta images (faster)'),
    port: valued(
      'N',
      z.coerce
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(Number(process.env['OPENPREP_PORT'] ?? 8080)),
      'port of the site and cuts on 127.0.0.1 (OPENPREP_PORT); the console is on N+1',
    ),
    speed: valued(
      'X',
      z.coerce.number().min(0).max(100_000).default(30),
      'simulated minutes per real second while serving',
    ),
    'cut-every': valued(
      'M',
      z.coerce.number().int().min(1).max(20).default(20),
      'simulated minutes between cuts',
    ),
    'people-every': valued(
      'N',
      z.coerce.number().int().min(0).max(1000).default(3),
      'while someone captures in the console, leave them one of the two captures of one acta in N (0: none)',
    ),
    'reader-assist': flag(
      "a new demo's election puts the acta reader in assist: it may be one of an acta's two captures once earned (docs/reader.md)",
    ),
    reset: flag('delete the data folder first'),
  },
  examples: ['demo --scale tiny --until-close --no-serve --data /tmp/prep-demo'],
  run: async (args) => (await import('./demo_command.ts')).runDemoCommand(args),
});

export const demoCode = command({
  name: 'demo code',
  summary: "print a demo account's current 6-digit sign-in code (the seeds are in the demo's data folder)",
  arguments: '[USERNAME]',
  options: { data },
  examples: ['demo code demo.captura1', 'demo code demo.verifica --data /tmp/prep-demo'],
  run: async (args) => (await import('./demo_code_command.ts')).runDemoCode(args),
});

const initOptions = {
  data,
  catalog: valued('FILE', z.string().min(1).optional(), 'the casilla catalog CSV to import'),
  election: valued(
    'FILE',
    z.string().min(1).optional(),
    'the election definition (JSON); the INE 2024 federal election by default',
  ),
  mode: valued(
    'simulacro|live',
    z.enum(['simulacro', 'live']).default('simulacro'),
    'a drill or the real night: each has its own signing key',
  ),
};

export const init = command({
  name: 'init',
  summary: 'create a data folder: store, signing key for the mode, election definition, catalog',
  options: initOptions,
  examples: ['init --data /tmp/center --catalog /tmp/catalog.csv'],
  run: async (args) => (await import('./center_commands.ts')).runInit(args),
});

export const catalogImport = command({
  name: 'catalog import',
  summary: 'import a casilla catalog CSV, all or nothing',
  arguments: '<FILE.csv>',
  options: initOptions,
  examples: ['catalog import /tmp/catalog.csv --data /tmp/center'],
  run: async (args) => (await import('./catalog_commands.ts')).runCatalogImport(args),
});

export const catalogGenerate = command({
  name: 'catalog generate',
  summary: 'write a synthetic catalog CSV (tiny, state or national), deterministic from a seed',
  options: {
    scale: valued(
      'tiny|state|national',
      z.enum(['tiny', 'state', 'national']),
      'tiny: 40 casillas; state: 7,000; national: ~170,000',
    ),
    seed,
    out: valued('FILE', z.string().min(1), 'the CSV to write'),
  },
  examples: ['catalog generate --scale state --seed 1 --out /tmp/catalog.csv'],
  run: async (args) => (await import('./catalog_commands.ts')).runCatalogGenerate(args),
});

export const simRender = command({
  name: 'sim render',
  summary: 'render synthetic actas (PNG) with their ground truth (JSON), deterministic from a seed',
  options: {
    count: valued('N', z.coerce.number().int().min(1).max(100_000).default(20), 'how many actas'),
    seed,
    out: valued('DIR', z.string().min(1), 'the folder to write the images and JSON to'),
    scale: valued(
      'tiny|state',
      z.enum(['tiny', 'state']).default('tiny'),
      'the synthetic catalog the actas belong to',
    ),
    'phone-share': valued(
      'SHARE',
      share(0.55),
      'share photographed by a phone (JPEG); the rest scanned (PNG)',
    ),
    defective: valued('SHARE', share(0.12), 'share with a labelled defect (blur, glare, cut off…)'),
  },
  examples: ['sim render --count 50 --seed 7 --out /tmp/actas'],
  run: async (args) => (await import('./sim_commands.ts')).runSimRender(args),
});

const qualitySet = {
  count: valued(
    'N',
    z.coerce.number().int().min(10).max(100_000).default(2000),
    'how many labelled actas to render and judge',
  ),
  seed,
  'phone-share': valued('SHARE', share(0.55), 'share photographed by a phone'),
  defective: valued('SHARE', share(0.12), 'share with a labelled defect'),
  'wrong-claims': valued('SHARE', share(0.05), 'share whose claimed acta key is wrong'),
  jobs: valued(
    'N',
    z.coerce.number().int().min(1).max(64).optional(),
    'worker threads (default: one per core)',
  ),
  thresholds: valued(
    'FILE',
    z.string().min(1).optional(),
    "the gate's thresholds (JSON); the reviewed src/gate/quality_thresholds.json by default",
  ),
  realistic: flag(
    'the realistic set: phone photos and CATD scans under graded conditions, labelled readable or not (--phone-share and --defective do not apply)',
  ),
};

export const qualityEvaluate = command({
  name: 'quality evaluate',
  summary: 'score the image quality gate on labelled synthetic actas (JSON; exit 1 below target)',
  options: qualitySet,
  examples: ['quality evaluate --count 200 --seed 3', 'quality evaluate --realistic --count 2000 --seed 3'],
  run: async (args) => (await import('./quality_commands.ts')).runQualityEvaluate(args),
});

export const qualityCalibrate = command({
  name: 'quality calibrate',
  summary: "propose the quality gate's thresholds from labelled synthetic actas (--write to keep them)",
  options: {
    ...qualitySet,
    write: flag('write the proposed thresholds to src/gate/quality_thresholds.json'),
  },
  examples: [
    'quality calibrate --count 2000 --seed 1',
    'quality calibrate --realistic --count 2000 --seed 11',
  ],
  run: async (args) => (await import('./quality_commands.ts')).runQualityCalibrate(args),
});

export const readerEvaluate = command({
  name: 'reader evaluate',
  summary:
    'score the acta reader (shadow mode) on realistic actas written with digits the model never saw (JSON)',
  options: {
    count: valued(
      'N',
      z.coerce.number().int().min(1).max(100_000).default(200),
      'how many actas to render and read',
    ),
    seed,
    split: valued(
      'SPLIT',
      z.enum(['test', 'train']).default('test'),
      'which handwritten digits write the actas: test (never trained on; the figures we report) or train (to choose the threshold)',
    ),
    threshold: valued(
      'P',
      z.coerce.number().min(0).max(1).optional(),
      'the confidence a reading must reach to count as confident (the reader’s own by default)',
    ),
  },
  examples: ['reader evaluate --count 200 --seed 3'],
  run: async (args) => (await import('./reader_commands.ts')).runReaderEvaluate(args),
});

export const cut = command({
  name: 'cut',
  summary: 'build and publish a signed cut now, or every N minutes with --every',
  options: {
    data,
    final: flag('the final cut: closes intake on every node'),
    every: valued(
      'MINUTES',
      z.coerce.number().int().min(1).max(20).optional(),
      'publish a cut at every multiple of this many minutes on the election clock, until the final one',
    ),
    config,
    'simulated-start': simulatedStart,
    'metrics-file': valued(
      'FILE.prom',
      z
        .string()
        .regex(/\.prom$/, 'a file name ending in .prom')
        .optional(),
      "write the scheduler's metrics (build time, leading, last published) to this file (node_exporter's textfile collector; docs/deployment.md)",
    ),
  },
  examples: ['cut --data /tmp/center', 'cut --data /tmp/center --every 5'],
  run: async (args) => (await import('./center_commands.ts')).runCut(args),
});

export const verify = command({
  name: 'verify',
  summary: 'verify a cut folder or zip; exits non-zero naming the failed check',
  arguments: '<cut folder or zip>',
  options: {
    key: valued('FILE|KEY', z.string().min(1), "the election's public key: its .pub file or the key itself"),
    previous: valued(
      'CUT',
      z.string().min(1).optional(),
      'the previous cut, to check the history continues it',
    ),
    images: valued('DIR', z.string().min(1).optional(), 'the acta images, to check their hashes'),
    catalog: valued('DIR', z.string().min(1).optional(), 'the published catalog, to check against it'),
    mode: valued('live|simulacro', z.enum(['live', 'simulacro']).optional(), 'the mode the cut must be in'),
    json,
  },
  examples: ['verify /tmp/prep-demo/cuts/<cut id> --key /tmp/prep-demo/keys/openprep.PEF2024.simulacro.pub'],
  run: async (args) => (await import('./verify_command.ts')).runVerify(args),
});

export const signer = command({
  name: 'signer',
  summary: "hold the election's signing key and sign for the nodes over a Unix socket or mutual TLS",
  options: {
    key: valued(
      'FILE',
      z.string().regex(/\.key$/, 'the key file is <key name>.key, e.g. openprep.PEF2024.live.key'),
      "the election's private key file (mode 0600), named <key name>.key",
    ),
    state: valued(
      'FILE',
      z.string().min(1).optional(),
      'where the last signed checkpoint is kept (default: signer-state.json beside the key)',
    ),
    socket: valued(
      'PATH',
      z.string().min(1).optional(),
      'the Unix socket the nodes on this machine reach it on (OPENPREP_SIGNER_SOCKET there)',
    ),
    listen: valued(
      'HOST:PORT',
      z
        .string()
        .regex(
          /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/,
          'HOST:PORT, e.g. 10.0.0.5:8443 or [::]:8443',
        )
        .optional(),
      'listen for HTTPS with client certificates, for nodes on other machines (OPENPREP_SIGNER_URL there)',
    ),
    'tls-cert': valued('FILE', z.string().min(1).optional(), "the signer's certificate, PEM (with --listen)"),
    'tls-key': valued(
      'FILE',
      z.string().min(1).optional(),
      'its private key, PEM, mode 0600 (with --listen)',
    ),
    'client-ca': valued(
      'FILE',
      z.string().min(1).optional(),
      "the CA the nodes' client certificates come from, and the only one accepted (with --listen)",
    ),
    'create-key': flag('make the key file if it is not there (a new election key)'),
    'max-certificate-hours': valued(
      'H',
      z.coerce.number().min(0.02).max(168).default(12),
      "the longest a node's receipt key is certified for",
    ),
  },
  examples: [
    'signer --key /var/lib/openprep-signer/openprep.PEF2024.live.key --socket /run/openprep-signer/signer.sock',
    'signer --key /var/lib/openprep-signer/openprep.PEF2024.live.key --listen 10.0.0.5:8443 --tls-cert /etc/openprep-signer/signer.crt --tls-key /etc/openprep-signer/signer.key --client-ca /etc/openprep-signer/nodes-ca.crt',
  ],
  run: async (args) => (await import('./signer_command.ts')).runSigner(args),
});

export const signerBackup = command({
  name: 'signer backup',
  summary: "split the election's private key into shares for custodians, any K of which rebuild it",
  options: {
    key: valued(
      'FILE',
      z.string().regex(/\.key$/, 'the key file is <key name>.key'),
      "the election's private key file",
    ),
    shares: valued('N', z.coerce.number().int().min(2).max(255), 'how many shares (one per custodian)'),
    threshold: valued('K', z.coerce.number().int().min(2).max(255), 'how many shares rebuild the key'),
    out: valued('DIR', z.string().min(1), 'the folder the share files are written to (made if missing)'),
  },
  examples: [
    'signer backup --key /var/lib/openprep-signer/openprep.PEF2024.live.key --shares 5 --threshold 3 --out /media/backup',
  ],
  run: async (args) => (await import('./signer_backup_command.ts')).runSignerBackup(args),
});

export const signerRecover = command({
  name: 'signer recover',
  summary: "rebuild the election's private key from its custodians' shares",
  options: {
    shares: valued('FILE…', z.string().min(1), 'the share files (this option and the arguments after it)'),
    out: valued(
      'FILE',
      z.string().regex(/\.key$/, 'the key file is <key name>.key'),
      'where to write the key (mode 0600; must not exist)',
    ),
  },
  arguments: '[FILE…]',
  examples: [
    'signer recover --shares share-1.json share-3.json share-4.json --out /var/lib/openprep-signer/openprep.PEF2024.live.key',
  ],
  run: async (args) => (await import('./signer_backup_command.ts')).runSignerRecover(args),
});

export const serve = command({
  name: 'serve',
  summary: 'run the center online: signed package intake over HTTP, health, checkpoints',
  options: {
    data,
    config,
    host: valued(
      'HOST',
      z.string().min(1).optional(),
      'address to listen on (default 127.0.0.1, OPENPREP_HOST)',
    ),
    port: valued(
      'N',
      z.coerce.number().int().min(0).max(65_535).optional(),
      'port to listen on (default 8090, OPENPREP_PORT)',
    ),
    'simulated-start': simulatedStart,
  },
  examples: ['serve --data /tmp/center --simulated-start 2024-06-02T21:00:00-06:00'],
  run: async (args) => (await import('./serve_command.ts')).runServe(args),
});

export const alertTest = command({
  name: 'alert test',
  summary:
    "send a synthetic security alert, marked as a test, to serve's configured webhook and syslog collector and say what happened",
  options: {
    data,
    config,
    detection: valued(
      'NAME',
      z.enum(SECURITY_DETECTIONS).default('brute-force'),
      `the detection the test alert names: ${SECURITY_DETECTIONS.join(', ')}`,
    ),
    severity: valued(
      'LEVEL',
      z.enum(['warning', 'high', 'critical']).default('warning'),
      'warning, high or critical (syslog severity 4, 3 or 2)',
    ),
    wait: valued(
      'SECONDS',
      z.coerce.number().min(1).max(600).default(30),
      'how long to keep trying before reporting a sink as failed',
    ),
  },
  examples: [
    'alert test --data /var/lib/openprep',
    'alert test --data /tmp/center --detection decoy-used --severity critical --wait 10',
  ],
  run: async (args) => (await import('./alert_command.ts')).runAlertTest(args),
});

export const deviceEnroll = command({
  name: 'device enroll',
  summary: 'enrol a phone or scanner with its Ed25519 public key, bound to a CATD or CAE',
  options: {
    data,
    id: valued('ID', z.string().min(1), "the device's id"),
    origin: valued('CASILLA|CATD', z.enum(['CASILLA', 'CATD']), 'a phone at a casilla, or a CATD scanner'),
    'bound-to': valued('UNIT', z.string().min(1).max(64), 'the CATD or CAE it serves'),
    label: valued('TEXT', z.string().max(200).default(''), 'a note for people'),
    'public-key': valued(
      'BASE64',
      z.string().min(1).optional(),
      "the device's Ed25519 public key (or --generate-key)",
    ),
    'generate-key': valued(
      'FILE',
      z.string().min(1).optional(),
      'make a key pair here, the private half to FILE (drills and tests)',
    ),
  },
  examples: [
    'device enroll --data /tmp/center --id CATD-01-S1 --origin CATD --bound-to CATD-01 --generate-key /tmp/s1.key',
  ],
  run: async (args) => (await import('./device_commands.ts')).runDeviceEnroll(args),
});

export const territoryImport = command({
  name: 'territory import',
  summary: 'declare which distritos or casillas each CATD and CAE serves (CSV, all or nothing)',
  arguments: '<FILE.csv>',
  options: { data },
  examples: ['territory import /tmp/territorio.csv --data /tmp/center'],
  run: async (args) => (await import('./territory_commands.ts')).runTerritoryImport(args),
});

export const territoryList = command({
  name: 'territory list',
  summary: 'list the declared territory: each CATD or CAE and its distritos or casillas',
  options: { data, json },
  examples: ['territory list --data /tmp/center --json'],
  run: async (args) => (await import('./territory_commands.ts')).runTerritoryList(args),
});

export const deviceList = command({
  name: 'device list',
  summary: 'list enrolled devices and whether they are revoked',
  options: { data, json },
  examples: ['device list --data /tmp/center'],
  run: async (args) => (await import('./device_commands.ts')).runDeviceList(args),
});

export const deviceRevoke = command({
  name: 'device revoke',
  summary: 'revoke a device: its next package is refused',
  options: {
    data,
    id: valued('ID', z.string().min(1), "the device's id"),
    reason: valued('TEXT', z.string().min(1).max(500), 'why, for the record'),
  },
  examples: ['device revoke --data /tmp/center --id CATD-01-S1 --reason "scanner stolen"'],
  run: async (args) => (await import('./device_commands.ts')).runDeviceRevoke(args),
});

const username = valued('USER', z.string().min(1), "the operator's user name");

export const operatorAdd = command({
  name: 'operator add',
  summary: 'create an operator account (password on stdin); prints the TOTP enrolment URI once',
  options: {
    data,
    username,
    name: valued('NAME', z.string().min(1).max(200), "the person's full name"),
    role: valued(
      'ROLE',
      z.string().min(1),
      'acopio, capturista, verificador, coordinador, administrador, publicador or auditor',
    ),
    scope: valued('SCOPE', z.string().min(1).default('nacional'), 'nacional, entidad:NN or catd:ID'),
    expires: valued('ISO', z.iso.datetime({ offset: true }).optional(), 'when the account stops working'),
    'password-stdin': flag(
      'read the password from standard input (never from the command line, where ps and shell history keep it)',
      z.literal(true, { message: 'give the password on standard input with --password-stdin' }),
    ),
  },
  examples: [
    "printf '%s\\n' 'una frase larga' | openprep operator add --data /tmp/center --username ana.lopez --name \"Ana López\" --role capturista --scope catd:CATD-01 --password-stdin",
  ],
  run: async (args) => (await import('./operator_commands.ts')).runOperatorAdd(args),
});

export const operatorList = command({
  name: 'operator list',
  summary: 'list operator accounts, their roles, scopes and state',
  options: { data },
  examples: ['operator list --data /tmp/center'],
  run: async (args) => (await import('./operator_commands.ts')).runOperatorList(args),
});

export const operatorEnrollTotp = command({
  name: 'operator enroll-totp',
  summary: 'give an operator a new TOTP seed (after a purge); revokes the old one and their sessions',
  options: { data, username },
  examples: ['operator enroll-totp --data /tmp/center --username ana.lopez'],
  run: async (args) => (await import('./operator_commands.ts')).runOperatorEnrollTotp(args),
});

export const operatorRecertify = command({
  name: 'operator recertify',
  summary: 'certify an operator account for this election (accounts from an earlier one cannot sign in)',
  options: { data, username },
  examples: ['operator recertify --data /tmp/center --username ana.lopez'],
  run: async (args) => (await import('./operator_commands.ts')).runOperatorRecertify(args),
});

export const operatorPassword = command({
  name: 'operator password',
  summary:
    "set an operator's password (on stdin): checked like any new one; ends their sessions, and they must change it at next sign-in",
  options: {
    data,
    username,
    'password-stdin': flag(
      'read the new password from standard input (never from the command line, where ps and shell history keep it)',
      z.literal(true, { message: 'give the password on standard input with --password-stdin' }),
    ),
  },
  examples: [
    "printf '%s\\n' 'otra frase larga de entrega' | openprep operator password --data /tmp/center --username ana.lopez --password-stdin",
  ],
  run: async (args) => (await import('./operator_commands.ts')).runOperatorPassword(args),
});

const breachedPasswords = valued(
  'PATH',
  z.string().min(1).optional(),
  'the breached-password corpus: a folder of range files or one sorted SHA1:COUNT file (OPENPREP_BREACHED_PASSWORDS)',
);

export const passwordsCorpusBuild = command({
  name: 'passwords corpus',
  summary: 'build a breached-password corpus (one sorted file, or a folder of range files) from a list',
  arguments: '<LIST>',
  options: {
    from: valued(
      'passwords|hashes',
      z.enum(['passwords', 'hashes']).default('passwords'),
      'passwords: one password a line; hashes: SHA1 or SHA1:COUNT lines',
    ),
    out: valued(
      'PATH',
      z.string().min(1),
      'the corpus to write (a file; with --layout folder, a new folder)',
    ),
    layout: valued(
      'file|folder',
      z.enum(['file', 'folder']).default('file'),
      'file: SHA1:COUNT lines sorted by hash; folder: PREFIX.txt range files as HIBP serves them',
    ),
  },
  examples: [
    'passwords corpus /tmp/bloqueadas.txt --out /tmp/corpus.txt',
    'passwords corpus pwned-hashes.txt --from hashes --layout folder --out /srv/breached/',
  ],
  run: async (args) => (await import('./password_commands.ts')).runCorpusBuild(args),
});

export const passwordsRecheck = command({
  name: 'passwords recheck',
  summary:
    "compare every operator's kept password fingerprint with a breach corpus; those found must change their password",
  options: { data, corpus: breachedPasswords },
  examples: ['passwords recheck --data /tmp/center --corpus /tmp/corpus.txt'],
  run: async (args) => (await import('./password_commands.ts')).runRecheck(args),
});

export const accountsPurge = command({
  name: 'accounts purge',
  summary: 'revoke every session, second factor and device key in a scope at once',
  options: {
    data,
    scope: valued('SCOPE', z.string().min(1).default('nacional'), 'nacional, entidad:NN or catd:ID'),
    reason: valued('TEXT', z.string().min(1).max(500), 'why, for the record'),
  },
  examples: ['accounts purge --data /tmp/center --scope catd:CATD-01 --reason "laptop lost"'],
  run: async (args) => (await import('./operator_commands.ts')).runAccountsPurge(args),
});

export const accessReview = command({
  name: 'access review',
  summary:
    'the access review a recertification signs: every account and device, its factors, last use and findings; --certify signs it',
  options: {
    data,
    'dormant-days': valued(
      'N',
      z.coerce.number().int().min(1).max(3650).default(14),
      'an account or device unused for more than N days is dormant',
    ),
    scope: valued(
      'SCOPE',
      z
        .string()
        .regex(/^(nacional|entidad:[0-9]{2}|catd:[A-Za-z0-9._-]{1,64})$/, 'nacional, entidad:NN or catd:ID')
        .default('nacional'),
      "whose accounts and devices: nacional, entidad:NN or catd:ID (a reviewer's own)",
    ),
    format: valued(
      'text|json',
      z.enum(['text', 'json']).default('text'),
      'text for a person, JSON for tools',
    ),
    out: valued('FILE', z.string().min(1).optional(), 'write the report there instead of standard output'),
    certify: valued(
      'SHA256',
      z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 the report states: 64 hexadecimal digits')
        .optional(),
      'sign the review whose report had this SHA-256, if the report now is still that one (journaled)',
    ),
    by: valued('NAME', z.string().trim().min(1).max(200).optional(), 'who signs (with --certify)'),
    note: valued('TEXT', z.string().trim().min(1).max(500).optional(), 'a note kept with the signature'),
  },
  examples: [
    'access review --data /tmp/center --dormant-days 30',
    'access review --data /tmp/center --format json --out /tmp/access-review.json',
    'access review --data /tmp/center --certify 0f3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1f3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e --by "Ana López" --note "monthly review"',
  ],
  run: async (args) => (await import('./access_commands.ts')).runAccessReview(args),
});

export const decoyCreate = command({
  name: 'decoy create',
  summary:
    'make decoys no legitimate work uses: operator accounts, device keys or records; any use is journaled (DECOY_USED)',
  options: {
    data,
    kind: valued('operator|device|record', z.enum(['operator', 'device', 'record']), 'what kind of decoy'),
    count: valued('N', z.coerce.number().int().min(1).max(100).default(1), 'how many'),
    label: valued('TEXT', z.string().max(200).default(''), 'for the security team: where it is planted'),
    out: valued(
      'FILE',
      z.string().min(1).optional(),
      'device decoys: where to write the private key, to plant as bait (FILE.N when --count is more than 1)',
    ),
  },
  examples: [
    'decoy create --data /tmp/center --kind operator --label "lista de personal, carpeta compartida"',
    'decoy create --data /tmp/center --kind device --out /tmp/bait-scanner.key --label "laptop CATD-01"',
  ],
  run: async (args) => (await import('./security_commands.ts')).runDecoyCreate(args),
});

export const decoyList = command({
  name: 'decoy list',
  summary: 'list the decoys and the canaries of each export (for the security team)',
  options: { data, json },
  examples: ['decoy list --data /tmp/center'],
  run: async (args) => (await import('./security_commands.ts')).runDecoyList(args),
});

const exportOptions = {
  data,
  format: valued('csv|json', z.enum(['csv', 'json']).default('csv'), 'the file format'),
  out: valued('FILE', z.string().min(1), 'where to write it (refused if it exists)'),
  to: valued('RECIPIENT', z.string().min(1).max(200), 'who it is for, recorded with the export'),
  canaries: valued(
    'N',
    z.coerce.number().int().min(1).max(50).default(3),
    'canary rows unique to this export',
  ),
};

export const exportOperators = command({
  name: 'export operators',
  summary:
    'write the operator list to a file, with canaries unique to this export (journaled: EXPORT_ISSUED)',
  options: exportOptions,
  examples: [
    'export operators --data /tmp/center --format csv --out /tmp/operadores.csv --to "Auditoría externa"',
  ],
  run: async (args) => (await import('./security_commands.ts')).runExport('operators', args),
});

export const exportDevices = command({
  name: 'export devices',
  summary:
    'write the device inventory to a file, with canaries unique to this export (journaled: EXPORT_ISSUED)',
  options: exportOptions,
  examples: [
    'export devices --data /tmp/center --format json --out /tmp/equipos.json --to "Proveedor de escáneres"',
  ],
  run: async (args) => (await import('./security_commands.ts')).runExport('devices', args),
});

export const leakCheck = command({
  name: 'leak check',
  summary:
    'is a claimed leak ours? keyed fingerprints of internal records, canaries naming the export, public data said so',
  arguments: '<FILE>',
  options: {
    data,
    public: valued(
      'DIR',
      z.string().min(1).optional(),
      "a published cut's folder whose values are public (default: the newest in the data folder's cuts)",
    ),
    json: flag('print only the JSON report'),
  },
  examples: ['leak check /tmp/dump.csv --data /tmp/center'],
  run: async (args) => (await import('./security_commands.ts')).runLeakCheck(args),
});

export const agentInit = command({
  name: 'agent init',
  summary: "create a CATD agent folder: the device's own key and which centers to send to",
  options: {
    data: agentData,
    'device-id': valued('ID', z.string().min(1), "this device's id at the center"),
    origin: valued(
      'CASILLA|CATD',
      z.enum(['CASILLA', 'CATD']).default('CATD'),
      'what kind of device this is',
    ),
    watch: valued('DIR', z.string().min(1), "the scanner's output folder"),
    center: valued('URL', z.url(), "the center's intake URL"),
    alternate: valued('URL', z.url().optional(), 'a second center, used when the first does not answer'),
    'center-key': valued('FILE', z.string().min(1), "the election's public key file (.pub)"),
    'center-ca': valued(
      'FILE',
      z.string().min(1).optional(),
      "the CA (PEM) the centers' certificates come from: the only one trusted for them from now on (copied into the agent folder)",
    ),
    'center-pin': valued(
      'sha256/B64[,…]',
      z
        .string()
        .regex(
          /^sha256\/[A-Za-z0-9+/]{43}=(,sha256\/[A-Za-z0-9+/]{43}=)*$/,
          'sha256/ and the base64 of 32 bytes, comma-separated',
        )
        .optional(),
      "with --center-ca: the centers' public keys allowed besides (SPKI SHA-256, comma-separated)",
    ),
    'utc-offset-minutes': valued(
      'N',
      z.coerce.number().int().default(-360),
      "the local time's offset from UTC, for the times the agent writes",
    ),
  },
  examples: [
    'agent init --data /tmp/agent --device-id CATD-01-S2 --watch /tmp/scans --center http://127.0.0.1:8090 --center-key /tmp/center/keys/openprep.PEF2024.simulacro.pub',
    'agent init --data /var/lib/openprep-agent --device-id CATD-01-S2 --watch /srv/scans --center https://prep.example.mx --alternate https://prep2.example.mx --center-key /etc/openprep/openprep.PEF2024.live.pub --center-ca /etc/openprep/center-ca.crt',
  ],
  run: async (args) => (await import('./agent_commands.ts')).runAgentInit(args),
});

export const agentEnroll = command({
  name: 'agent enroll',
  summary: "enrol the agent's device at its center, as a coordinator (password and code on stdin)",
  options: {
    data: agentData,
    username: valued('USER', z.string().min(1), "the coordinator's user name"),
    'bound-to': valued('CATD', z.string().min(1).max(64), 'the CATD the device serves'),
  },
  examples: [
    "printf '%s\\n%s\\n' 'password' 123456 | openprep agent enroll --data /tmp/agent --username coordina --bound-to CATD-01",
  ],
  run: async (args) => (await import('./agent_commands.ts')).runAgentEnroll(args),
});

export const agentRun = command({
  name: 'agent run',
  summary: "watch the scanner's folder and send every acta until a receipt comes back",
  options: {
    data: agentData,
    quiet: flag('no JSON event lines on standard error'),
    'metrics-file': valued(
      'FILE.prom',
      z
        .string()
        .regex(/\.prom$/, 'a file name ending in .prom')
        .optional(),
      "write the outbox and channel metrics to this file every 2 s (node_exporter's textfile collector; docs/deployment.md)",
    ),
  },
  examples: ['agent run --data /tmp/agent'],
  run: async (args) => (await import('./agent_commands.ts')).runAgentRun(args),
});

export const agentStatus = command({
  name: 'agent status',
  summary: 'what the agent has sent, what is pending or refused, and why',
  options: { data: agentData },
  examples: ['agent status --data /tmp/agent'],
  run: async (args) => (await import('./agent_commands.ts')).runAgentStatus(args),
});

export const agentExportBundle = command({
  name: 'agent export-bundle',
  summary:
    'write the pending packages as one signed bundle file, for a USB stick (--from-leaf N: the delivered ones receipted at journal leaf N or later, after a center lost storage)',
  options: {
    data: agentData,
    out: valued('FILE', z.string().min(1), 'the bundle file to write'),
    'from-leaf': valued(
      'N',
      z.coerce.number().int().min(0).optional(),
      'instead: the delivered packages whose receipts name journal leaf N or later',
    ),
  },
  examples: ['agent export-bundle --data /tmp/agent --out /media/usb/CATD-01-S2.zip'],
  run: async (args) => (await import('./agent_commands.ts')).runAgentExportBundle(args),
});

export const bundleImport = command({
  name: 'bundle import',
  summary: "ingest a device's USB bundle at this center, all checked first; importing twice changes nothing",
  arguments: '<FILE>',
  options: {
    data,
    config,
    receipts: valued('FILE', z.string().min(1).optional(), "write each package's receipt here (JSON lines)"),
    'simulated-start': simulatedStart,
  },
  examples: ['bundle import /media/usb/CATD-01-S2.zip --data /tmp/center --receipts /tmp/receipts.jsonl'],
  run: async (args) => (await import('./agent_commands.ts')).runBundleImport(args),
});

export const drillProxy = command({
  name: 'drill proxy',
  summary: 'a fault-injecting proxy (drop, delay, duplicate, reset, lost answer…) for drills and tests',
  options: {
    target: valued('URL', z.url(), 'where requests go on to'),
    listen: valued(
      'PORT',
      z.coerce.number().int().min(0).max(65_535).default(0),
      'port to listen on (0: any free one)',
    ),
    faults: valued(
      'RATES',
      z.string().default(''),
      'fault=rate items, e.g. drop=0.1,delay=0.2 (drop, delay, duplicate, reset-mid-upload, lose-response, reorder, black-hole)',
    ),
    seed: valued('N', z.coerce.number().int().default(1), 'the same seed gives the same faults'),
    'delay-ms': valued(
      'MIN,MAX',
      z
        .string()
        .regex(/^[0-9]+,[0-9]+$/, 'MIN,MAX in milliseconds')
        .optional(),
      'how long a delayed request waits',
    ),
  },
  examples: ['drill proxy --target http://127.0.0.1:8090 --listen 8091 --faults drop=0.1,delay=0.2 --seed 7'],
  run: async (args) => (await import('./agent_commands.ts')).runDrillProxy(args),
});

export const journalVerify = command({
  name: 'journal verify',
  summary: "recompute the journal's Merkle tree and check every stored checkpoint",
  options: {
    data,
    cut: valued(
      'DIR',
      z.string().min(1).optional(),
      "also check that the journal holds this published cut's signed checkpoint as a prefix and records the cut (after a restore)",
    ),
    images: flag(
      "also read every acta image the store names from the image store (serve's configuration) and check it hashes to its name",
    ),
    config,
  },
  examples: [
    'journal verify --data /tmp/center',
    'journal verify --data /tmp/center --cut /tmp/center/cuts/20240602_2100 --images',
  ],
  run: async (args) => (await import('./center_commands.ts')).runJournalVerify(args),
});

export const schema = command({
  name: 'schema',
  summary: "this release's database schema version, the database's, and whether this release runs on it",
  options: { json },
  examples: ['schema --json'],
  run: async (args) => (await import('./center_commands.ts')).runSchema(args),
});

const releaseKeyName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key name: letters, digits, dot, dash, underscore');

export const releaseKeygen = command({
  name: 'release keygen',
  summary:
    "make a maintainer's release-signing key (Ed25519) and print its public key for deploy/release-keys.txt",
  options: {
    name: valued('NAME', releaseKeyName, "the key's name, e.g. openprep-release.<maintainer>"),
    out: valued('DIR', z.string().min(1), 'the folder <NAME>.key (mode 0600) and <NAME>.pub are written to'),
  },
  examples: ['release keygen --name openprep-release.ana --out /media/ana-keys'],
  run: async (args) => (await import('./release_commands.ts')).runReleaseKeygen(args),
});

export const releaseSign = command({
  name: 'release sign',
  summary: "add a maintainer's signature of a release manifest to its .sig file beside it",
  arguments: '<MANIFEST.json>',
  options: {
    key: valued(
      'FILE',
      z.string().regex(/\.key$/, 'the key file is <key name>.key'),
      "the maintainer's private key file",
    ),
  },
  examples: [
    'release sign release/openprep-0.1.0.manifest.json --key /media/ana-keys/openprep-release.ana.key',
  ],
  run: async (args) => (await import('./release_commands.ts')).runReleaseSign(args),
});

export const releaseVerify = command({
  name: 'release verify',
  summary:
    "check a release's maintainer signatures against the pinned keys and, for an installed release, every file",
  arguments: '<RELEASE FOLDER | MANIFEST.json>',
  options: {
    keys: valued(
      'FILE',
      z.string().min(1).optional(),
      'the pinned maintainer keys and threshold (OPENPREP_RELEASE_KEYS, else /etc/openprep/release-keys.txt)',
    ),
    json,
  },
  examples: [
    'release verify /opt/openprep',
    'release verify release/openprep-0.1.0.manifest.json --keys deploy/release-keys.txt',
  ],
  run: async (args) => (await import('./release_commands.ts')).runReleaseVerify(args),
});

export const mirror = command({
  name: 'mirror',
  summary:
    "a difusor's mirror: fetch each new cut, verify it completely, serve only what passed, compare with peers",
  arguments: '<center URL>',
  options: {
    key: valued(
      'FILE|KEY',
      z.string().min(1),
      "the election's public key (its .pub file or the key itself): the only thing the mirror trusts",
    ),
    data: valued(
      'DIR',
      z.string().min(1).default('openprep-mirror'),
      "the mirror's folder: served cuts, staging, quarantine, status",
    ),
    listen: valued(
      'HOST:PORT',
      z
        .string()
        .regex(
          /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/,
          'HOST:PORT, e.g. 0.0.0.0:8080 or [::]:8080',
        )
        .default('127.0.0.1:8080'),
      'where to serve the verified cuts and the site',
    ),
    every: valued(
      'SECONDS',
      z.coerce.number().int().min(1).max(86_400).default(30),
      'how often to poll the center and the peers',
    ),
    peer: repeated(
      'URL',
      z.array(z.string().min(1)).default([]),
      'another mirror to compare the latest cut with (also a comma-separated list)',
    ),
    site: valued(
      'DIR',
      z.string().min(1).optional(),
      'the built public site to serve (npm run build:site: dist/site)',
    ),
    once: flag(
      'poll once, print the status JSON and exit (non-zero if a cut was rejected or a split view seen)',
    ),
  },
  examples: [
    'mirror https://prep.example.mx/cortes/ --key openprep.PEF2024.live.pub --data /srv/espejo --site dist/site --listen 0.0.0.0:8080 --peer https://espejo.unam.example/',
  ],
  run: async (args) => (await import('./mirror_command.ts')).runMirror(args),
});

const witnessState = valued(
  'DIR',
  z.string().min(1),
  "the witness's folder: its key, what it cosigned, its alarms",
);

export const witnessInit = command({
  name: 'witness init',
  summary: "make an observer's witness: an Ed25519 key; prints the key for the election definition",
  options: {
    name: valued(
      'NAME',
      z.string().min(1).max(100),
      'the witness name (no spaces or "+"), e.g. observador.example.org',
    ),
    state: witnessState,
  },
  examples: ['witness init --name observador.example.org --state /var/lib/openprep-witness'],
  run: async (args) => (await import('./witness_commands.ts')).runWitnessInit(args),
});

export const witnessRun = command({
  name: 'witness run',
  summary:
    "watch the center's journal: cosign each checkpoint that extends the last one cosigned, raise an alarm on any that does not",
  options: {
    center: valued('URL', z.url({ protocol: /^https?$/ }), "the center's base URL"),
    'log-key': valued('KEY', z.string().min(1), "the election's public key, as the institute published it"),
    state: witnessState,
    listen: valued(
      'HOST:PORT',
      z
        .string()
        .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'host:port')
        .optional(),
      'serve GET /checkpoint, /alarms, /status and /metrics here',
    ),
    peer: repeated(
      'URL',
      z.array(z.url({ protocol: /^https?$/ })).default([]),
      "another witness's or a mirror's base URL: its /checkpoint must agree with this witness's",
    ),
    every: valued('SECONDS', z.coerce.number().min(0.1).max(3600).default(10), 'how often to poll'),
  },
  examples: [
    'witness run --center https://prep.example.mx --log-key "$(cat llave.pub)" --state /var/lib/openprep-witness --listen 0.0.0.0:8090 --peer https://testigo2.example.org',
  ],
  run: async (args) => (await import('./witness_commands.ts')).runWitnessRun(args),
});

export const witnessClear = command({
  name: 'witness clear',
  summary: "clear the witness's alarms once an operator has looked into them (it cosigns again)",
  options: {
    state: witnessState,
    'forget-log': flag(
      'also forget the last cosigned checkpoint, so that the next one is trusted as the first (a log that was legitimately restarted)',
    ),
  },
  examples: ['witness clear --state /var/lib/openprep-witness'],
  run: async (args) => (await import('./witness_commands.ts')).runWitnessClear(args),
});

export const COMMANDS: readonly Command[] = [
  demo,
  demoCode,
  init,
  catalogImport,
  catalogGenerate,
  simRender,
  qualityEvaluate,
  qualityCalibrate,
  readerEvaluate,
  cut,
  verify,
  mirror,
  witnessInit,
  witnessRun,
  witnessClear,
  serve,
  alertTest,
  signer,
  signerBackup,
  signerRecover,
  deviceEnroll,
  territoryImport,
  territoryList,
  deviceList,
  deviceRevoke,
  operatorAdd,
  operatorList,
  operatorEnrollTotp,
  operatorRecertify,
  operatorPassword,
  passwordsCorpusBuild,
  passwordsRecheck,
  accountsPurge,
  accessReview,
  decoyCreate,
  decoyList,
  exportOperators,
  exportDevices,
  leakCheck,
  agentInit,
  agentEnroll,
  agentRun,
  agentStatus,
  agentExportBundle,
  bundleImport,
  drillProxy,
  journalVerify,
  schema,
  releaseKeygen,
  releaseSign,
  releaseVerify,
];
