/**
 * The realistic set's samples in docs/samples/realistic, made again:
 * `node src/sim/acta_images/realistic/samples.ts docs/samples/realistic`.
 *
 * One page (sampleActaContent, `train` handwriting, a fixed seed) under every condition at each
 * of its severities (clean and the page conditions once), each shot judged full size by the gate
 * under the acta's own key. Per condition one strip of whole-image thumbnails, and where the
 * defect is local a strip of 1:1 crops of the same three boxes, so a reader sees the digits as the
 * gate gets them; `verdicts.json` (truth and verdict per shot) and `table.md` (the Markdown
 * section for docs/images.md, also printed with links relative to docs/). The gate is still
 * being tuned: re-run after it changes. Deterministic: the same bytes every time on one machine
 * (captions are drawn with the system's fonts).
 *
 * Why worker threads: ~110 shots at 1–3 s of single-threaded JS each; two workers keep a
 * re-run under three minutes. Each shot depends only on its own job, so the order in which
 * workers finish changes nothing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import sharp, { type OverlayOptions } from 'sharp';
import { assessActaImage } from '../../../gate/quality_gate.ts';
import { sampleActaContent } from '../acta_set.ts';
import { homographyCoefficients } from '../defects.ts';
import {
  pageOf,
  BENIGN_CONDITIONS,
  type Condition,
  type ExpectedReason,
  GRADED_CONDITIONS,
  isBenign,
  isGraded,
  OWN_REASONS,
  PAGE_CONDITIONS,
  SCALES,
  SEVERITIES,
  type Severity,
  stylesOf,
} from './conditions.ts';
import { renderCheckedRealisticPage } from './page.ts';
import { photographRealistic, type Style } from './scene.ts';
import type { RealisticLayout, RealisticPage } from './types.ts';

/** The page's and the scenes' seed (issue 18's number). */
export const SAMPLE_SEED = 18;
export const SAMPLE_DIGIT_SPLIT = 'train';
/** Thumbnail width in the strips, px. */
const THUMB_WIDTH = 260;
const JPEG_QUALITY = 80;
const GAP = 8;
const CAPTION_HEIGHT = 38;

/** Conditions whose defect is in one place of the sheet or in its fine detail: a thumbnail hides it. */
export const LOCAL_CONDITIONS: readonly Condition[] = [
  'glare',
  'shadow',
  'blur',
  'motion_blur',
  'heavy_jpeg',
  'low_resolution',
  'too_dark',
];

export const SAMPLE_CONDITIONS: readonly Condition[] = [
  ...BENIGN_CONDITIONS,
  ...GRADED_CONDITIONS,
  ...PAGE_CONDITIONS,
];

type PageKind = 'acta' | 'qr_missing' | 'qr_damaged' | 'wrong_document';

export interface SampleJob {
  readonly condition: Condition;
  readonly severity: Severity | null;
  readonly style: Style;
  readonly page: PageKind;
}

/** One shot, as verdicts.json holds it. */
export interface SampleRecord {
  readonly severity: Severity | null;
  readonly value: number | null;
  readonly unit: string | null;
  readonly style: Style;
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  readonly dpi: number;
  readonly readable: boolean;
  readonly nearThreshold: boolean;
  readonly labelVisible: boolean;
  /** Why the scene calls it unreadable (scene.ts `readability`), box by box. */
  readonly failures: readonly string[];
  readonly verdict: 'accept' | 'reject' | 'review';
  readonly reasons: readonly string[];
  /** What the targets of issue 18 ask of the gate for this shot (`expected` below) is what it did. */
  readonly asTargeted: boolean;
}

export interface ConditionSamples {
  readonly kind: 'benign' | 'graded' | 'page';
  readonly unit: string | null;
  readonly style: Style;
  readonly ownReasons: readonly ExpectedReason[];
  readonly samples: readonly SampleRecord[];
}

export interface SampleVerdicts {
  readonly seed: number;
  readonly actaKey: string;
  readonly digitSplit: typeof SAMPLE_DIGIT_SPLIT;
  readonly conditions: Readonly<Record<string, ConditionSamples>>;
}

/** What a worker hands back for one job: the record and small encoded pictures. */
export interface SampleResult {
  readonly job: number;
  readonly record: SampleRecord;
  /** PNG, THUMB_WIDTH wide. */
  readonly thumbnail: Uint8Array;
  /** The shot itself, for the crops of a local condition. */
  readonly bytes: Uint8Array | null;
  /** The page's corners in the shot (scene truth). */
  readonly corners: readonly (readonly [number, number])[];
  /** The page's size and boxes, where the crops are chosen. */
  readonly page: Pick<RealisticLayout, 'width' | 'height' | 'boxes'>;
}

