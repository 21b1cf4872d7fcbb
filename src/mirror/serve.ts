/**
 * The mirror's HTTP side: the static server of the verified tree and the site
 * (./static_server.ts, read-only, the same security headers), with the routes that are the
 * mirror's own in front: the pointer pair from memory (so a reader never gets a new
 * `latest.json` with an old `latest.sig`), `/checkpoint` (the latest verified cut's checkpoint
 * note), `/status.json`, `/metrics` (the same counts for Prometheus) and `/mirrors.json` (the
 * peers, for the site's comparison list). Every
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

/**
 * The status's counts in Prometheus' text format (docs/mirror.md): public figures, no label but
 * the peers' closed set of states, so it may be scraped from anywhere.
 */
export function prometheusText(mirror: Mirror): string {
  const status = mirror.status();
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, values: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
  };
  const { counts } = status;
  metric('openprep_mirror_polls_total', 'counter', 'Polls of the center.', [['', counts.polls]]);
  metric('openprep_mirror_cuts_verified_total', 'counter', 'Cuts verified and served.', [
    ['', counts.cutsVerified],
  ]);
  metric('openprep_mirror_rejected_total', 'counter', 'Cuts or pointers refused: never served.', [
    ['', counts.rejected],
  ]);
  metric('openprep_mirror_transient_total', 'counter', 'Polls cut short by a network fault.', [
    ['', counts.transient],
  ]);
  metric('openprep_mirror_split_views', 'gauge', 'Split views recorded (two signed histories).', [
    ['', counts.splitViews],
  ]);
  metric('openprep_mirror_latest_sequence', 'gauge', 'Sequence of the latest verified cut (0: none).', [
    ['', status.latest?.sequence ?? 0],
  ]);
  const states = ['agrees', 'split', 'unreachable', 'bad-pointer', 'unknown'] as const;
  metric(
    'openprep_mirror_peers',
    'gauge',
    'Peer mirrors by the state of the last comparison.',
    states.map((state) => [`{state="${state}"}`, status.peers.filter((p) => p.state === state).length]),
  );
  return `${lines.join('\n')}\n`;
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
        case '/metrics':
          answer(response, method, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(mirror));
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
