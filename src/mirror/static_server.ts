/**
 * A plain read-only HTTP server for the cuts folder and the public site (`src/site/`, built
 * into a folder of its own): `/`, `/index.html` and `/assets/…` come from the site's folder,
 * everything else from the cuts folder — the same layout a CDN or a mirror serves from one
 * root (docs/site.md). Static files only: no database on the read path. Paths are resolved
 * inside their root and never follow a name outside it. The demo serves its night with it, and
 * `openprep mirror` (./mirror.ts) the cuts it verified, with a few routes of its own in front.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { publicContentType } from '../platform/content_types.ts';

/**
 * The site's policy (docs/site.md); files that are not pages are covered by it harmlessly.
 * `connect-src` allows `https:` besides the site's own origin because the verify page compares
 * the cut the reader received with any mirror the reader names (gossip, docs/trust.md §5): the
 * reader chooses the mirror, so no fixed list can name it. What the page reads there is public,
 * signed data it only hashes and compares — never script (`script-src 'self'`) — and the page
 * holds nothing secret to send; plain `http:` stays refused, so a mirror is compared over TLS.
 */
export const SITE_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': SITE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * What a mirror adds to every answer: the cuts are public, signed data, so any site may read
 * them — which is what lets a reader's page on another origin compare with this mirror.
 */
export const PUBLIC_READ_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function listing(root: string, relative: string): Promise<string> {
  const dir = path.join(root, relative);
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? 1 : -1));
  let latest = '';
  if (relative === '') {
    try {
      const pointer = JSON.parse(await readFile(path.join(root, 'latest.json'), 'utf8')) as { cut?: string };
      if (typeof pointer.cut === 'string')
        latest = `<p>Último corte: <a href="/${encodeURIComponent(pointer.cut)}/">${escapeHtml(pointer.cut)}</a></p>`;
    } catch {
      latest = '<p>Aún no hay cortes publicados.</p>';
    }
  }
  const items = entries
    .map((entry) => {
      const name = entry.name + (entry.isDirectory() ? '/' : '');
      return `<li><a href="${encodeURIComponent(entry.name)}${entry.isDirectory() ? '/' : ''}">${escapeHtml(name)}</a></li>`;
    })
    .join('\n');
  const title = relative === '' ? 'OpenPREP — cortes publicados' : `OpenPREP — ${escapeHtml(relative)}`;
  return `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>${title}</h1>${latest}
${relative === '' ? '' : '<p><a href="../">↑ arriba</a></p>'}
<ul>${items}</ul>
<p>Cada corte trae <code>manifest.json</code> (SHA-256 de cada archivo) firmado en <code>manifest.sig</code>;
compruébelo con <code>npx openprep verify &lt;corte&gt; --key &lt;llave pública&gt;</code>.</p>
</body></html>`;
}

/**
 * Files of a cut never change once written (all but the `latest` pointer), so the small ones
 * are kept in memory once read: the national page then costs no file-system call per reader.
 */
const CACHE_FILE_BYTES = 1024 * 1024;
const CACHE_TOTAL_BYTES = 128 * 1024 * 1024;

/** Text that shrinks several-fold compressed: the site's page, script and style, the cut's JSON. */
const COMPRESSIBLE = new Set(['.json', '.js', '.css', '.html', '.csv', '.txt', '.svg']);
type Encoding = 'br' | 'gzip';
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

class CachedFile {
  readonly #encoded = new Map<Encoding, Promise<Buffer>>();
  readonly resolved: string;
  readonly type: string;
  readonly body: Buffer;
  constructor(resolved: string, type: string, body: Buffer) {
    this.resolved = resolved;
    this.type = type;
    this.body = body;
  }

  /** Compressed once, on the first reader who accepts it, then served from memory. */
  encoded(encoding: Encoding): Promise<Buffer> {
    let body = this.#encoded.get(encoding);
    if (body === undefined) {
      body =
        encoding === 'br'
          ? brotli(this.body, {
              params: {
                [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
                [zlibConstants.BROTLI_PARAM_SIZE_HINT]: this.body.length,
              },
            })
          : gzipAsync(this.body, { level: 9 });
      this.#encoded.set(encoding, body);
    }
    return body;
  }
}

class ImmutableFileCache {
  readonly #files = new Map<string, CachedFile>();
  #bytes = 0;

