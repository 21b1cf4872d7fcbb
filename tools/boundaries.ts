/**
 * The floor plan, checked (docs/architecture.md, "Rooms"). Every import from one room of src/ to
 * another must run in a direction this plan declares, no two rooms may import each other (not
 * even through a third), no production room may import a tool (the simulator, the demo, the
 * command line, the test helpers, the adversarial suite, the drill proxy), and PREP Casilla's list
 * of the modules the center serves it must be exactly what its pages load.
 *
 * A room is a folder under src/, or one of the sub-folders named in the plan (platform/web, the
 * browser's toolkit; verify/core, the verifier's pure core shared with the site). Test code
 * (`*.test.ts`, `*.browser.test.ts`, `*.contract.ts`, `*.adversarial.ts`) may import anything.
 * Imports are read as text (static, dynamic, `export … from`, and `new URL('…', import.meta.url)`
 * for workers and data files): a regular expression, not a parser, because every import in this
 * code base is written on the lines this reads — and a file it could not read would be reported.
 *
 * `npm run boundaries` runs it (part of `npm test`); it prints every violation and exits 1.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';

/** What each production room may import, besides itself. Anything not listed is refused. */
export const PLAN: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  'platform/web': ['domain'],
  platform: ['domain', 'platform/web'],
  journal: ['domain', 'platform', 'platform/web'],
  catalog: ['domain', 'platform'],
  images: ['domain', 'platform'],
  gate: ['domain', 'platform'],
  // The acta reader (shadow mode: never publishes on its own): digit model and box reader.
  reader: ['domain'],
  // The reader in the center (shadow): its readings port, worker pool and queue.
  reading: ['domain', 'platform', 'reader'],
  auth: ['domain', 'platform', 'platform/web', 'journal'],
  // Security operations: detections over the security events, decoys, leak checks, access review.
  security: ['domain', 'platform', 'platform/web', 'journal', 'auth'],
  capture: ['domain', 'platform', 'journal', 'catalog'],
  // The release manifest, its maintainers' signatures and the check of an installed release.
  release: ['domain', 'platform', 'platform/web', 'journal'],
  intake: ['domain', 'platform', 'platform/web', 'journal', 'catalog', 'images', 'gate', 'capture'],
  publish: ['domain', 'platform', 'platform/web', 'journal', 'images', 'catalog'],
  'verify/core': ['domain', 'platform/web'],
  verify: ['domain', 'platform', 'platform/web', 'journal', 'catalog', 'verify/core'],
  // A difusor's mirror: fetches cuts, runs the complete verifier, serves only what passed.
  mirror: ['domain', 'platform', 'platform/web', 'journal', 'verify/core', 'verify'],
  store: ['domain', 'platform', 'journal', 'auth', 'security', 'capture', 'intake', 'publish', 'reading'],
  center: [
    'domain',
    'platform',
    'platform/web',
    'journal',
    'catalog',
    'images',
    'gate',
    'auth',
    'security',
    'capture',
    'intake',
    'publish',
    'verify',
    'store',
    'release',
    'reader',
    'reading',
  ],
  server: [
    'domain',
    'platform',
    'platform/web',
    'journal',
    'catalog',
    'images',
    'gate',
    'auth',
    'security',
    'capture',
    'intake',
    'publish',
    'center',
    'casilla',
    'site',
    'release',
    'reading',
  ],
  agent: ['domain', 'platform', 'platform/web', 'journal', 'images', 'gate', 'intake'],
  // Browser code: only pure modules (PREP Casilla's list below is checked against what it loads).
  casilla: ['domain', 'platform/web', 'agent', 'intake', 'gate'],
  site: ['domain', 'platform/web', 'verify/core'],
  console: ['domain', 'platform/web'],
  // An observer's witness of the journal (docs/witness.md): runs on the observer's machine.
  witness: ['domain', 'platform', 'platform/web', 'journal'],
};

/**
 * Tools stand above every production room and may import any of them (and each other, in the
 * order listed: a tool imports only tools after it); no production room imports a tool.
 */
export const TOOLS: readonly string[] = ['cli', 'demo', 'adversarial', 'drill', 'test', 'sim'];

const TEST_FILE = /\.(test|contract|adversarial)\.tsx?$/;
const SOURCE = /\.(ts|tsx)$/;
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"]([^'"]+)['"]|new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/gm;
const TYPE_ONLY = /^\s*(?:import|export)\s+type\s/;

export interface Violation {
  readonly kind: 'direction' | 'cycle' | 'undeclared-room' | 'casilla-modules';
  readonly message: string;
}

interface ImportEdge {
  readonly from: string; // file, relative to the project root
  readonly to: string;
  readonly typeOnly: boolean;
}

/** The room a file under src/ belongs to: the longest declared room that contains it. */
export function roomOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] !== 'src' || parts.length < 3) return null;
  const nested = `${parts[1]}/${parts[2]}`;
  if (parts.length > 3 && nested in PLAN) return nested;
  return parts[1] ?? null;
}

async function sourceFiles(root: string, relative = 'src'): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await sourceFiles(root, child)));
    else if (SOURCE.test(entry.name)) out.push(child);
  }
  return out.sort();
}

