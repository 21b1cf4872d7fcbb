/**
 * The witness's own HTTP door, read by the site, by peers and by monitoring: `GET /checkpoint`
 * (the last checkpoint it cosigned, with its cosignature: what its peers compare), `GET
 * /alarms`, `GET /status` (JSON) and `GET /metrics` (Prometheus text). Read-only, and open to
 * any origin (CORS) so that a browser on the PREP site can read it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Witness } from './witness.ts';

const HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function witnessStatus(witness: Witness) {
  const cosigned = witness.cosigned;
  return {
    name: witness.folder.signer.name,
    verifierKey: witness.folder.verifierKey,
    center: witness.center,
    logKey: witness.logKeyText,
    cosigned:
      cosigned === null
        ? null
        : {
            size: cosigned.size,
            rootHash: cosigned.rootHash,
            at: new Date(cosigned.cosignedAt * 1000).toISOString(),
          },
    alarms: witness.alarms.map(({ kind, at, message, source }) => ({ kind, at, message, source })),
    cosigning: witness.alarms.length === 0,
    lastPoll: witness.lastPoll,
    peers: witness.peers,
  };
}

export function witnessMetrics(witness: Witness): string {
  const cosigned = witness.cosigned;
  const lines = [
    '# HELP openprep_witness_alarms Active alarms: the witness refuses to cosign until an operator clears them.',
    '# TYPE openprep_witness_alarms gauge',
    `openprep_witness_alarms ${witness.alarms.length}`,
    '# HELP openprep_witness_cosigned_tree_size The size of the last checkpoint this witness cosigned (-1: none yet).',
    '# TYPE openprep_witness_cosigned_tree_size gauge',
    `openprep_witness_cosigned_tree_size ${cosigned?.size ?? -1}`,
    '# HELP openprep_witness_cosigned_timestamp_seconds When this witness last cosigned (Unix seconds; 0: never).',
    '# TYPE openprep_witness_cosigned_timestamp_seconds gauge',
    `openprep_witness_cosigned_timestamp_seconds ${cosigned?.cosignedAt ?? 0}`,
    '# HELP openprep_witness_center_reachable Whether the last poll of the center got a checkpoint (1) or not (0).',
    '# TYPE openprep_witness_center_reachable gauge',
    `openprep_witness_center_reachable ${witness.lastPoll !== null && witness.lastPoll.outcome.kind !== 'unavailable' ? 1 : 0}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function startWitnessServer(
  witness: Witness,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { ...HEADERS, 'content-type': type });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method === 'OPTIONS') return send(204, 'text/plain; charset=utf-8', '');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, 'application/json', '{"error":"method-not-allowed"}');
    const url = new URL(request.url ?? '/', 'http://witness');
    switch (url.pathname) {
      case '/checkpoint': {
        const note = witness.servedNote;
        return note === null
          ? send(404, 'application/json', '{"error":"no-checkpoint","message":"nothing cosigned yet"}')
          : send(200, 'text/plain; charset=utf-8', note);
      }
      case '/alarms':
        return send(200, 'application/json', `${JSON.stringify(witness.alarms, null, 2)}\n`);
      case '/status':
        return send(200, 'application/json', `${JSON.stringify(witnessStatus(witness), null, 2)}\n`);
      case '/metrics':
        return send(200, 'text/plain; version=0.0.4; charset=utf-8', witnessMetrics(witness));
      default:
        return send(404, 'application/json', '{"error":"not-found"}');
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}` };
}
