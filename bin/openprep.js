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
await import('../src/cli/main.ts');
