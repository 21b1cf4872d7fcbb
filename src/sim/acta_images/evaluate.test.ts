import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { calibrate } from './calibrate.ts';
import type { ImageDefect } from './defects.ts';
import { type JudgedImage, scoreJudgements } from './evaluate.ts';
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
