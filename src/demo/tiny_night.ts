/**
 * A tiny demo night played to its close and served with the built site on loopback — what the
 * site's browser tests read. Each test names its seed and cut interval (how many cuts the
 * night has), so each checks its own night.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dataPaths } from '../center/data_dir.ts';
import { buildSite } from '../site/build.ts';
import { startCutServer } from '../mirror/static_server.ts';
import { runDemo } from './demo.ts';

export interface TinyNight {
  /** The temporary folder everything lives in. */
  readonly work: string;
  /** The demo's cuts root, as served. */
  readonly cuts: string;
  /** The site's origin on loopback. */
  readonly base: string;
  close(): Promise<void>;
}

export async function serveTinyNight(options: {
  readonly prefix: string;
  readonly seed: number;
  readonly cutEvery: number;
}): Promise<TinyNight> {
  const work = await mkdtemp(path.join(tmpdir(), options.prefix));
  const site = path.join(work, 'site');
  const [, demo] = await Promise.all([
    buildSite(site),
    runDemo({
      root: path.join(work, 'demo'),
      scale: 'tiny',
      seed: options.seed,
      untilClose: true,
      serve: false,
      port: 0,
      speed: 0,
      cutEvery: options.cutEvery,
      reset: false,
      images: false,
      log: () => {},
    }),
  ]);
  assert.ok(demo.ok, demo.ok ? '' : demo.message);
  const cuts = dataPaths(path.join(work, 'demo')).cuts;
  const server: Server = await startCutServer({ root: cuts, site, port: 0 });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    work,
    cuts,
    base,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(work, { recursive: true, force: true });
    },
  };
}
