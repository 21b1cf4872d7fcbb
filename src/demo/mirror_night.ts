/**
 * What the mirror's tests need: a real night of cuts (the demo's tiny night, played to its
 * close), a center that publishes them one poll at a time (a cuts root served by the static
 * server, the signed pointer moved as the publisher moves it), and a faulty HTTP proxy in
 * front of it that alters what passes through. Here beside tiny_night.ts because it plays the
 * demo's night (a test helper may not import the demo).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dataPaths } from '../center/data_dir.ts';
import { runDemo } from './demo.ts';
import { loadSigningKey } from '../journal/keys.ts';
import type { NoteSigner } from '../journal/note.ts';
import { startCutServer } from '../mirror/static_server.ts';
import { stableJson } from '../platform/web/canonical_json.ts';
import { resignCut, sha256Hex, signLatest } from '../test/resigned_cut.ts';

export interface Night {
  /** The demo's cuts root. */
  readonly cuts: string;
  /** Its cut ids, oldest first. */
  readonly cutIds: readonly string[];
  /** The election's public key (verifier key text). */
  readonly publicKey: string;
  readonly signer: NoteSigner;
}

/**
 * The same night with its cut `cutId` forked: copied to `forkRoot` and re-signed with the same
 * key after its LEEME.txt says something else — another manifest for the same sequence, which
 * verifies on its own (a center showing two histories).
 */
export async function forkCut(night: Night, cutId: string, forkRoot: string): Promise<void> {
  await cp(path.join(night.cuts, cutId), path.join(forkRoot, cutId), { recursive: true });
  const leeme = await readFile(path.join(forkRoot, cutId, 'LEEME.txt'));
  await resignCut(path.join(forkRoot, cutId), night.signer, {
    files: { 'LEEME.txt': Buffer.concat([leeme, Buffer.from('Otra historia.\r\n')]) },
  });
}

/** A tiny demo night played to its close, with a cut every `cutEvery` simulated minutes. */
export async function playNight(work: string, cutEvery = 120): Promise<Night> {
  const root = path.join(work, 'night');
  const played = await runDemo({
    root,
    scale: 'tiny',
    seed: 20,
    untilClose: true,
    serve: false,
    port: 0,
    speed: 0,
    cutEvery,
    reset: false,
    images: false,
    log: () => {},
  });
  assert.ok(played.ok, played.ok ? '' : played.message);
  const cuts = dataPaths(root).cuts;
  const keys = path.join(root, 'keys');
  const name = (await readdir(keys)).find((f) => f.endsWith('.pub'))!;
  const signer = await loadSigningKey(path.join(keys, name.replace(/\.pub$/, '.key')));
  assert.ok(signer.ok);
  return {
    cuts,
    cutIds: (await readdir(cuts)).filter((n) => /^[0-9]{8}_[0-9]{4}$/.test(n)).sort(),
    publicKey: (await readFile(path.join(keys, name), 'utf8')).trim(),
    signer: signer.value,
  };
}

/** The signed pointer to the cut folder `folder`, as the publisher writes it. */
export async function pointerTo(folder: string, signer: NoteSigner): Promise<{ json: Buffer; sig: Buffer }> {
  const manifestBytes = await readFile(path.join(folder, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { cut: { id: string; time: string } };
  const json = Buffer.from(
    stableJson({ cut: manifest.cut.id, manifestSha256: sha256Hex(manifestBytes), time: manifest.cut.time }),
  );
  return { json, sig: Buffer.from(signLatest(json, manifest.cut.id, signer)) };
}

/** A center's public root served over HTTP, to which cuts are published one at a time. */
export interface Center {
  readonly root: string;
  readonly url: string;
  /** Copies the cut folders (from `from`, the night's cuts root by default) and points latest at the last. */
  publish(cutIds: readonly string[], from?: string): Promise<void>;
  close(): Promise<void>;
}

/** `site`: the built public site, served beside the cuts as the center serves it. */
export async function startCenter(root: string, night: Night, site?: string): Promise<Center> {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await cp(path.join(night.cuts, 'catalogo'), path.join(root, 'catalogo'), { recursive: true });
  const server = await startCutServer({ root, port: 0, ...(site !== undefined ? { site } : {}) });
  return {
    root,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async publish(cutIds, from = night.cuts) {
      for (const id of cutIds) {
        await rm(path.join(root, id), { recursive: true, force: true });
        await cp(path.join(from, id), path.join(root, id), { recursive: true });
      }
      const pointer = await pointerTo(path.join(root, cutIds.at(-1)!), night.signer);
      await writeFile(path.join(root, 'latest.json'), pointer.json);
      await writeFile(path.join(root, 'latest.sig'), pointer.sig);
    },
    close: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * What the proxy does with one answer: `null` passes it through; otherwise the status and body
 * it serves instead (the body's length is what it declares — a truncated file is served as a
 * shorter file, the way a broken cache serves it).
 */
export type Fault = (pathname: string, body: Buffer) => { status: number; body: Buffer } | null;

export interface FaultyProxy {
  readonly url: string;
  /** The fault in force (null: an honest proxy). */
  fault: Fault | null;
  close(): Promise<void>;
}

/** A real HTTP proxy to `target` (a base URL) on loopback that applies `proxy.fault` to what it forwards. */
export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const proxy: { fault: Fault | null } = { fault: null };
  const server = createServer((request: IncomingMessage, response) => {
    const pathname = new URL(request.url ?? '/', 'http://proxy').pathname;
    fetch(new URL(pathname.replace(/^\//, ''), target))
      .then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        const altered = upstream.status === 200 ? (proxy.fault?.(pathname, body) ?? null) : null;
        const status = altered?.status ?? upstream.status;
        const sent = altered?.body ?? body;
        response.writeHead(status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
          'content-length': String(sent.length),
        });
        response.end(sent);
      })
      .catch(() => {
        response.writeHead(502).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => closeServer(server),
  });
}

/** Every file under `root` (relative paths, sorted), but the pointer pair. */
export async function filesUnder(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(root, child)));
    else if (child !== 'latest.json' && child !== 'latest.sig') out.push(child);
  }
  return out.sort();
}
