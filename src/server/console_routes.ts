/**
 * The operators' console (`src/console/`, built by `npm run build` into `dist/console`), served
 * at /consola/ by the same process as the API it calls, so the session cookie (`__Host-`,
 * SameSite=Strict) and the CSRF token stay first-party. The built files are read once at
 * start; without a build, /consola/ says how to make one.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

async function builtFiles(dir: string): Promise<Map<string, Buffer> | null> {
  try {
    const files = new Map<string, Buffer>([['index.html', await readFile(path.join(dir, 'index.html'))]]);
    for (const name of await readdir(path.join(dir, 'assets')))
      files.set(`assets/${name}`, await readFile(path.join(dir, 'assets', name)));
    return files;
  } catch {
    return null;
  }
}

export async function registerConsoleRoutes(app: FastifyInstance, dir: string): Promise<void> {
  const files = await builtFiles(dir);
  app.get('/consola', { config: { policy: 'public' } }, async (_request, reply) =>
    reply.redirect('/consola/', 301),
  );
  if (files === null) {
    app.get('/consola/', { config: { policy: 'public' } }, async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('La consola no está construida en este servidor: npm run build, y reinicie openprep serve.\n'),
    );
    return;
  }
  for (const [name, body] of files) {
    const url = name === 'index.html' ? '/consola/' : `/consola/${name}`;
    app.get(url, { config: { policy: 'public' } }, async (_request, reply) =>
      reply
        .header('content-type', TYPES[path.extname(name)] ?? 'application/octet-stream')
        .header('content-security-policy', CONSOLE_CSP)
        .header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable')
        .send(body),
    );
  }
}
