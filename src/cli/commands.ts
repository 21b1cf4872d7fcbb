/** The command table of `openprep`. Each command imports its modules lazily so `--help` stays fast. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly run: (args: readonly string[]) => Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'demo',
    summary: 'play an election night in accelerated time and serve its cuts (npm start)',
    run: async (args) => (await import('./demo_command.ts')).runDemoCommand(args),
  },
  {
    name: 'init',
    summary: 'create a data folder: store, signing key for the mode, election definition, catalog',
    run: async (args) => (await import('./center_commands.ts')).runInit(args),
  },
  {
    name: 'catalog import',
    summary: 'import a casilla catalog CSV, all or nothing',
    run: async (args) => (await import('./catalog_commands.ts')).runCatalogImport(args),
  },
  {
    name: 'catalog generate',
    summary: 'write a synthetic catalog CSV (tiny, state or national), deterministic from a seed',
    run: async (args) => (await import('./catalog_commands.ts')).runCatalogGenerate(args),
  },
  {
    name: 'sim render',
    summary: 'render synthetic actas (PNG) with their ground truth (JSON), deterministic from a seed',
    run: async (args) => (await import('./sim_commands.ts')).runSimRender(args),
  },
  {
    name: 'quality evaluate',
    summary: 'score the image quality gate on labelled synthetic actas (JSON; exit 1 below target)',
    run: async (args) => (await import('./quality_commands.ts')).runQualityEvaluate(args),
  },
  {
    name: 'quality calibrate',
    summary: "propose the quality gate's thresholds from labelled synthetic actas (--write to keep them)",
    run: async (args) => (await import('./quality_commands.ts')).runQualityCalibrate(args),
  },
  {
    name: 'cut',
    summary: 'build and publish a signed cut now, or every N minutes with --every',
    run: async (args) => (await import('./center_commands.ts')).runCut(args),
  },
  {
    name: 'verify',
    summary: 'verify a cut folder or zip; exits non-zero naming the failed check',
    run: async (args) => (await import('./verify_command.ts')).runVerify(args),
  },
  {
    name: 'serve',
    summary: 'run the center online: signed package intake over HTTP, health, checkpoints',
    run: async (args) => (await import('./serve_command.ts')).runServe(args),
  },
  {
    name: 'signer',
    summary: "hold the election's signing key and sign for the nodes over a Unix socket",
    run: async (args) => (await import('./signer_command.ts')).runSigner(args),
  },
  {
    name: 'device enroll',
    summary: 'enrol a phone or scanner with its Ed25519 public key, bound to a CATD or CAE',
    run: async (args) => (await import('./device_commands.ts')).runDeviceEnroll(args),
  },
  {
    name: 'territory import',
    summary: 'declare which distritos or casillas each CATD and CAE serves (CSV, all or nothing)',
    run: async (args) => (await import('./territory_commands.ts')).runTerritoryImport(args),
  },
  {
    name: 'territory list',
    summary: 'list the declared territory: each CATD or CAE and its distritos or casillas',
    run: async (args) => (await import('./territory_commands.ts')).runTerritoryList(args),
  },
  {
    name: 'device list',
    summary: 'list enrolled devices and whether they are revoked',
    run: async (args) => (await import('./device_commands.ts')).runDeviceList(args),
  },
  {
    name: 'device revoke',
    summary: 'revoke a device: its next package is refused',
    run: async (args) => (await import('./device_commands.ts')).runDeviceRevoke(args),
  },
  {
    name: 'operator add',
    summary: 'create an operator account (password on stdin); prints the TOTP enrolment URI once',
    run: async (args) => (await import('./operator_commands.ts')).runOperatorAdd(args),
  },
  {
    name: 'operator list',
    summary: 'list operator accounts, their roles, scopes and state',
    run: async (args) => (await import('./operator_commands.ts')).runOperatorList(args),
  },
  {
    name: 'operator enroll-totp',
    summary: 'give an operator a new TOTP seed (after a purge); revokes the old one and their sessions',
    run: async (args) => (await import('./operator_commands.ts')).runOperatorEnrollTotp(args),
  },
  {
    name: 'operator recertify',
    summary: 'certify an operator account for this election (accounts from an earlier one cannot sign in)',
    run: async (args) => (await import('./operator_commands.ts')).runOperatorRecertify(args),
  },
  {
    name: 'accounts purge',
    summary: 'revoke every session, second factor and device key in a scope at once',
    run: async (args) => (await import('./operator_commands.ts')).runAccountsPurge(args),
  },
  {
    name: 'agent init',
    summary: "create a CATD agent folder: the device's own key and which centers to send to",
    run: async (args) => (await import('./agent_commands.ts')).runAgentInit(args),
  },
  {
    name: 'agent enroll',
    summary: "enrol the agent's device at its center, as a coordinator (password and code on stdin)",
    run: async (args) => (await import('./agent_commands.ts')).runAgentEnroll(args),
  },
  {
    name: 'agent run',
    summary: "watch the scanner's folder and send every acta until a receipt comes back",
    run: async (args) => (await import('./agent_commands.ts')).runAgentRun(args),
  },
  {
    name: 'agent status',
    summary: 'what the agent has sent, what is pending or refused, and why',
    run: async (args) => (await import('./agent_commands.ts')).runAgentStatus(args),
  },
  {
    name: 'agent export-bundle',
    summary:
      'write the pending packages as one signed bundle file, for a USB stick (--from-leaf N: the delivered ones receipted at journal leaf N or later, after a center lost storage)',
    run: async (args) => (await import('./agent_commands.ts')).runAgentExportBundle(args),
  },
  {
    name: 'bundle import',
    summary:
      "ingest a device's USB bundle at this center, all checked first; importing twice changes nothing",
    run: async (args) => (await import('./agent_commands.ts')).runBundleImport(args),
  },
  {
    name: 'drill proxy',
    summary: 'a fault-injecting proxy (drop, delay, duplicate, reset, lost answer…) for drills and tests',
    run: async (args) => (await import('./agent_commands.ts')).runDrillProxy(args),
  },
  {
    name: 'journal verify',
    summary: "recompute the journal's Merkle tree and check every stored checkpoint",
    run: async (args) => (await import('./center_commands.ts')).runJournalVerify(args),
  },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `OpenPREP — verifiable preliminary election results\n\nusage: openprep <command> [options]\n\n${lines.join('\n')}\n\nSee README.md and docs/ for every option.\n`;
}
