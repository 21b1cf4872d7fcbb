/**
 * Builds the public site (`src/site/`) and the operators' console (`src/console/`) with Vite,
 * each into a folder of static files (`dist/site`, `dist/console`): `index.html`, hashed
 * scripts and styles under `assets/`. Every script and stylesheet the page
 * loads carries Subresource Integrity (SHA-384), so a CDN or mirror that alters one byte of
 * the code gets it refused by the browser; the page's Content Security Policy allows scripts
 * and styles from its own origin only.
 *
 *   node src/site/build.ts            (npm run build)
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const SITE = path.dirname(fileURLToPath(import.meta.url));
const CONSOLE = path.resolve(SITE, '../console');
export const DEFAULT_SITE_OUT = path.resolve(SITE, '../../dist/site');
export const DEFAULT_CONSOLE_OUT = path.resolve(SITE, '../../dist/console');

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

export function buildSite(outDir: string = DEFAULT_SITE_OUT): Promise<void> {
  return buildApp(SITE, outDir);
}

export function buildConsole(outDir: string = DEFAULT_CONSOLE_OUT): Promise<void> {
  return buildApp(CONSOLE, outDir);
}

async function buildApp(root: string, outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    root,
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
  await Promise.all([buildSite(), buildConsole()]);
  console.log(`built the public site in ${DEFAULT_SITE_OUT} and the console in ${DEFAULT_CONSOLE_OUT}`);
}
