import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hardCases } from '../test/hard_actas.ts';
import { QUALITY_REASONS } from './judge.ts';
import { assessActaImage } from './quality_gate.ts';

const KEY = '010338B010001';

const judged = async (name: keyof Awaited<ReturnType<typeof hardCases>>) => {
  const report = await assessActaImage((await hardCases())[name], { claimedKey: KEY });
  return { report, codes: report.reasons.map((r) => r.code) };
};

test('a strong top-to-bottom light gradient is accepted: no glare, no missing corner, no skew', async () => {
  const { report, codes } = await judged('gradient');
  assert.equal(report.verdict, 'accept', codes.join(', '));
  assert.ok(Math.abs(report.measures?.skewDegrees ?? 99) < 1);
  assert.equal(report.measures?.washedTiles, 0);
});

test("a hand's shadow over the boxes is a shadow, not a turned sheet", async () => {
  const { report, codes } = await judged('shadow');
  assert.equal(report.verdict, 'reject');
  assert.ok(codes.includes('shadow'), codes.join(', '));
  assert.ok(!codes.includes('skewed') && !codes.includes('sideways'), codes.join(', '));
  assert.match(report.reasons.find((r) => r.code === 'shadow')!.message, /sombra.*repita/);
});

test("on a phone shot too: a strong gradient is accepted, a hand's shadow over the boxes is a shadow", async () => {
  const gradient = await judged('phoneGradient');
  assert.equal(gradient.report.verdict, 'accept', gradient.codes.join(', '));
  const shadow = await judged('phoneShadow');
  assert.deepEqual(shadow.codes, ['shadow']);
});

test('a lighter shadow the digits are still read through is no reason', async () => {
  const { report, codes } = await judged('lightShadow');
  assert.equal(report.verdict, 'accept', codes.join(', '));
  assert.ok((report.measures?.shadowShare ?? 0) > 0.03, 'the shadow is seen');
  assert.ok((report.measures?.shadowContrast ?? 0) > 60, 'and the ink keeps its contrast in it');
});

test('a scan missing 15% of its right side and of its bottom is a cut edge, named', async () => {
  const { report, codes } = await judged('cutScan');
  assert.equal(report.verdict, 'reject');
  assert.ok(codes.includes('cut_edge'), codes.join(', '));
  assert.match(
    report.reasons.find((r) => r.code === 'cut_edge')!.message,
    /^faltan el borde derecho y el inferior de la hoja: encuadre la hoja completa y repita/,
  );
  // The top left registration mark was found: this is a marked form, cut short.
  assert.ok(report.measures?.marks.top_left !== null);
  assert.equal(report.measures?.marks.bottom_right, null);
  // A sliver off the margin, through the marks but short of the boxes, leaves the page whole.
  const sliver = await judged('sliver');
  assert.ok(!sliver.codes.includes('cut_edge'), sliver.codes.join(', '));
  assert.notEqual(sliver.report.verdict, 'reject', sliver.codes.join(', '));
});

test('strong perspective is keystone, measured on the registration marks', async () => {
  const { report, codes } = await judged('keystone');
  assert.equal(report.verdict, 'reject');
  assert.deepEqual(codes, ['keystone']);
  assert.ok(
    Object.values(report.measures?.marks ?? {}).every((p) => p !== null),
    'all four marks found',
  );
  assert.ok((report.measures?.keystone ?? 0) > 1.7, `${report.measures?.keystone}`);
  // The far edge 80% of the near one is still read: accepted.
  const moderate = await judged('moderateKeystone');
  assert.equal(moderate.report.verdict, 'accept', moderate.codes.join(', '));
});

test('a small saturated reflection over the digits is glare', async () => {
  const { report, codes } = await judged('glareBlob');
  assert.equal(report.verdict, 'reject');
  assert.deepEqual(codes, ['glare']);
  assert.ok((report.measures?.glareOverBoxes ?? 0) > 0.2);
});

test('whitened scanner paper (255, with dark ink) is accepted, neither glare nor overexposed', async () => {
  const { report, codes } = await judged('whitened');
  assert.equal(report.verdict, 'accept', codes.join(', '));
  assert.ok((report.measures?.clippedShare ?? 0) > 0.8, 'the paper is clipped');
});

test('a page on a near-black table is accepted: its registration marks are not missing corners', async () => {
  const { report, codes } = await judged('darkTable');
  assert.equal(report.verdict, 'accept', codes.join(', '));
  assert.deepEqual(report.measures?.missingCorners, []);
  assert.ok(
    Object.values(report.measures?.marks ?? {}).every((p) => p !== null),
    'all four marks found',
  );
});

test('sharpness at a fixed physical resolution: σ 1.5 px at 150 dpi is read, σ 7 px (1.2 mm) is blurred', async () => {
  const mild = await judged('mildBlur150');
  assert.equal(mild.report.verdict, 'accept', mild.codes.join(', '));
  const strong = await judged('strongBlur150');
  assert.equal(strong.report.verdict, 'reject');
  assert.ok(strong.codes.includes('blurry'), strong.codes.join(', '));
});

test('a page without registration marks is not an acta (every acta form prints them, other documents do not)', async () => {
  const { report, codes } = await judged('unmarked');
  assert.deepEqual(codes, ['not_an_acta']);
  assert.ok(
    Object.values(report.measures?.marks ?? {}).every((p) => p === null),
    'no mark found',
  );
  // Its table alone would have passed: the marks decide.
  assert.ok((report.measures?.tableEvidence ?? 0) > 0.4);
});

test('the new reasons are in the closed set', () => {
  for (const code of ['shadow', 'cut_edge', 'keystone'])
    assert.ok((QUALITY_REASONS as readonly string[]).includes(code));
});
