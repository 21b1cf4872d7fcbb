/**
 * The phone's check is the quality gate's judgement on a canvas's pixels: here the canvas is
 * played by sharp (RGBA at the working size, as getImageData gives it) on synthetic actas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import type { ImageDefect } from '../sim/acta_images/defects.ts';
import { assessActaImage } from '../gate/quality_gate.ts';
import { testActaImage } from '../test/actas.ts';
import { assessActaPhoto, greyOfRgba, WORKING_SIZE } from './quality.ts';

async function onCanvas(bytes: Buffer) {
  const taken = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes)
    .resize({ width: WORKING_SIZE, height: WORKING_SIZE, fit: 'inside', withoutEnlargement: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return assessActaPhoto(greyOfRgba(data), info.width, info.height, {
    width: taken.width ?? 0,
    height: taken.height ?? 0,
  });
}

describe('phone quality check', () => {
  test('a good phone photo and a good scan are accepted', async () => {
    for (const style of ['phone', 'scanner'] as const) {
      const verdict = await onCanvas((await testActaImage({ style })).png);
      assert.ok(verdict.accepted, `${style}: ${verdict.advice.join(' | ')}`);
    }
  });

  test('bad photos are refused with the advice the center would give, in Spanish', async () => {
    const cases: [ImageDefect, RegExp][] = [
      ['blur', /^la imagen está borrosa: sostenga el teléfono firme/],
      ['motion_blur', /^la imagen salió movida/],
      ['too_dark', /^la imagen está oscura/],
      ['glare', /^hay un reflejo sobre el acta/],
      ['cut_corner', /^falta la esquina inferior derecha/],
      ['rotated', /^la hoja está torcida/],
      ['low_resolution', /^resolución insuficiente/],
      ['wrong_document', /^no parece un acta/],
    ];
    for (const [defect, advice] of cases) {
      const { png } = await testActaImage({ style: 'phone', defects: [defect] });
      const verdict = await onCanvas(png);
      assert.equal(verdict.accepted, false, defect);
      assert.ok(
        verdict.advice.some((a) => advice.test(a)),
        `${defect}: ${verdict.advice.join(' | ')}`,
      );
      // The same judgement as the center's gate (which also reads the QR label).
      const center = await assessActaImage(png);
      assert.ok(
        verdict.report.reasons.every((r) => center.reasons.some((c) => c.code === r.code)),
        `${defect}: phone ${verdict.report.reasons.map((r) => r.code)} center ${center.reasons.map((r) => r.code)}`,
      );
    }
  });

  test('RGBA to grey uses the BT.601 weights', () => {
    assert.deepEqual(
      [...greyOfRgba(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 0]))],
      [76, 149, 29, 255],
    );
  });
});