/** The phone when the condition happens to a phone, else the scanner (conditions.ts `stylesOf`). */
export function sampleStyle(condition: Condition): Style {
  return stylesOf(condition).includes('phone') ? 'phone' : 'scanner';
}

export function sampleJobs(only?: readonly Condition[]): SampleJob[] {
  const jobs: SampleJob[] = [];
  for (const condition of SAMPLE_CONDITIONS) {
    if (only !== undefined && !only.includes(condition)) continue;
    const style = sampleStyle(condition);
    const page: PageKind = (PAGE_CONDITIONS as readonly string[]).includes(condition)
      ? (condition as PageKind)
      : 'acta';
    if (condition === 'clean' || page !== 'acta') jobs.push({ condition, severity: null, style, page });
    else for (const severity of SEVERITIES) jobs.push({ condition, severity, style, page });
  }
  return jobs;
}

/** The targets' demand (evaluate.ts `scoreRealistic`), per shot. */
function expected(
  condition: Condition,
  readable: boolean,
  labelVisible: boolean,
  verdict: SampleRecord['verdict'],
  reasons: readonly string[],
): boolean {
  const own = OWN_REASONS[condition] as readonly string[];
  if (!readable) return verdict !== 'accept' && (own.length === 0 || reasons.some((r) => own.includes(r)));
  const labelGone = !labelVisible || condition === 'qr_missing' || condition === 'qr_damaged';
  return labelGone ? verdict === 'review' && reasons.includes('qr_unreadable') : verdict === 'accept';
}

/** The page of each kind, made once per worker. */
export function pageMaker(): (kind: PageKind) => Promise<RealisticPage> {
  const pages = new Map<PageKind, Promise<RealisticPage>>();
  return (kind) => {
    let made = pages.get(kind);
    if (made === undefined) {
      made = renderCheckedRealisticPage(sampleActaContent(), {
        seed: SAMPLE_SEED,
        digitSplit: SAMPLE_DIGIT_SPLIT,
        ...pageOf(kind),
      });
      pages.set(kind, made);
    }
    return made;
  };
}

/**
 * Where the values are written (handwriting.ts starts a number 250 px left of the box's right
 * edge) in three consecutive boxes, in the page's pixels: the window where the scene's truth says
 * most boxes fail, summed over the severities (the shadow's or the glare's place), else the
 * table's middle.
 */
export function cropRegion(
  boxes: RealisticLayout['boxes'],
  records: readonly SampleRecord[],
): { x0: number; y0: number; x1: number; y1: number } | null {
  if (boxes.length < 3) return null;
  const failing = new Map<string, number>();
  for (const r of records)
    for (const failure of r.failures) {
      const key = failure.slice(0, failure.indexOf(': '));
      failing.set(key, (failing.get(key) ?? 0) + 1);
    }
  const middle = Math.floor(boxes.length / 2) - 1;
  let best = middle;
  let bestScore = -1;
  for (let first = 0; first + 3 <= boxes.length; first++) {
    const score = boxes.slice(first, first + 3).reduce((sum, b) => sum + (failing.get(b.key) ?? 0), 0);
    if (score > bestScore || (score === bestScore && Math.abs(first - middle) < Math.abs(best - middle))) {
      best = first;
      bestScore = score;
    }
  }
  const three = boxes.slice(best, best + 3);
  const margin = 10;
  const right = Math.max(...three.map((b) => b.x + b.width));
  return {
    x0: Math.max(Math.min(...three.map((b) => b.x)), right - 300) - margin,
    y0: Math.min(...three.map((b) => b.y)) - margin,
    x1: right + margin,
    y1: Math.max(...three.map((b) => b.y + b.height)) + margin,
  };
}

