/**
 * Builds the public site with Vite into a folder of static files (`dist/site` by default):
 * `index.html`, hashed scripts and styles under `assets/`. Every script and stylesheet the page
 * loads carries Subresource Integrity (SHA-384), so a CDN or mirror that alters one byte of
 * the code gets it refused by the browser; the page's Content Security Policy allows scripts
 * and styles from its own origin only.
 *
 *   node src/site/build.ts [out folder]
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const SITE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_SITE_OUT = path.resolve(SITE, '../../dist/site');

/** Adds integrity="sha384-…" to every <script src> and <link href> of the page that names a built file. */
export function subresourceIntegrity(): Plugin {
  return {
    name: 'openprep-subresource-integrity',
    enforce: 'post',
    apply: 'build',
    generateBundle(_options, bundle) {
      const digest = (fileName: string): string | null => {
        const item = bundle[fileName];
        if (item === undefined) return null;
        const bytes = item.type === 'chunk' ? item.code : item.source;
        return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
      };
      for (const item of Object.values(bundle)) {
        if (item.type !== 'asset' || !item.fileName.endsWith('.html')) continue;
        const html = typeof item.source === 'string' ? item.source : new TextDecoder().decode(item.source);
        item.source = html.replace(
          /<(script|link)\b([^>]*?)\s(src|href)="([^"]+)"([^>]*)>/g,
          (tag, name, before, attribute, url, after) => {
            if (/\sintegrity=/.test(tag)) return tag;
            const integrity = digest(url.replace(/^\.?\//, ''));
            if (integrity === null) return tag;
            return `<${name}${before} ${attribute}="${url}" integrity="${integrity}"${after}>`;
          },
        );
        const missing = /<(?:script|link)\b(?![^>]*integrity=)[^>]*(?:src|href)="\.?\/?assets\//.exec(
          item.source,
        );
        if (missing !== null) this.error(`no integrity for ${missing[0]}`);
      }
    },
  };
}

export async function buildSite(outDir: string = DEFAULT_SITE_OUT): Promise<void> {
  const { build } = await import('vite');
  await build({
    root: SITE,
    base: './',
    logLevel: 'warn',
    configFile: false,
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // One small script and one stylesheet: nothing inlined as data: URLs the CSP would refuse.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
    plugins: [subresourceIntegrity()],
  } as Parameters<typeof build>[0]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? DEFAULT_SITE_OUT);
  await buildSite(out);
  console.log(`site built in ${out}`);
}
