/**
 * Synthetic acta images for tests (src/sim/acta_images): one acta's content, rendered as a scanner or a
 * phone would take it, with or without a defect; kept per process, since rendering takes a
 * fraction of a second.
 */
import type { ImageDefect } from '../sim/acta_images/defects.ts';
import { type RenderedActa, renderActa } from '../sim/acta_images/render_acta.ts';
import { sampleActaContent } from '../sim/acta_images/acta_set.ts';

const cache = new Map<string, Promise<RenderedActa>>();

/** The test acta `actaKey` as `style` takes it, with `defects`; the same bytes for the same arguments. */
export function testActaImage(
  options: {
    actaKey?: string;
    style?: 'scanner' | 'phone';
    defects?: readonly ImageDefect[];
    seed?: number;
  } = {},
): Promise<RenderedActa> {
  const key = JSON.stringify(options);
  let rendered = cache.get(key);
  if (rendered === undefined) {
    rendered = renderActa(sampleActaContent(options.actaKey), options.seed ?? 11, {
      style: options.style ?? 'scanner',
      defects: options.defects ?? [],
    });
    cache.set(key, rendered);
  }
  return rendered;
}
