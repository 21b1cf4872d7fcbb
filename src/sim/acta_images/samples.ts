/**
 * The sample images in docs/samples, made again: `node src/sim/acta_images/samples.ts docs/samples`.
 * A few synthetic actas (good and defective, scanner and phone) at a size a reader can open,
 * the quality gate's verdict on each original written beside them (verdicts.json), and the
 * capture view of a phone shot. Deterministic: the same files every time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import sharp from 'sharp';
import { sampleActaContent } from './acta_set.ts';
import type { ImageDefect } from './defects.ts';
import { assessActaImage } from '../../gate/quality_gate.ts';
import { renderActa } from './render_acta.ts';
import { sheetView } from '../../gate/sheet_view.ts';

const SAMPLES: readonly [file: string, style: 'scanner' | 'phone', defects: ImageDefect[]][] = [
  ['acta-escaner.png', 'scanner', []],
  ['acta-telefono.jpg', 'phone', []],
  ['acta-telefono-reflejo.jpg', 'phone', ['glare']],
  ['acta-borrosa.jpg', 'phone', ['motion_blur']],
  ['acta-esquina-cortada.jpg', 'phone', ['cut_corner']],
  ['acta-oscura.jpg', 'phone', ['too_dark']],
  ['acta-girada.png', 'scanner', ['rotated']],
  ['acta-sin-etiqueta.jpg', 'phone', ['qr_damaged']],
  ['otro-documento.jpg', 'phone', ['wrong_document']],
];

const out = process.argv[2];
if (out === undefined) {
  process.stderr.write('usage: node src/sim/acta_images/samples.ts <folder>\n');
  process.exit(2);
}
await mkdir(out, { recursive: true });
const content = sampleActaContent();
const verdicts: Record<string, unknown> = {};
for (const [file, style, defects] of SAMPLES) {
  const { png } = await renderActa(content, 11, { style, defects });
  const report = await assessActaImage(png, { claimedKey: content.actaKey });
  verdicts[file] = { style, defects, verdict: report.verdict, reasons: report.reasons.map((r) => r.message) };
  // The scanner page at its size; the others reduced for reading on a page.
  const image = file === 'acta-escaner.png' ? sharp(png) : sharp(png).resize({ width: 700 });
  await writeFile(
    path.join(out, file),
    file.endsWith('.png') ? await image.png().toBuffer() : await image.jpeg({ quality: 80 }).toBuffer(),
  );
  if (file === 'acta-telefono.jpg' && report.corners !== null) {
    const view = await sheetView(png, report.corners);
    await writeFile(
      path.join(out, 'vista-de-captura.jpg'),
      await sharp(view.jpeg).resize({ width: 700 }).jpeg({ quality: 80 }).toBuffer(),
    );
  }
}
await writeFile(path.join(out, 'verdicts.json'), `${JSON.stringify(verdicts, null, 2)}\n`);
process.stdout.write(`${SAMPLES.length} samples, their verdicts and a capture view in ${out}\n`);
