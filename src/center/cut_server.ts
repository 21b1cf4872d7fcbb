/**
 * A plain read-only HTTP server for the cuts folder, used by the demo until the public site
 * exists. Static files only: no database on the read path. Paths are resolved inside the
 * root and never follow a name outside it.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.sig': 'text/plain; charset=utf-8',
  '.pub': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
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
<body style="font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem">
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

class ImmutableFileCache {
  readonly #files = new Map<string, { readonly resolved: string; readonly body: Buffer }>();
  #bytes = 0;

  get(relative: string) {
    return this.#files.get(relative);
  }

  async fill(relative: string, resolved: string, size: number): Promise<void> {
    if (size > CACHE_FILE_BYTES || this.#files.has(relative)) return;
    const body = await readFile(resolved);
    // The oldest entries make room: a cut server's hot set is the newest cut's pages.
    for (const [key, file] of this.#files) {
      if (this.#bytes + body.length <= CACHE_TOTAL_BYTES) break;
      this.#files.delete(key);
      this.#bytes -= file.body.length;
    }
    this.#files.set(relative, { resolved, body });
    this.#bytes += body.length;
  }
}

async function handle(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  cache: ImmutableFileCache,
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
  const relative = path.posix.normalize(pathname).replace(/^\/+/, '');
  const cached = cache.get(relative);
  if (cached !== undefined) {
    send(request, response, cached.resolved, cached.body.length, (range) =>
      response.end(range === null ? cached.body : cached.body.subarray(range.start, range.end + 1)),
    );
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
      response.writeHead(301, { location: `${pathname}/`, ...SECURITY_HEADERS }).end();
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
  if (!isMutable(resolved)) await cache.fill(relative, resolved, info.size);
  send(request, response, resolved, info.size, (range) =>
    createReadStream(resolved, range ?? {}).pipe(response),
  );
}

// A cut never changes once written; the pointer to the newest one does.
function isMutable(file: string): boolean {
  const name = path.basename(file);
  return name === 'latest.json' || name === 'latest.sig';
}

/** The headers of a file (and of a byte range of it), then its body by `body`. */
function send(
  request: IncomingMessage,
  response: ServerResponse,
  resolved: string,
  size: number,
  body: (range: { start: number; end: number } | null) => void,
): void {
  const headers = {
    'content-type': CONTENT_TYPES[path.extname(resolved)] ?? 'application/octet-stream',
    'cache-control': isMutable(resolved) ? 'public, max-age=5' : 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
    ...SECURITY_HEADERS,
  };
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
  port: number;
  host?: string;
}): Promise<Server> {
  const root = await realpath(options.root);
  const cache = new ImmutableFileCache();
  const server = createServer((request, response) => {
    handle(root, request, response, cache).catch(() => {
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
