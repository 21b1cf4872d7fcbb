/**
 * The mirror's HTTP side: the static server of the verified tree and the site
 * (./static_server.ts, read-only, the same security headers), with the routes that are the
 * mirror's own in front: the pointer pair from memory (so a reader never gets a new
 * `latest.json` with an old `latest.sig`), `/checkpoint` (the latest verified cut's checkpoint
 * note), `/status.json` and `/mirrors.json` (the peers, for the site's comparison list). Every
 * answer carries `access-control-allow-origin: *`: all of it is public, signed data, and a
 * reader's page on another origin compares with it (docs/trust.md §5).
 */
import type { Server, ServerResponse } from 'node:http';
import type { Mirror } from './mirror.ts';
import { PUBLIC_READ_HEADERS, SECURITY_HEADERS, startCutServer } from './static_server.ts';

function answer(
  response: ServerResponse,
  method: string | undefined,
  status: number,
  type: string,
  body: string | Buffer,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, {
    'content-type': type,
    'content-length': String(bytes.length),
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  response.end(method === 'HEAD' ? undefined : bytes);
}

export function startMirrorServer(
  mirror: Mirror,
  options: { readonly site?: string; readonly host?: string; readonly port: number },
): Promise<Server> {
  return startCutServer({
    root: mirror.served,
    ...(options.site !== undefined ? { site: options.site } : {}),
    port: options.port,
    ...(options.host !== undefined ? { host: options.host } : {}),
    extraHeaders: PUBLIC_READ_HEADERS,
    routes: async (pathname, request, response) => {
      const method = request.method;
      const text = 'text/plain; charset=utf-8';
      const json = 'application/json; charset=utf-8';
      switch (pathname) {
        case '/latest.json':
        case '/latest.sig': {
          const pointer = mirror.pointer();
          if (pointer === null) answer(response, method, 404, text, 'aún no hay un corte verificado\n');
          else
            answer(
              response,
              method,
              200,
              pathname === '/latest.json' ? json : text,
              pathname === '/latest.json' ? pointer.json : pointer.sig,
            );
          return true;
        }
        case '/checkpoint': {
          const latest = mirror.latest();
          if (latest === null) answer(response, method, 404, text, 'aún no hay un corte verificado\n');
          else answer(response, method, 200, text, latest.checkpoint);
          return true;
        }
        case '/status.json':
          answer(response, method, 200, json, `${JSON.stringify(mirror.status(), null, 2)}\n`);
          return true;
        case '/mirrors.json':
          answer(response, method, 200, json, `${JSON.stringify({ mirrors: mirror.peers() }, null, 2)}\n`);
          return true;
        default:
          return false;
      }
    },
  });
}