  get(relative: string) {
    return this.#files.get(relative);
  }

  async fill(relative: string, resolved: string, type: string, size: number): Promise<void> {
    if (size > CACHE_FILE_BYTES || this.#files.has(relative)) return;
    const body = await readFile(resolved);
    // The oldest entries make room: a cut server's hot set is the newest cut's pages.
    for (const [key, file] of this.#files) {
      if (this.#bytes + body.length <= CACHE_TOTAL_BYTES) break;
      this.#files.delete(key);
      this.#bytes -= file.body.length;
    }
    this.#files.set(relative, new CachedFile(resolved, type, body));
    this.#bytes += body.length;
  }
}

/** The best encoding the reader accepts (RFC 9110 §12.5.3; q=0 refuses), or none. */
export function acceptedEncoding(header: string | undefined): Encoding | null {
  if (header === undefined) return null;
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name = '', ...parameters] = part.trim().toLowerCase().split(';');
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/** A file held in memory: compressed when the reader accepts it and asked for the whole file. */
async function sendCached(
  request: IncomingMessage,
  response: ServerResponse,
  cached: CachedFile,
): Promise<void> {
  const compressible = COMPRESSIBLE.has(path.extname(cached.resolved));
  const encoding =
    compressible && request.headers.range === undefined && cached.body.length > 1024
      ? acceptedEncoding(request.headers['accept-encoding'])
      : null;
  if (encoding === null) {
    send(request, response, cached.resolved, cached.type, cached.body.length, compressible, (range) =>
      response.end(range === null ? cached.body : cached.body.subarray(range.start, range.end + 1)),
    );
    return;
  }
  const body = await cached.encoded(encoding);
  response.writeHead(200, {
    ...headersOf(cached.resolved, cached.type, true),
    'content-encoding': encoding,
    'content-length': String(body.length),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/** Longer is no name a cut or the site has: refused before any file-system call. */
const MAX_PATH_LENGTH = 1024;

/**
 * Names the public never gets, whatever the folder holds: dot-files, `..`, the publisher's
 * `.<cut>.<pid>.tmp/` folders and `<image>.<random>.tmp` files being written (or left by a
 * crash), and a backslash, which some mirrors and CDNs read as a separator.
 */
function hiddenSegment(segment: string): boolean {
  return segment.startsWith('.') || segment.endsWith('.tmp') || segment.includes('\\');
}

/**
 * A route answered before the files: true when it answered. `pathname` is decoded and checked
 * (no NUL, not overlong) before any route sees it.
 */
export type ExtraRoute = (
  pathname: string,
  request: IncomingMessage,
  response: ServerResponse,
) => Promise<boolean>;

async function handle(
  roots: { readonly cuts: string; readonly site: string | null },
  request: IncomingMessage,
  response: ServerResponse,
  cache: ImmutableFileCache,
  routes: ExtraRoute | null,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  } catch {
    response.writeHead(400, SECURITY_HEADERS).end('bad request\n');
    return;
  }
  if (pathname.includes('\0')) {
    response.writeHead(400, SECURITY_HEADERS).end('bad request\n');
    return;
  }
  if (pathname.length > MAX_PATH_LENGTH) {
    response.writeHead(414, SECURITY_HEADERS).end();
    return;
  }
  if (routes !== null && (await routes(pathname, request, response))) return;
  if (pathname.split('/').some(hiddenSegment)) {
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
      .end('no encontrado\n');
    return;
  }
  let relative = path.posix.normalize(pathname).replace(/^\/+/, '');
  let root = roots.cuts;
  if (
    roots.site !== null &&
    (relative === '' || relative === 'index.html' || relative.startsWith('assets/'))
  ) {
    root = roots.site;
    relative = relative === '' ? 'index.html' : relative;
  }
  const cacheKey = `${root === roots.cuts ? 'cuts' : 'site'}:${relative}`;
  const cached = cache.get(cacheKey);
  if (cached !== undefined) {
    await sendCached(request, response, cached);
    return;
  }
  const target = path.join(root, relative);
  let resolved: string;
  try {
    resolved = await realpath(target);
  } catch {
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
      .end('no encontrado\n');
    return;
  }
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    response.writeHead(404, SECURITY_HEADERS).end();
    return;
  }
  const info = await stat(resolved);
  if (info.isDirectory()) {
    if (!pathname.endsWith('/')) {
      // Built from the resolved folder, never from what was asked: `//evil.example/..` would
      // otherwise come back as a Location a browser reads as another host.
      const folder = path.relative(root, resolved).split(path.sep).map(encodeURIComponent).join('/');
      response.writeHead(301, { location: `/${folder}/`, ...SECURITY_HEADERS }).end();
      return;
    }
    const body = await listing(root, path.relative(root, resolved));
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return;
  }
  // By its name in the public root, as the cut store puts it into a bucket: the site's names
  // are `index.html` and `assets/…` whichever folder holds them.
  const type = publicContentType(path.relative(root, resolved).split(path.sep).join('/'));
  if (!isMutable(resolved)) {
    await cache.fill(cacheKey, resolved, type, info.size);
    const filled = cache.get(cacheKey);
    if (filled !== undefined) {
      await sendCached(request, response, filled);
      return;
    }
  }
  send(request, response, resolved, type, info.size, COMPRESSIBLE.has(path.extname(resolved)), (range) =>
    createReadStream(resolved, range ?? {}).pipe(response),
  );
}

// A cut never changes once written, nor does a site asset (its name carries its hash); the
// pointer to the newest cut does, and so does the site's page when the site is rebuilt.
function isMutable(file: string): boolean {
  const name = path.basename(file);
  return name === 'latest.json' || name === 'latest.sig' || name === 'index.html';
}

function headersOf(resolved: string, type: string, compressible: boolean): Record<string, string> {
  return {
    'content-type': type,
    'cache-control': !isMutable(resolved)
      ? 'public, max-age=31536000, immutable'
      : path.basename(resolved) === 'index.html'
        ? 'no-cache'
        : 'public, max-age=5',
    'accept-ranges': 'bytes',
    // A CDN in front must keep compressed and plain answers apart.
    ...(compressible ? { vary: 'accept-encoding' } : {}),
    ...SECURITY_HEADERS,
  };
}

/** The headers of a file (and of a byte range of it), then its body by `body`. */
function send(
  request: IncomingMessage,
  response: ServerResponse,
  resolved: string,
  type: string,
  size: number,
  compressible: boolean,
  body: (range: { start: number; end: number } | null) => void,
): void {
  const headers = headersOf(resolved, type, compressible);
  // The site reads one casilla's rows out of a contest CSV by byte range (docs/publication-format.md).
  const range = parseRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    response.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
    return;
  }
  if (range === null) response.writeHead(200, { ...headers, 'content-length': String(size) });
  else
    response.writeHead(206, {
      ...headers,
      'content-length': String(range.end - range.start + 1),
      'content-range': `bytes ${range.start}-${range.end}/${size}`,
    });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  body(range);
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n`. Anything else, including several
 * ranges, is answered with the whole file, as the RFC allows.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function startCutServer(options: {
  root: string;
  /** The built public site (`npm run build:site`); without it `/` lists the cuts. */
  site?: string;
  port: number;
  host?: string;
  /** Headers added to every answer (a mirror's `access-control-allow-origin`). */
  extraHeaders?: Readonly<Record<string, string>>;
  /** Routes answered before the files (a mirror's /checkpoint and status). */
  routes?: ExtraRoute;
}): Promise<Server> {
  const roots = {
    cuts: await realpath(options.root),
    site: options.site === undefined ? null : await realpath(options.site),
  };
  const cache = new ImmutableFileCache();
  const extra = options.extraHeaders ?? {};
  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(extra)) response.setHeader(name, value);
    handle(roots, request, response, cache, options.routes ?? null).catch(() => {
      if (!response.headersSent) response.writeHead(500, SECURITY_HEADERS);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
