import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { calibrate, calibrationRecords } from './calibrate.ts';
import type { ImageDefect } from './defects.ts';
import {
  type JudgedImage,
  type JudgedRealistic,
  type RealisticReport,
  scoreJudgements,
  scoreRealistic,
} from './evaluate.ts';
import { defaultThresholds } from '../../gate/quality_config.ts';
import type { QualityReasonCode, QualityVerdict } from '../../gate/quality_gate.ts';

const MAIN = path.join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

function judged(
  index: number,
  options: {
    defects?: ImageDefect[];
    verdict?: QualityVerdict;
    reasons?: QualityReasonCode[];
    claimed?: string;
    qr?: string | null;
    sharpness?: number;
  } = {},
): JudgedImage {
  const key = `KEY${index}`;
  const sharpness = options.sharpness ?? 0.8;
  return {
    index,
    actaKey: key,
    claimedKey: options.claimed ?? key,
    style: index % 2 === 0 ? 'scanner' : 'phone',
    defects: options.defects ?? [],
    verdict: options.verdict ?? 'accept',
    reasons: options.reasons ?? [],
    qr: options.qr === undefined ? key : options.qr,
    measures: {
      sheetShare: 1,
      skewDegrees: 0,
      sideways: false,
      corners: null,
      missingCorners: [],
      sheetWidth: 1000,
      paperLevel: 240,
      inkLevel: 20,
      clippedShare: 0,
      washedTiles: 0,
      shadowShare: 0,
      shadowContrast: 255,
      glareOverBoxes: 0,
      marks: { top_left: null, top_right: null, bottom_right: null, bottom_left: null },
      cutSides: [],
      keystone: 1,
      cutIntoForm: [],
      tableCorners: null,
      tableHead: false,
      sharpnessX: sharpness,
      sharpnessY: sharpness,
      tableEvidence: 0.5,
      dpi: 200,
      jpegQuality: null,
    },
    ms: 10,
  };
}

test('the score: recall on defective images, good ones refused, QR identified, wrong keys accepted', () => {
  const report = scoreJudgements([
    judged(0),
    judged(1),
    judged(2, { verdict: 'reject', reasons: ['glare'] }), // a good image refused
    judged(3, { defects: ['blur'], verdict: 'reject', reasons: ['blurry'] }),
    judged(4, { defects: ['blur'], verdict: 'reject', reasons: ['too_dark'] }), // caught, wrong reason
    judged(5, { defects: ['glare'] }), // missed
    judged(6, { claimed: 'KEY7', verdict: 'review', reasons: ['qr_mismatch'] }),
    judged(7, { claimed: 'KEY8' }), // accepted under another key
  ]);
  assert.equal(report.images, 8);
  assert.equal(report.defective, 3);
  assert.equal(report.recall_defective, 0.6667);
  // Good images claimed truthfully: 0, 1, 2 — one refused.
  assert.equal(report.false_reject_good, 0.3333);
  assert.equal(report.wrong_key_claims, 2);
  assert.equal(report.wrong_key_accepted, 1);
  assert.equal(report.targets_met, false);
  assert.deepEqual(report.per_defect['blur'], {
    images: 2,
    caught: 2,
    recall: 1,
    reason_named: 0.5,
    reasons: { blurry: 1, too_dark: 1 },
  });
  assert.equal(report.per_defect['glare']?.recall, 0);
  assert.deepEqual(report.defective_accepted_examples, [
    { actaKey: 'KEY5', style: 'phone', defects: ['glare'] },
  ]);
});

test('calibration: halfway between good and defective when they separate; fewest wrong when they overlap', () => {
  const separated = calibrate(
    [
      judged(0, { sharpness: 0.7 }),
      judged(1, { sharpness: 0.9 }),
      judged(2, { defects: ['blur'], sharpness: 0.3 }),
      judged(3, { defects: ['motion_blur'], sharpness: 0.5 }),
    ],
    defaultThresholds,
    'test',
  );
  assert.equal(separated.thresholds.minSharpness, 0.6);
  assert.equal(separated.report['minSharpness']?.separated, true);
  assert.equal(separated.thresholds.calibration, 'test');
  const overlapping = calibrate(
    [
      judged(0, { sharpness: 0.4 }),
      judged(1, { sharpness: 0.9 }),
      judged(2, { sharpness: 0.95 }),
      judged(3, { defects: ['blur'], sharpness: 0.3 }),
      judged(4, { defects: ['blur'], sharpness: 0.5 }),
    ],
    defaultThresholds,
    'test',
  );
  const report = overlapping.report['minSharpness']!;
  assert.equal(report.separated, false);
  assert.equal(report.good_refused + report.defective_missed, 1);
});

test('`quality evaluate` prints one JSON object with the figures, and its exit code says whether the targets are met', () => {
  const run = spawnSync(
    process.execPath,
    [MAIN, 'quality', 'evaluate', '--count', '16', '--seed', '3', '--defective', '0.5', '--jobs', '2'],
    { encoding: 'utf8', timeout: 240_000 },
  );
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, run.stdout + run.stderr);
  const report = JSON.parse(lines[0]!) as Record<string, unknown>;
  for (const field of ['recall_defective', 'false_reject_good', 'qr_identified', 'wrong_key_accepted'])
    assert.ok(field in report, field);
  assert.equal(report['images'], 16);
  assert.equal(run.status, report['targets_met'] === true ? 0 : 1);
  const bad = spawnSync(process.execPath, [MAIN, 'quality', 'evaluate', '--count', 'many'], {
    encoding: 'utf8',
  });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--count/);
});

