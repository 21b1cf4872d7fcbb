/**
 * The commands in README.md and docs/*.md, run as a reader would paste them: every ```sh,
 * ```bash, ```shell and ```console block of a file, in order, in one bash (`set -e -o pipefail`)
 * per file, in a fresh clone of the repository's HEAD. A block that cannot run on a test
 * machine (a server that runs until Ctrl-C, a step needing S3, systemd or another machine)
 * carries the line `<!-- doc-test: skip (why) -->` right above its fence; a skip without a
 * reason, or one not followed by a command block, is itself an error.
 *
 * What the run changes, and why: node_modules/.bin comes first on PATH (the pinned Node,
 * as npm scripts have it), `npx openprep` is run as `node src/cli/main.ts` (the same
 * program, without npx's second of start-up per command), and absolute paths under /tmp/,
 * /srv/ and /media/ name folders inside the file's own temporary folder — so that two runs,
 * or two files, never share a data folder, and nothing is written outside it.
 *
 *   node tools/doc_commands.ts [README.md docs/x.md …]   runs them here and prints what ran
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

export const COMMAND_LANGUAGES: ReadonlySet<string> = new Set(['sh', 'bash', 'shell', 'console']);
const SKIP = /^<!--\s*doc-test:\s*skip\s*\((?<reason>[^)]*)\)\s*-->$/;
const MARKER = /^<!--\s*doc-test/; // a marker is a line of its own; prose may quote one
const FENCE = /^(?<indent>\s*)(?<ticks>`{3,})(?<lang>[A-Za-z0-9_-]*)\s*$/;

export interface CommandBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: string;
  readonly commands: string;
  /** Why it is not run, as the markdown says; null when it runs. */
  readonly skip: string | null;
}

export interface ExtractedBlocks {
  readonly blocks: readonly CommandBlock[];
  /** Markers without a reason or not right above a command block. */
  readonly problems: readonly string[];
}

/** The command blocks of a markdown text, in order, with their skip markers. */
export function extractCommandBlocks(markdown: string): ExtractedBlocks {
  const lines = markdown.split('\n');
  const blocks: CommandBlock[] = [];
  const problems: string[] = [];
  let pendingSkip: { reason: string; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const trimmed = text.trim();
    if (MARKER.test(trimmed)) {
      const skip = SKIP.exec(trimmed);
      const reason = skip?.groups?.['reason']?.trim() ?? '';
      if (skip === null || reason === '')
        problems.push(`line ${i + 1}: a doc-test marker must read <!-- doc-test: skip (the reason) -->`);
      else pendingSkip = { reason, line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(text);
    if (fence === null) {
      if (trimmed !== '' && pendingSkip !== null) {
        problems.push(`line ${pendingSkip.line}: a doc-test skip marker must be right above a command block`);
        pendingSkip = null;
      }
      continue;
    }
    const { indent, ticks, lang } = fence.groups as { indent: string; ticks: string; lang: string };
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const closing = lines[j]!;
      if (closing.trim() === ticks) break;
      // List items indent their blocks: the indentation of the fence is not part of the commands.
      body.push(closing.startsWith(indent) ? closing.slice(indent.length) : closing.trimStart());
    }
    const language = lang.toLowerCase();
    if (COMMAND_LANGUAGES.has(language)) {
      const commands =
        language === 'console'
          ? body
              .filter((l) => l.startsWith('$ '))
              .map((l) => l.slice(2))
              .join('\n')
          : body.join('\n');
      blocks.push({ line: i + 1, language, commands, skip: pendingSkip?.reason ?? null });
    } else if (pendingSkip !== null) {
      problems.push(`line ${pendingSkip.line}: a doc-test skip marker must be right above a command block`);
    }
    pendingSkip = null;
    i = j;
  }
  if (pendingSkip !== null)
    problems.push(`line ${pendingSkip.line}: a doc-test skip marker must be right above a command block`);
  return { blocks, problems };
}

/** Absolute /tmp/, /srv/ and /media/ paths, moved under `root` (a URL's path is left alone). */
export function confinePaths(commands: string, root: string): string {
  return commands.replace(/(?<![\w.:/~$-])\/(tmp|srv|media)(?=\/|\b)/g, `${root}/$1`);
}

export interface FileRun {
  readonly file: string;
  readonly ran: number;
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
  readonly problems: readonly string[];
  /** The block that failed (its line), or null when every block ran. */
  readonly failedAt: number | null;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly output: string;
}

const PRELUDE = `set -e -o pipefail
npx() { if [ "$1" = openprep ]; then shift; node "$DOC_CLONE/src/cli/main.ts" "$@"; else command npx "$@"; fi; }
`;

/**
 * Runs one markdown file's command blocks in `clone` (a checkout with node_modules), in one
 * bash, with `env` as its own temporary folder. Resolves when bash ends or the time is up.
 */
export async function runFileBlocks(options: {
  readonly file: string;
  readonly markdown: string;
  readonly clone: string;
  readonly env: string;
  readonly timeoutMs: number;
}): Promise<FileRun> {
  const { blocks, problems } = extractCommandBlocks(options.markdown);
  const toRun = blocks.filter((b) => b.skip === null);
  const skipped = blocks.flatMap((b) => (b.skip === null ? [] : [{ line: b.line, reason: b.skip }]));
  const base = { file: options.file, skipped, problems };
  if (toRun.length === 0)
    return { ...base, ran: 0, failedAt: null, exitCode: 0, timedOut: false, output: '' };
  for (const dir of ['tmp', 'srv', 'media', 'home'])
    await mkdir(path.join(options.env, dir), { recursive: true });
  const script =
    PRELUDE +
    toRun
      .map(
        (b) =>
          `echo ${b.line} >&3\necho "\\$ # ${options.file}:${b.line}" >&2\n${confinePaths(b.commands, options.env)}\n`,
      )
      .join('\n') +
    'echo done >&3\n';
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OPENPREP_') && !k.startsWith('npm_')),
  );
  const child = spawn('bash', ['-c', script], {
    cwd: options.clone,
    env: {
      ...inherited,
      PATH: `${path.join(options.clone, 'node_modules', '.bin')}${path.delimiter}${process.env['PATH'] ?? ''}`,
      HOME: path.join(options.env, 'home'),
      TMPDIR: path.join(options.env, 'tmp'),
      DOC_CLONE: options.clone,
      TZ: 'America/Mexico_City',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group: a timeout ends every process the block started
  });
  let output = '';
  let progress = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    progress += chunk.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) =>
    child.once('close', (code) => resolve(code)),
  );
  clearTimeout(timer);
  // Whatever a block left in the background (a server started with &) ends with the file.
  killGroup(child.pid);
  const marks = progress.trim().split('\n');
  const last = marks.at(-1);
  const failedAt = exitCode === 0 && last === 'done' ? null : Number(last ?? toRun[0]!.line);
  return { ...base, ran: toRun.length, failedAt, exitCode, timedOut, output };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A fresh clone of `repo`'s HEAD in `into`, with the repository's node_modules linked in. */