/** Relative imports of one file, resolved to paths relative to the project root. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (specifier === undefined || !specifier.startsWith('.')) continue;
    const statementStart = text.lastIndexOf('\n', match.index) + 1;
    const typeOnly = match[1] !== undefined && TYPE_ONLY.test(text.slice(statementStart, match.index + 40));
    edges.push({
      from: file,
      to: path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)),
      typeOnly,
    });
  }
  return edges;
}

function isTool(room: string): boolean {
  return TOOLS.includes(room);
}

function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  if (isTool(from)) return !isTool(to) || TOOLS.indexOf(to) > TOOLS.indexOf(from);
  return PLAN[from]?.includes(to) ?? false;
}

/** Cycles between rooms, each as the list of rooms and one import that makes each step. */
function roomCycles(edges: readonly ImportEdge[]): Violation[] {
  const graph = new Map<string, Map<string, ImportEdge>>();
  for (const edge of edges) {
    const a = roomOf(edge.from);
    const b = roomOf(edge.to);
    if (a === null || b === null || a === b) continue;
    const targets = graph.get(a) ?? new Map<string, ImportEdge>();
    graph.set(a, targets);
    if (!targets.has(b)) targets.set(b, edge);
  }
  // Tarjan's strongly connected components: every component of more than one room is a cycle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (room: string): void => {
    indices.set(room, index);
    low.set(room, index);
    index++;
    stack.push(room);
    onStack.add(room);
    for (const next of graph.get(room)?.keys() ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(room, Math.min(low.get(room)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(room, Math.min(low.get(room)!, indices.get(next)!));
    }
    if (low.get(room) === indices.get(room)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== room);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const room of [...graph.keys()].sort()) if (!indices.has(room)) visit(room);
  return components.map((component) => {
    const steps: string[] = [];
    for (const a of component)
      for (const [b, edge] of graph.get(a) ?? [])
        if (component.includes(b)) steps.push(`${a} → ${b} (${edge.from} imports ${edge.to})`);
    return {
      kind: 'cycle',
      message: `rooms that import each other: ${component.join(', ')}: ${steps.join('; ')}`,
    } satisfies Violation;
  });
}

/** PREP Casilla's APP_MODULES must be exactly the modules its pages and service worker load. */
async function casillaModules(root: string, texts: ReadonlyMap<string, string>): Promise<Violation[]> {
  const filesModule = path.join(root, 'src', 'casilla', 'files.ts');
  const listed = /APP_MODULES = \[([\s\S]*?)\] as const/.exec(texts.get('src/casilla/files.ts') ?? '');
  if (listed === null) return [{ kind: 'casilla-modules', message: `no APP_MODULES list in ${filesModule}` }];
  const entries = (listed[1] ?? '').replace(/\/\/.*$/gm, '');
  const declared = new Set([...entries.matchAll(/'([^']+)'/g)].map((m) => `src/${m[1]}`));
  const loaded = new Set<string>();
  const pending = ['src/casilla/app.ts', 'src/casilla/sw.ts'];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (loaded.has(file)) continue;
    loaded.add(file);
    const text =
      texts.get(file) ?? (file.endsWith('.json') ? '' : await readFile(path.join(root, file), 'utf8'));
    // `import type` is erased when the center strips the types; `import { type A }` still loads.
    for (const edge of importsOf(file, text)) if (!edge.typeOnly) pending.push(edge.to);
  }
  // Files the center serves as pages, not modules: the service worker is fetched by its own URL.
  loaded.delete('src/casilla/sw.ts');
  const problems: Violation[] = [];
  for (const file of [...loaded].sort())
    if (!declared.has(file))
      problems.push({
        kind: 'casilla-modules',
        message: `PREP Casilla loads ${file}, missing from APP_MODULES`,
      });
  for (const file of [...declared].sort())
    if (!loaded.has(file))
      problems.push({
        kind: 'casilla-modules',
        message: `APP_MODULES lists ${file}, which PREP Casilla never loads`,
      });
  return problems;
}

export async function checkBoundaries(root: string): Promise<Violation[]> {
  const files = await sourceFiles(root);
  const texts = new Map<string, string>();
  for (const file of files) texts.set(file, await readFile(path.join(root, file), 'utf8'));
  const violations: Violation[] = [];
  const productionEdges: ImportEdge[] = [];
  const undeclared = new Set<string>();
  for (const file of files) {
    const room = roomOf(file);
    if (room === null) continue;
    if (!(room in PLAN) && !isTool(room)) {
      if (!undeclared.has(room))
        violations.push({
          kind: 'undeclared-room',
          message: `src/${room}/ is not in the floor plan (tools/boundaries.ts): declare what it may import`,
        });
      undeclared.add(room);
      continue;
    }
    if (TEST_FILE.test(file)) continue;
    for (const edge of importsOf(file, texts.get(file)!)) {
      const target = roomOf(edge.to);
      if (target === null) continue;
      productionEdges.push(edge);
      if (!mayImport(room, target))
        violations.push({
          kind: 'direction',
          message: `${edge.from} imports ${edge.to}: ${room}/ may not import ${target}/ (it may import ${
            isTool(room) ? 'any production room' : (PLAN[room] ?? []).join(', ') || 'nothing outside itself'
          })`,
        });
    }
  }
  violations.push(...roomCycles(productionEdges));
  violations.push(...(await casillaModules(root, texts)));
  return violations;
}

if (import.meta.main) {
  const root = process.argv[2] ?? path.join(import.meta.dirname, '..');
  const violations = await checkBoundaries(root);
  for (const violation of violations) process.stderr.write(`${violation.kind}: ${violation.message}\n`);
  if (violations.length > 0) {
    process.stderr.write(
      `boundaries: ${violations.length} violation(s) of the floor plan (docs/architecture.md)\n`,
    );
    process.exitCode = 1;
  } else process.stdout.write('boundaries: every import follows the floor plan; no cycle between rooms\n');
}
