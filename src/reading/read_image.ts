/**
 * One acta image read, start to end: decoded with sharp to grey (EXIF orientation applied, as the
 * gate sees it), straightened by the form's registration marks, every box of the acta's lines
 * read. Each way it can fail is a value (ReadFailure), never an exception: a reader that cannot
 * read an image is a figure on the dashboard, not a refusal to a device.
 */
import sharp, { type OutputInfo } from 'sharp';
import { boxRect, pageHeight } from '../domain/acta_form.ts';
import type { BoxRead, ReadFailure } from '../domain/reader_score.ts';
import { readActa } from '../reader/acta.ts';
import type { DigitModel } from '../reader/model.ts';
import { straighten } from '../reader/straighten.ts';

/** A phone photo of 12 MP and some margin; the gate refused larger ones before intake took them. */
const MAX_PIXELS = 40_000_000;

export async function readImage(
  bytes: Uint8Array,
  keys: readonly string[],
  model: DigitModel,
): Promise<{ boxes: BoxRead[]; failure: ReadFailure | null }> {
  if (keys.length === 0) return { boxes: [], failure: 'no_layout' };
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated', ignoreIcc: true })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch {
    return { boxes: [], failure: 'decode_error' };
  }
  const { data, info } = decoded;
  const grey =
    info.channels === 1
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : // b-w with an alpha channel left: keep the first of each pixel's channels.
        Uint8Array.from({ length: info.width * info.height }, (_, i) => data[i * info.channels]!);
  const page = straighten(
    { data: grey, width: info.width, height: info.height, channels: 1 },
    pageHeight(keys.length),
  );
  if (!page.ok) return { boxes: [], failure: 'marks_not_found' };
  const readings = readActa(
    page.value,
    keys.map((key, line) => ({ key, ...boxRect(line) })),
    model,
  );
  return {
    boxes: keys.map((key) => {
      const r = readings[key]!;
      return { key, value: r.value, confidence: Math.round(r.confidence * 1e6) / 1e6 };
    }),
    failure: null,
  };
}