export async function freshClone(repo: string, into: string): Promise<void> {
  const cloned = spawnSync('git', ['clone', '--quiet', repo, into], { encoding: 'utf8' });
  if (cloned.status !== 0) throw new Error(`git clone ${repo}: ${cloned.stderr}`);
  await symlink(await realpath(path.join(repo, 'node_modules')), path.join(into, 'node_modules'));
}

function headVersion(repo: string, file: string): string {
  const shown = spawnSync('git', ['show', `HEAD:${file}`], { cwd: repo, encoding: 'utf8' });
  if (shown.status !== 0) throw new Error(`git show HEAD:${file}: ${shown.stderr}`);
  return shown.stdout;
}

/** README.md and docs/*.md in `repo`'s HEAD (what a clone has). */
export function documentedFiles(repo: string): string[] {
  const listed = spawnSync('git', ['ls-tree', '--name-only', 'HEAD', 'README.md', 'docs/'], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-tree: ${listed.stderr}`);
  return listed.stdout
    .split('\n')
    .filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f))
    .sort((a, b) => (a === 'README.md' ? -1 : b === 'README.md' ? 1 : a.localeCompare(b)));
}

/** Each file in its own fresh clone and temporary folder; the clones are removed afterwards. */
export async function runDocs(
  repo: string,
  files: readonly string[],
  timeoutMs: number,
  /** 'repo' reads each file's markdown as it is in `repo`'s working tree (while editing docs). */
  markdownFrom: 'clone' | 'repo' = 'clone',
): Promise<FileRun[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'openprep-doc-commands-'));
  const runs: FileRun[] = [];
  try {
    for (const [index, file] of files.entries()) {
      const markdown =
        markdownFrom === 'repo' ? await readFile(path.join(repo, file), 'utf8') : headVersion(repo, file);
      const clone = path.join(work, `clone-${index}`);
      // A file with nothing to run needs no clone.
      if (extractCommandBlocks(markdown).blocks.some((b) => b.skip === null)) await freshClone(repo, clone);
      runs.push(
        await runFileBlocks({ file, markdown, clone, env: path.join(work, `env-${index}`), timeoutMs }),
      );
      await rm(clone, { recursive: true, force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return runs;
}

export function describeRun(run: FileRun): string {
  const head = `${run.file}: ${run.ran} block(s) run, ${run.skipped.length} skipped`;
  if (run.failedAt === null && run.problems.length === 0) return head;
  const why = run.timedOut ? 'timed out' : `exit code ${run.exitCode}`;
  return [
    `${head} — FAILED`,
    ...run.problems.map((p) => `  ${run.file} ${p}`),
    ...(run.failedAt === null
      ? []
      : [`  the block at ${run.file}:${run.failedAt} failed (${why}); its output:`]),
    ...(run.failedAt === null
      ? []
      : run.output
          .split('\n')
          .slice(-40)
          .map((l) => `    ${l}`)),
  ].join('\n');
}

if (import.meta.main) {
  const repo = path.join(import.meta.dirname, '..');
  const args = process.argv.slice(2);
  // The code is HEAD's (a fresh clone); the markdown is the working tree's, edits included.
  const runs = await runDocs(repo, args.length > 0 ? args : documentedFiles(repo), 300_000, 'repo');
  for (const run of runs) process.stdout.write(`${describeRun(run)}\n`);
  process.exitCode = runs.every((r) => r.failedAt === null && r.problems.length === 0) ? 0 : 1;
}