/** The region's 1:1 crop from a shot, mapped through the sheet's corners (scene truth); null when wholly outside. */
async function cropShot(
  shot: SampleResult,
  region: { x0: number; y0: number; x1: number; y1: number },
): Promise<Crop> {
  const forward = homographyCoefficients(
    [
      [0, 0],
      [shot.page.width, 0],
      [shot.page.width, shot.page.height],
      [0, shot.page.height],
    ],
    shot.corners,
  );
  const mapped = (
    [
      [region.x0, region.y0],
      [region.x1, region.y0],
      [region.x1, region.y1],
      [region.x0, region.y1],
    ] as const
  ).map(([x, y]) => {
    const w = forward[6] * x + forward[7] * y + 1;
    return [
      (forward[0] * x + forward[1] * y + forward[2]) / w,
      (forward[3] * x + forward[4] * y + forward[5]) / w,
    ];
  });
  const left = Math.floor(Math.min(...mapped.map((p) => p[0]!)));
  const top = Math.floor(Math.min(...mapped.map((p) => p[1]!)));
  const right = Math.ceil(Math.max(...mapped.map((p) => p[0]!)));
  const bottom = Math.ceil(Math.max(...mapped.map((p) => p[1]!)));
  const { width, height } = shot.record;
  const inLeft = Math.max(0, left);
  const inTop = Math.max(0, top);
  const inRight = Math.min(width, right);
  const inBottom = Math.min(height, bottom);
  const png =
    shot.bytes !== null && inRight > inLeft && inBottom > inTop
      ? await sharp(shot.bytes)
          .extract({ left: inLeft, top: inTop, width: inRight - inLeft, height: inBottom - inTop })
          .toColourspace('srgb')
          .png({ compressionLevel: 1 })
          .toBuffer()
      : null;
  return { png, left: inLeft - left, top: inTop - top, width: right - left, height: bottom - top };
}

interface Crop {
  /** The part of the crop box inside the image, 1:1, at (left, top) of the box; null when none is. */
  readonly png: Buffer | null;
  readonly left: number;
  readonly top: number;
  /** The crop box's size in the image. */
  readonly width: number;
  readonly height: number;
}

/** Renders, judges and shrinks one shot (in a worker). */
export async function renderSample(
  job: SampleJob,
  index: number,
  page: (kind: PageKind) => Promise<RealisticPage>,
): Promise<SampleResult> {
  const sheet = await page(job.page);
  const shot = await photographRealistic(sheet, {
    style: job.style,
    condition: job.condition,
    severity: job.severity,
    seed: SAMPLE_SEED,
  });
  const report = await assessActaImage(shot.bytes, { claimedKey: sheet.actaKey });
  const t = shot.truth;
  const reasons = report.reasons.map((r) => r.code);
  const scaled = isGraded(job.condition) || isBenign(job.condition);
  const record: SampleRecord = {
    severity: job.severity,
    value: scaled && job.severity !== null ? SCALES[job.condition].steps[job.severity - 1]! : null,
    unit: scaled && job.severity !== null ? SCALES[job.condition].unit : null,
    style: t.style,
    format: shot.format,
    width: shot.width,
    height: shot.height,
    dpi: t.dpi,
    readable: t.readable,
    nearThreshold: t.nearThreshold,
    labelVisible: t.labelVisible,
    failures: t.failures,
    verdict: report.verdict,
    reasons,
    asTargeted: expected(job.condition, t.readable, t.labelVisible, report.verdict, reasons),
  };
  // Scanner PNGs may be greyscale: every picture goes out as three-channel sRGB.
  const thumbnail = await sharp(shot.bytes)
    .resize({ width: THUMB_WIDTH })
    .toColourspace('srgb')
    .png({ compressionLevel: 1 })
    .toBuffer();
  // The crops are cut once the boxes are chosen, from all severities' truths (`cropRegion`).
  const bytes = LOCAL_CONDITIONS.includes(job.condition) ? shot.bytes : null;
  const { width, height, boxes } = sheet.layout;
  return { job: index, record, thumbnail, bytes, corners: t.corners, page: { width, height, boxes } };
}

// --- Strips and the table --------------------------------------------------------------------------

const escapeXml = (text: string) =>
  text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

function caption(condition: Condition, r: SampleRecord): [string, string] {
  const first = r.severity === null ? condition : `${r.severity} · ${r.value}`;
  const more = r.reasons.length > 1 ? ` +${r.reasons.length - 1}` : '';
  const verdict = r.reasons.length === 0 ? r.verdict : `${r.verdict}: ${r.reasons[0]}${more}`;
  return [
    `${first} · ${r.readable ? 'readable' : 'unreadable'}`,
    `gate ${verdict}${r.asTargeted ? '' : ' ✗'}`,
  ];
}

