/**
 * `npm run bench -- breached [hashes] [lookups]`: how long a breached-password lookup takes in
 * a large corpus. Writes a synthetic sorted `SHA1:COUNT` file of `hashes` hashes (10 million by
 * default, ~470 MB; sorted by construction: the top 48 bits grow with the line), and a folder of
 * the HIBP layout holding the first 1/16 of the same hashes (prefixes 00000–0FFFF, 65,536 range
 * files), then times `lookups` range reads of random prefixes in each, and the HMACs a re-check
 * computes for a real range (~1,000 hashes a prefix in HIBP's ~1e9). The file was just written,
 * so it is read from the page cache: the figures are for a warm corpus.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { RangeFolderCorpus, SortedFileCorpus } from '../src/auth/breached_passwords.ts';
import { SecretBox } from '../src/auth/secret_box.ts';

const total = Number(process.argv[2] ?? 10_000_000);
const lookups = Number(process.argv[3] ?? 10_000);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'openprep-bench-breached-'));
try {
  const file = path.join(work, 'corpus.txt');
  const folder = path.join(work, 'ranges');
  await mkdir(folder);
  const writeStarted = performance.now();
  const out = createWriteStream(file);
  const ranges = new Map<string, string[]>();
  const TOP = 2 ** 48;
  let block: string[] = [];
  for (let i = 0; i < total; i++) {
    const top = Math.floor(((i + Math.random()) * TOP) / total);
    const hash = `${top.toString(16).padStart(12, '0')}${randomBytes(14).toString('hex')}`.toUpperCase();
    const line = `${hash}:${1 + (i % 97)}\n`;
    block.push(line);
    if (hash < '10000') {
      const prefix = hash.slice(0, 5);
      const lines = ranges.get(prefix) ?? [];
      lines.push(`${hash.slice(5)}:${1 + (i % 97)}\r\n`);
      ranges.set(prefix, lines);
    }
    if (block.length === 100_000) {
      if (!out.write(block.join('')))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      block = [];
    }
  }
  out.end(block.join(''));
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
  for (const [prefix, lines] of ranges) await writeFile(path.join(folder, `${prefix}.txt`), lines.join(''));
  const writeSeconds = (performance.now() - writeStarted) / 1000;

  const time = async (corpus: SortedFileCorpus | RangeFolderCorpus, prefixes: readonly string[]) => {
    const ms: number[] = [];
    let found = 0;
    for (const prefix of prefixes) {
      const started = performance.now();
      const range = await corpus.range(prefix);
      ms.push(performance.now() - started);
      if (!range.ok) throw new Error(range.message);
      found += range.value.size;
    }
    ms.sort((a, b) => a - b);
    return {
      p50_ms: +percentile(ms, 50).toFixed(3),
      p99_ms: +percentile(ms, 99).toFixed(3),
      max_ms: +(ms.at(-1) ?? 0).toFixed(3),
      mean_hashes_per_range: +(found / prefixes.length).toFixed(1),
    };
  };
  const randomPrefix = (limit: number) =>
    Math.floor(Math.random() * limit)
      .toString(16)
      .padStart(5, '0')
      .toUpperCase();
  const sorted = await time(
    new SortedFileCorpus(file),
    Array.from({ length: lookups }, () => randomPrefix(0x100000)),
  );
  const rangeFolder = await time(
    new RangeFolderCorpus(folder),
    Array.from({ length: lookups }, () => randomPrefix(0x10000)),
  );
  // A re-check MACs every hash of each operator's range: ~1,000 in HIBP's corpus.
  const box = new SecretBox(randomBytes(32));
  const hmacStarted = performance.now();
  for (let i = 0; i < 100_000; i++) box.mac('breached-password', `5BAA6${i.toString(16).padStart(35, '0')}`);
  const hmacMicros = ((performance.now() - hmacStarted) * 1000) / 100_000;

  process.stdout.write(
    `${JSON.stringify({
      hashes: total,
      file_bytes: (await stat(file)).size,
      write_seconds: +writeSeconds.toFixed(1),
      lookups,
      sorted_file: sorted,
      range_folder: { files: ranges.size, ...rangeFolder },
      hmac_micros: +hmacMicros.toFixed(2),
      recheck_ms_per_operator_in_hibp: +((1000 * hmacMicros) / 1000 + sorted.p50_ms).toFixed(2),
    })}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
