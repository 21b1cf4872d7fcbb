#!/usr/bin/env node
// The CLI is TypeScript run directly by Node 24 (type stripping). `npx openprep` puts the
// project's pinned Node (node_modules/.bin/node) first on PATH, so this shebang finds it.
const [major] = process.versions.node.split('.').map(Number);
if (major === undefined || major < 24) {
  console.error(
    `openprep needs Node 24 (found ${process.version}); run it through npm/npx so the pinned Node is used.`,
  );
  process.exit(2);
}
// Node warns that type stripping is experimental: some Node 24 releases on every run, and
// every release the first time `serve` or the demo strips PREP Casilla's modules for a phone
// (module.stripTypeScriptTypes). It tells the user of a command nothing. Only those two
// warnings are dropped; every other one is still printed.
const QUIET = [
  'Type Stripping is an experimental feature',
  'stripTypeScriptTypes is an experimental feature',
];
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && QUIET.some((start) => text.startsWith(start))) return;
  return emitWarning.call(process, warning, ...rest);
};
// An installed release (a signed `release-manifest.json` beside bin/) is checked before anything
// of the application is loaded: the bootstrap reads only node built-ins and src/release's small
// code, and the process refuses to start, naming the files, on any difference
// (docs/trust.md, "The running code, attested"). A git checkout has no manifest: it runs as it
// is, a development checkout nobody attested. Every command is checked but `openprep release`
// (keygen, sign, verify): signing must work on a release not signed yet, and `release verify`
// makes the same check and reports each difference rather than refusing.
const { existsSync } = await import('node:fs');
const { fileURLToPath } = await import('node:url');
const root = fileURLToPath(new URL('..', import.meta.url));
const installed = existsSync(`${root}release-manifest.json`);
if (installed && process.argv[2] !== 'release') {
  const { attestAtStart } = await import('../src/release/bootstrap.ts');
  const refused = await attestAtStart(root, process.env, process.stderr);
  if (refused !== null) process.exit(refused);
}
// Node keeps each module's compiled (and type-stripped) code, keyed by its source's hash, so
// a command starts in about half the time from the second run on. The cache lives in the
// project's own node_modules, not in a temporary folder other users of the machine can write.
// Not in an installed release: the cache is compiled code the attestation does not cover (Node
// trusts an entry whose source hash matches, so a planted one would run unchecked), and it
// would be files the release does not list under node_modules/.
if (!installed) {
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.(new URL('../node_modules/.cache/node-compile-cache', import.meta.url).pathname);
}
await import('../src/cli/main.ts');