function realistic(
  index: number,
  options: Partial<Omit<JudgedRealistic, 'index' | 'actaKey'>> = {},
): JudgedRealistic {
  const key = `KEY${index}`;
  return {
    index,
    actaKey: key,
    claimedKey: key,
    style: 'phone',
    format: 'jpeg',
    condition: 'clean',
    severity: null,
    readable: true,
    nearThreshold: false,
    labelVisible: true,
    expectedReasons: [],
    verdict: 'accept',
    reasons: [],
    qr: key,
    measures: null,
    ms: 10,
    ...options,
  };
}

test('the realistic score: readable and unreadable, near-threshold apart, per condition × severity', () => {
  const blur = { condition: 'blur', expectedReasons: ['blurry'] } as const;
  const report = scoreRealistic([
    realistic(0),
    realistic(1, { verdict: 'reject', reasons: ['glare'] }), // a readable image refused
    realistic(2, { qr: null, verdict: 'review', reasons: ['qr_unreadable'] }), // label not read
    realistic(3, { ...blur, severity: 5, readable: false, verdict: 'reject', reasons: ['blurry'] }),
    realistic(4, { ...blur, severity: 4, readable: false, nearThreshold: true, reasons: [] }), // missed
    realistic(5, { ...blur, severity: 3, nearThreshold: true, verdict: 'reject', reasons: ['blurry'] }),
    realistic(6, { ...blur, severity: 5, readable: false, verdict: 'reject', reasons: ['too_dark'] }),
    realistic(7, { claimedKey: 'KEY8' }), // accepted under another key
    realistic(8, {
      condition: 'qr_missing',
      labelVisible: false,
      qr: null,
      verdict: 'review',
      reasons: ['qr_unreadable'],
    }),
  ]);
  assert.equal(report.images, 9);
  // Readable, label on, own key: 0, 1, 2, 5 — three refused.
  assert.deepEqual(report.readable, { count: 4, false_reject: 0.75, label_identified: 0.8 });
  assert.deepEqual(report.unreadable, { count: 3, recall: 0.6667, own_reason: 0.3333 });
  assert.deepEqual(report.near_threshold.unreadable, { count: 1, recall: 0, own_reason: 0 });
  assert.deepEqual(report.clear.unreadable, { count: 2, recall: 1, own_reason: 0.5 });
  assert.deepEqual(report.clear.readable, { count: 3, false_reject: 0.6667, label_identified: 0.75 });
  assert.deepEqual(report.label_missing_or_damaged, { count: 1, review_qr_unreadable: 1, rejected: 0 });
  assert.equal(report.wrong_key_claims, 1);
  assert.equal(report.wrong_key_accepted, 1);
  assert.equal(report.targets_met, false);
  assert.deepEqual(report.per_condition['blur']?.['5'], {
    count: 2,
    readable_share: 0,
    accepted: 0,
    reasons: { blurry: 1, too_dark: 1 },
  });
  assert.equal(report.per_condition['clean']?.['-']?.count, 4);
  assert.deepEqual(report.unreadable_accepted_examples, [
    { index: 4, actaKey: 'KEY4', style: 'phone', condition: 'blur', severity: 4 },
  ]);
  // All well: the targets are met.
  assert.equal(
    scoreRealistic([
      realistic(0),
      realistic(1, { ...blur, readable: false, verdict: 'reject', reasons: ['blurry'] }),
    ]).targets_met,
    true,
  );
});

test('`quality evaluate --realistic` prints one JSON object whose figures add up', () => {
  const run = spawnSync(
    process.execPath,
    [MAIN, 'quality', 'evaluate', '--realistic', '--count', '10', '--seed', '5', '--jobs', '2'],
    { encoding: 'utf8', timeout: 240_000 },
  );
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, run.stdout + run.stderr);
  const report = JSON.parse(lines[0]!) as RealisticReport & { set: string; digit_split: string };
  assert.equal(report.set, 'realistic');
  assert.equal(report.digit_split, 'test');
  assert.equal(report.images, 10);
  assert.equal(run.status, report.targets_met ? 0 : 1);
  let cells = 0;
  for (const bySeverity of Object.values(report.per_condition))
    for (const cell of Object.values(bySeverity)) {
      cells += cell.count;
      assert.ok(cell.accepted <= cell.count);
      assert.ok(cell.readable_share !== null && cell.readable_share >= 0 && cell.readable_share <= 1);
    }
  assert.equal(cells, 10);
  // Near-threshold and clear split the readable and unreadable images between them.
  assert.equal(report.near_threshold.readable.count + report.clear.readable.count, report.readable.count);
  assert.equal(
    report.near_threshold.unreadable.count + report.clear.unreadable.count,
    report.unreadable.count,
  );
  assert.ok(report.readable.count + report.unreadable.count + report.label_missing_or_damaged.count <= 10);
  for (const field of ['false_reject', 'label_identified'] as const) assert.ok(field in report.readable);
  for (const field of ['recall', 'own_reason'] as const) assert.ok(field in report.unreadable);
  assert.equal(typeof report.wrong_key_accepted, 'number');
});

test('calibration on the realistic set: readable images are good, unreadable ones defective under their condition', () => {
  const records = calibrationRecords([
    realistic(0),
    realistic(1, { condition: 'blur', severity: 5, readable: false, expectedReasons: ['blurry'] }),
    realistic(2, { condition: 'blur', severity: 4, readable: false, nearThreshold: true }), // near: where the threshold goes
    realistic(3, { condition: 'shadow', severity: 5, readable: false }), // no calibration rule: left out
    realistic(4, { condition: 'qr_missing' }), // label gone: not a good image for the thresholds
    realistic(5, { claimedKey: 'KEY6' }), // claimed wrongly: left out
  ]);
  assert.deepEqual(
    records.map((r) => [r.index, r.defects]),
    [
      [0, []],
      [1, ['blur']],
      [2, ['blur']],
    ],
  );
});