/** Cells side by side, each under its two-line caption, on white; one JPEG. */
async function strip(
  cells: readonly {
    readonly lines: readonly [string, string];
    readonly pictures: readonly { readonly input: Uint8Array; readonly left: number; readonly top: number }[];
  }[],
  cellWidth: number,
  cellHeight: number,
): Promise<Buffer> {
  const width = GAP + cells.length * (cellWidth + GAP);
  const height = CAPTION_HEIGHT + cellHeight + GAP;
  const texts = cells
    .map((cell, i) => {
      const x = GAP + i * (cellWidth + GAP);
      return cell.lines
        .map(
          (line, l) =>
            `<text x="${x}" y="${15 + l * 16}" font-family="DejaVu Sans" font-size="12" fill="#222">${escapeXml(line)}</text>`,
        )
        .join('');
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${CAPTION_HEIGHT}">${texts}</svg>`;
  const layers: OverlayOptions[] = [{ input: Buffer.from(svg), left: 0, top: 0 }];
  cells.forEach((cell, i) => {
    const x = GAP + i * (cellWidth + GAP);
    // Where the cell's area lies outside the image: a grey the reader does not take for paper.
    layers.push({
      input: { create: { width: cellWidth, height: cellHeight, channels: 3, background: '#b8b8b8' } },
      left: x,
      top: CAPTION_HEIGHT,
    });
    for (const p of cell.pictures)
      layers.push({ input: Buffer.from(p.input), left: x + p.left, top: CAPTION_HEIGHT + p.top });
  });
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .jpeg({ quality: JPEG_QUALITY, mozjpeg: false })
    .toBuffer();
}

async function pngSize(png: Uint8Array): Promise<{ width: number; height: number }> {
  const m = await sharp(png).metadata();
  return { width: m.width, height: m.height };
}

async function thumbnailStrip(condition: Condition, results: readonly SampleResult[]): Promise<Buffer> {
  const sizes = await Promise.all(results.map((r) => pngSize(r.thumbnail)));
  const cellHeight = Math.max(...sizes.map((s) => s.height));
  return strip(
    results.map((r, i) => ({
      lines: caption(condition, r.record),
      pictures: [{ input: r.thumbnail, left: 0, top: Math.floor((cellHeight - sizes[i]!.height) / 2) }],
    })),
    THUMB_WIDTH,
    cellHeight,
  );
}

async function cropStrip(
  condition: Condition,
  results: readonly SampleResult[],
  crops: readonly Crop[],
): Promise<Buffer> {
  const cellWidth = Math.max(...crops.map((c) => c.width));
  const cellHeight = Math.max(...crops.map((c) => c.height));
  return strip(
    results.map((r, i) => {
      const crop = crops[i]!;
      // Centred in the cell: a 30 dpi crop is a fifth of a 150 dpi one, and that is the point.
      const dx = Math.floor((cellWidth - crop.width) / 2);
      const dy = Math.floor((cellHeight - crop.height) / 2);
      return {
        lines: caption(condition, r.record),
        pictures: crop.png === null ? [] : [{ input: crop.png, left: dx + crop.left, top: dy + crop.top }],
      };
    }),
    cellWidth,
    cellHeight,
  );
}

function conditionKind(condition: Condition): ConditionSamples['kind'] {
  return isBenign(condition) ? 'benign' : isGraded(condition) ? 'graded' : 'page';
}

/** The Markdown section: per condition its strips and one row per shot. `link` turns a file name into the link. */
export function markdownTable(
  verdicts: SampleVerdicts,
  files: ReadonlyMap<string, readonly string[]>,
  link: (file: string) => string,
): string {
  const lines = [
    '### Samples of each condition at each severity',
    '',
    `One page (\`sampleActaContent\`, ${verdicts.digitSplit} handwriting, seed ${verdicts.seed}) under each condition at each severity, each shot judged full size by the gate under its own key (${verdicts.actaKey}). Thumbnails of the whole image; for local defects, 1:1 crops of the same three boxes. “readable” is the scene's truth (near = next to where it flips); ✗ marks a verdict the targets of issue 18 do not accept (a readable image not accepted, an unreadable one accepted or without its own reason, a lost label not sent to review). Made by \`node src/sim/acta_images/realistic/samples.ts docs/samples/realistic\`; the numbers are in [verdicts.json](${link('verdicts.json')}).`,
    '',
  ];
  for (const [condition, c] of Object.entries(verdicts.conditions)) {
    const heading = c.unit === null ? condition : `${condition} — ${c.unit}`;
    lines.push(`#### ${heading} (${c.kind}, ${c.style})`, '');
    for (const file of files.get(condition) ?? [])
      lines.push(
        `![${condition}${file.endsWith('-crops.jpg') ? ', 1:1 crops of three boxes' : ''}](${link(file)})`,
        '',
      );
    lines.push('| severity | value | readable | gate verdict (reason) |', '|---|---|---|---|');
    for (const s of c.samples) {
      const readable = `${s.readable ? 'yes' : 'no'}${s.nearThreshold ? ' (near)' : ''}${s.labelVisible ? '' : ', label lost'}`;
      const verdict = `${s.verdict}${s.reasons.length > 0 ? ` (${s.reasons.join(', ')})` : ''}${s.asTargeted ? '' : ' ✗'}`;
      lines.push(`| ${s.severity ?? '—'} | ${s.value ?? '—'} | ${readable} | ${verdict} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Renders the jobs on `workers` threads; results in job order. */
async function runJobs(jobs: readonly SampleJob[], workers: number): Promise<SampleResult[]> {
  const results: SampleResult[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from(
      { length: Math.max(1, Math.min(workers, jobs.length)) },
      () =>
        new Promise<void>((resolve, reject) => {
          const thread = new Worker(new URL('./samples_worker.ts', import.meta.url));
          const give = () => {
            if (next >= jobs.length) {
              void thread.terminate().then(() => resolve(), reject);
              return;
            }
            const index = next++;
            thread.postMessage({ index, job: jobs[index] });
          };
          thread.on('message', (result: SampleResult) => {
            results[result.job] = result;
            give();
          });
          thread.on('error', reject);
          thread.on('exit', (code) => {
            if (code !== 0 && code !== 1) reject(new Error(`samples worker exited with ${code}`));
          });
          give();
        }),
    ),
  );
  return results;
}

export async function makeRealisticSamples(
  out: string,
  options: { readonly only?: readonly Condition[]; readonly workers?: number } = {},
): Promise<{ verdicts: SampleVerdicts; files: Map<string, string[]>; table: string }> {
  await mkdir(out, { recursive: true });
  const jobs = sampleJobs(options.only);
  const results = await runJobs(jobs, options.workers ?? Math.min(2, os.availableParallelism()));
  const conditions: Record<string, ConditionSamples> = {};
  const files = new Map<string, string[]>();
  for (const condition of SAMPLE_CONDITIONS) {
    const these = results.filter((_, i) => jobs[i]!.condition === condition);
    if (these.length === 0) continue;
    const scaled = isGraded(condition) || isBenign(condition);
    conditions[condition] = {
      kind: conditionKind(condition),
      unit: scaled && condition !== 'clean' ? SCALES[condition].unit : null,
      style: sampleStyle(condition),
      ownReasons: OWN_REASONS[condition],
      samples: these.map((r) => r.record),
    };
    const written = [`${condition}.jpg`];
    await writeFile(path.join(out, `${condition}.jpg`), await thumbnailStrip(condition, these));
    const first = these[0]!;
    const region = LOCAL_CONDITIONS.includes(condition)
      ? cropRegion(
          first.page.boxes,
          these.map((r) => r.record),
        )
      : null;
    if (region !== null) {
      const crops = await Promise.all(these.map((r) => cropShot(r, region)));
      written.push(`${condition}-crops.jpg`);
      await writeFile(path.join(out, `${condition}-crops.jpg`), await cropStrip(condition, these, crops));
    }
    files.set(condition, written);
  }
  const verdicts: SampleVerdicts = {
    seed: SAMPLE_SEED,
    actaKey: sampleActaContent().actaKey,
    digitSplit: SAMPLE_DIGIT_SPLIT,
    conditions,
  };
  await writeFile(path.join(out, 'verdicts.json'), `${JSON.stringify(verdicts, null, 2)}\n`);
  const table = markdownTable(verdicts, files, (file) => file);
  await writeFile(path.join(out, 'table.md'), `${table}\n`);
  return { verdicts, files, table };
}

if (import.meta.main) {
  const out = process.argv[2];
  if (out === undefined) {
    process.stderr.write('usage: node src/sim/acta_images/realistic/samples.ts <folder>\n');
    process.exit(2);
  }
  const { verdicts, files } = await makeRealisticSamples(out);
  // Printed with links as docs/images.md sees them when the folder is under docs/.
  const fromDocs = path.relative('docs', out);
  const prefix = fromDocs.startsWith('..') ? out : fromDocs;
  process.stdout.write(
    `${markdownTable(verdicts, files, (file) => `${prefix.split(path.sep).join('/')}/${file}`)}\n`,
  );
}
