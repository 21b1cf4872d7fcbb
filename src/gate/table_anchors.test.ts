/**
 * The table's corners as the gate's anchors (measure.ts `tableRules`): found on both forms the
 * project draws — the older synthetic one (3 px rules above and below the table) and the
 * realistic one (a dark head bar, a 3 px bottom rule) — where the form puts them, and not on
 * another document of the package.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MARGIN, PAGE, TABLE_TOP, tableBottom } from '../domain/acta_form.ts';
import { sampleActaContent } from '../sim/acta_images/acta_set.ts';
import { renderCheckedRealisticPage } from '../sim/acta_images/realistic/page.ts';
import { photographRealistic } from '../sim/acta_images/realistic/scene.ts';
import { testActaImage } from '../test/actas.ts';
import { CORNERS } from './measure.ts';
import { assessActaImage } from './quality_gate.ts';

test("the older synthetic form's scan: the table's four corners are the ends of its two rules, within 2 pixels", async () => {
  const { png } = await testActaImage({ style: 'scanner' });
  const report = await assessActaImage(png, { readQr: false });
  const m = report.measures!;
  assert.ok(m.tableHead);
  // The scan is the page, squarely: form pixels scale by the sheet's width.
  const scale = m.sheetWidth / PAGE.width;
  const lines = sampleActaContent().boxes.length;
  const want = {
    top_left: { x: MARGIN, y: TABLE_TOP - 20 },
    top_right: { x: PAGE.width - MARGIN, y: TABLE_TOP - 20 },
    bottom_right: { x: PAGE.width - MARGIN, y: tableBottom(lines) },
    bottom_left: { x: MARGIN, y: tableBottom(lines) },
  };
  for (const name of CORNERS) {
    const p = m.tableCorners?.[name];
    assert.ok(p, `${name} not found`);
    const d = Math.hypot(p.x - want[name].x * scale, p.y - want[name].y * scale);
    assert.ok(d <= 2, `${name}: ${JSON.stringify(p)} is ${d.toFixed(1)} px off`);
  }
});

test("the older synthetic form's phone shot, turned and in perspective: four table corners, inside the sheet's", async () => {
  const { png } = await testActaImage({ style: 'phone' });
  const m = (await assessActaImage(png, { readQr: false })).measures!;
  assert.ok(m.tableCorners !== null && m.corners !== null);
  for (const name of CORNERS) assert.ok(m.tableCorners[name] !== null, name);
  const t = m.tableCorners as Record<(typeof CORNERS)[number], { x: number; y: number }>;
  assert.ok(t.top_left.x > m.corners.top_left.x && t.top_left.y > m.corners.top_left.y);
  assert.ok(t.bottom_right.x < m.corners.bottom_right.x && t.bottom_right.y < m.corners.bottom_right.y);
});

test("the realistic acta's head bar and bottom rule are found, on a scan and a phone shot; the constancia de clausura has no table head", async () => {
  for (const document of ['acta', 'other'] as const) {
    const page = await renderCheckedRealisticPage(sampleActaContent(), {
      seed: 2,
      label: 'present',
      document,
      digitSplit: 'train',
    });
    for (const style of ['scanner', 'phone'] as const) {
      const shot = await photographRealistic(page, { style, condition: 'clean', severity: null, seed: 4 });
      const m = (await assessActaImage(shot.bytes, { readQr: false })).measures!;
      if (document === 'acta') {
        assert.equal(m.tableHead, true, style);
        for (const name of CORNERS) assert.ok(m.tableCorners?.[name], `${style}: ${name}`);
      } else {
        assert.equal(m.tableHead, false, style);
        for (const name of CORNERS) assert.equal(m.tableCorners?.[name] ?? null, null, `${style}: ${name}`);
      }
    }
  }
});
