/**
 * The Content-Type of each file of the public root (docs/site.md, "Build and serve"), by its
 * name relative to that root: what the cut store puts a file into a bucket with
 * (src/publish/cut_store.ts) and what the cut server and a difusor's mirror serve it with
 * (src/mirror/static_server.ts). One table, so a file has one type wherever a reader gets it.
 *
 * Every answer carries `nosniff`, so the type alone says what a browser does with the bytes.
 * The types a browser renders as a page or runs (HTML, script, style, SVG) go only to the
 * site's own names, `index.html` and `assets/…`. A cut's file never has such a name, and one
 * that did — a cut is the center's data, which the mirror and the reader check rather than
 * trust — is `application/octet-stream`: downloaded, never a page or a script on the site's
 * origin, whose policy allows `script-src 'self'`.
 */
import path from 'node:path';

interface ContentType {
  readonly type: string;
  /** Rendered or run by a browser: given only to the site's own files. */
  readonly active: boolean;
}

const CONTENT_TYPES: Readonly<Record<string, ContentType>> = {
  '.csv': { type: 'text/csv; charset=utf-8', active: false },
  '.txt': { type: 'text/plain; charset=utf-8', active: false },
  '.json': { type: 'application/json; charset=utf-8', active: false },
  '.sig': { type: 'text/plain; charset=utf-8', active: false },
  '.pub': { type: 'text/plain; charset=utf-8', active: false },
  '.zip': { type: 'application/zip', active: false },
  '.png': { type: 'image/png', active: false },
  '.jpg': { type: 'image/jpeg', active: false },
  '.html': { type: 'text/html; charset=utf-8', active: true },
  '.js': { type: 'text/javascript; charset=utf-8', active: true },
  '.css': { type: 'text/css; charset=utf-8', active: true },
  '.svg': { type: 'image/svg+xml', active: true },
};

export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** Whether a name of the public root is one of the site's (`npm run build` → dist/site). */
export function isSiteName(name: string): boolean {
  return name === 'index.html' || name.startsWith('assets/');
}

/** The Content-Type of a file of the public root, by its name there (`/` between folders). */
export function publicContentType(name: string): string {
  const known = CONTENT_TYPES[path.posix.extname(name).toLowerCase()];
  if (known === undefined || (known.active && !isSiteName(name))) return UNKNOWN_CONTENT_TYPE;
  return known.type;
}
