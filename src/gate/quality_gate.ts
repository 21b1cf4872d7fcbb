/**
 * The quality gate on an image file, as the center's intake and the CATD agent receive it: what
 * the bytes say before any pixel is decoded (container.ts: empty, not a JPEG or PNG, truncated,
 * data glued after the image, more pixels than allowed — a PNG that decompresses to gigapixels
 * stops here), then one decode with sharp (EXIF orientation applied, as a browser shows it;
 * CMYK and 16-bit images become 8-bit grey) at the working size, then the judgement
 * (judge.ts). A hostile file is answered with a reason, never with a throw.
 */
import sharp, { type OutputInfo } from 'sharp';
import { CONTAINER_LIMITS, type Container, pngDataExcess, readContainer } from './container.ts';
import type { Grey } from './measure.ts';
import { readLabelFullResolution } from './qr_label.ts';
import { defaultThresholds, type QualityThresholds } from './quality_config.ts';
import {
  judgeGrey,
  type QualityReason,
  type QualityReport,
  reason,
  refused,
  WORKING_SIZE,
  withLabel,
} from './judge.ts';

export {
  QUALITY_REASONS,
  type QualityReason,
  type QualityReasonCode,
  type QualityReport,
  type QualityVerdict,
} from './judge.ts';

/**
 * One decode of an image file to the gate's working size: EXIF orientation applied,
 * transparency on white paper, then 8-bit luminance whatever came in (grey, colour, CMYK,
 * 16-bit; on a grey page the conversion is the cheapest way to one channel). Throws what
 * libvips throws for a damaged file.
 */
export function decodeToWorkingSize(
  bytes: Uint8Array,
  maxPixels: number,
): Promise<{ data: Buffer; info: OutputInfo }> {
  // ignoreIcc: a phone's profile (Display P3, sRGB) keeps greys grey, and converting every
  // pixel through it costs a third of a 12 MP photo's decode (bench/images.ts); a CMYK file
  // still goes through libvips' CMYK profile.
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', ignoreIcc: true })
    .autoOrient()
    .resize({
      width: WORKING_SIZE,
      height: WORKING_SIZE,
      fit: 'inside',
      withoutEnlargement: true,
      kernel: 'linear',
    })
    .flatten({ background: '#ffffff' })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024).toLocaleString('es-MX')} KB`;

/**
 * A payload riding inside a well-formed image (CONTAINER_LIMITS): metadata, a colour profile
 * or image data beyond what a photo or a scan carries, or markup where text belongs. All
 * extra_data, the reason a file with bytes after its end already gets: what the person does is
 * the same (send the image as the camera or scanner made it), and the closed set of reasons
 * that devices and dashboards already know stays as it is.
 */
async function hiddenData(bytes: Uint8Array, c: Container): Promise<QualityReason | null> {
  const retake = 'envíe la imagen tal como la toma la cámara o el escáner';
  if (c.markupIn !== null)
    return reason(
      'extra_data',
      `el archivo trae marcas de página web (HTML) en sus metadatos (${c.markupIn}): ${retake}`,
    );
  if (c.metadataBytes > CONTAINER_LIMITS.metadataBytes)
    return reason(
      'extra_data',
      `el archivo trae ${kib(c.metadataBytes)} de metadatos (comentarios, datos de la cámara), más de los ${kib(CONTAINER_LIMITS.metadataBytes)} admitidos: ${retake}`,
    );
  if (c.iccBytes > CONTAINER_LIMITS.iccBytes)
    return reason(
      'extra_data',
      `el archivo trae un perfil de color de ${kib(c.iccBytes)}, más de los ${kib(CONTAINER_LIMITS.iccBytes)} admitidos: ${retake}`,
    );
  if (c.format === 'jpeg') {
    const most =
      c.width * c.height * c.channels * CONTAINER_LIMITS.jpegBytesPerPixelComponent +
      CONTAINER_LIMITS.jpegSlackBytes;
    if (c.imageDataBytes > most)
      return reason(
        'extra_data',
        `el archivo ocupa ${kib(c.imageDataBytes)}, mucho más de lo que ocupan sus ${c.width} × ${c.height} píxeles en una foto o un escaneo real (hasta ${kib(most)}): ${retake}`,
      );
    return null;
  }
  const excess = await pngDataExcess(bytes, c);
  if (excess === null)
    return reason(
      'damaged_file',
      'los datos de la imagen PNG están incompletos o dañados: tome la foto de nuevo',
    );
  if (excess > 0)
    return reason(
      'extra_data',
      `la imagen PNG trae ${kib(excess)} de datos después de sus píxeles (otro archivo escondido en ella): ${retake}`,
    );
  return null;
}

export async function assessActaImage(
  bytes: Uint8Array,
  options: {
    readonly claimedKey?: string;
    readonly thresholds?: QualityThresholds;
    /** False when only the image's quality and sheet are wanted (the capture view): the label is not read. */
    readonly readQr?: boolean;
  } = {},
): Promise<QualityReport> {
  const t = options.thresholds ?? defaultThresholds;
  const container = readContainer(bytes);
  if (!container.ok) {
    const code =
      container.code === 'empty'
        ? 'empty_file'
        : container.code === 'not-jpeg-or-png'
          ? 'not_an_image'
          : 'damaged_file';
    const words: Record<typeof code, string> = {
      empty_file: 'el archivo está vacío (0 bytes): tome la foto de nuevo',
      not_an_image: 'el archivo no es una imagen JPEG ni PNG: tome la foto de nuevo con la aplicación',
      damaged_file: `el archivo está incompleto o dañado (${container.message}): tome la foto de nuevo`,
    };
    return refused([reason(code, words[code])]);
  }
  const c = container.value;
  if (c.width * c.height > t.maxPixels)
    return refused([
      reason(
        'too_many_pixels',
        `la imagen dice medir ${c.width} × ${c.height} píxeles, más de lo admitido (${t.maxPixels / 1e6} millones): envíe la foto tal como la toma la cámara`,
      ),
    ]);
  if (c.trailingBytes > 0)
    return refused([
      reason(
        'extra_data',
        `el archivo trae ${c.trailingBytes} bytes después de la imagen (otro archivo pegado a ella): tome la foto de nuevo con la aplicación`,
      ),
    ]);
  const hidden = await hiddenData(bytes, c);
  if (hidden !== null) return refused([hidden]);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await decodeToWorkingSize(bytes, t.maxPixels);
  } catch (error) {
    return refused([
      reason(
        'damaged_file',
        `la imagen no se puede leer (${(error as Error).message.split('\n')[0]}): tome la foto de nuevo`,
      ),
    ]);
  }
  const { width: w, height: h, channels } = decoded.info;
  // One channel is what libvips gives for b-w; should an image keep more, its first is the grey.
  const grey = channels === 1 ? decoded.data : decoded.data.filter((_, i) => i % channels === 0);
  const image: Grey = { data: grey, width: w, height: h };
  // The displayed size: a quarter turn in the EXIF orientation swaps the stored sides.
  const turned = decoded.info.width > decoded.info.height !== c.width > c.height;
  const width = turned ? c.height : c.width;
  const height = turned ? c.width : c.height;
  const report = judgeGrey(image, {
    width,
    height,
    jpegQuality: c.jpegQuality,
    thresholds: t,
    readQr: null,
  });
  if (options.readQr === false) return report;
  // Read on a rejected image too: the console and the journal show which acta it was.
  const label = await readLabelFullResolution(
    bytes,
    image,
    { width, height, maxPixels: t.maxPixels },
    report.corners,
  );
  return withLabel(report, label.key, options.claimedKey);
}
