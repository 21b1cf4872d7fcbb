/**
 * `openprep mirror <center URL>`: runs a mirror (src/mirror/) until SIGINT or SIGTERM —
 * polling the center and the peers every `--every` seconds and serving what it verified — or,
 * with `--once`, polls once and prints its status (for a cron job or a check). Its log is one
 * JSON object a line on stdout (docs/mirror.md).
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBaseUrl } from '../mirror/fetch.ts';
import { Mirror } from '../mirror/mirror.ts';
import { startMirrorServer } from '../mirror/serve.ts';
import { parseCommandArgs } from './args.ts';
import { mirror as mirrorCommand } from './commands.ts';

function fail(message: string, code = 1): number {
  process.stderr.write(`openprep mirror: ${message}\n`);
  return code;
}

export async function runMirror(args: readonly string[]): Promise<number> {
  const parsed = parseCommandArgs(args, mirrorCommand.options);
  if (!parsed.ok || parsed.value.positionals.length !== 1)
    return fail(
      `${parsed.ok ? 'give exactly one center URL (the public root of the cuts, where latest.json is)' : parsed.message}\nRun "openprep mirror --help" for its options.`,
      2,
    );
  const o = parsed.value.options;
  const center = parseBaseUrl(parsed.value.positionals[0]!);
  if (!center.ok) return fail(center.message, 2);
  const peers: string[] = [];
  for (const text of o.peer.flatMap((given) => given.split(',')).filter((p) => p.trim() !== '')) {
    const peer = parseBaseUrl(text.trim());
    if (!peer.ok) return fail(`--peer: ${peer.message}`, 2);
    peers.push(peer.value);
  }
  let publicKey = o.key;
  if (!o.key.includes('+')) {
    try {
      publicKey = (await readFile(o.key, 'utf8')).trim();
    } catch (error) {
      return fail(`cannot read the key file ${o.key}: ${(error as Error).message}`, 2);
    }
  }
  const log = (event: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  const opened = await Mirror.open({ center: center.value, publicKey, data: o.data, peers, log });
  if (!opened.ok) return fail(opened.message, 2);
  const mirror = opened.value;
  if (o.once) {
    await mirror.poll();
    const status = mirror.status();
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return status.lastPoll?.outcome === 'rejected' || status.splitViews.length > 0 ? 1 : 0;
  }
  const colon = o.listen.lastIndexOf(':');
  const host = o.listen.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(o.listen.slice(colon + 1));
  if (port > 65_535) return fail(`--listen ${o.listen}: no such port`, 2);
  const server = await startMirrorServer(mirror, {
    host,
    port,
    ...(o.site !== undefined ? { site: o.site } : {}),
  }).catch((error: unknown) => error as Error);
  if (server instanceof Error) return fail(`cannot listen on ${o.listen}: ${server.message}`);
  const address = server.address();
  log({ event: 'listening', port: typeof address === 'object' && address !== null ? address.port : port });
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      // A fault of this machine (a full disk, a folder removed by hand) is logged and the poll
      // retried: the mirror goes on serving what it verified.
      await mirror
        .poll()
        .catch((error: unknown) =>
          log({ event: 'error', detail: error instanceof Error ? error.message : String(error) }),
        );
      await sleep(o.every * 1000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  stop.abort();
  await loop;
  await new Promise((resolve) => server.close(resolve));
  return 0;
}
