/**
 * `npm run bench -- site [cuts folder]`: serving the public site's national page — the
 * national `PRES` aggregates of a national cut (`json/PRES/nacional.json`) — to many readers at
 * once, by the project's own static server (`src/mirror/static_server.ts`) and by Debian's nginx
 * on the same files. Baseline in the same run: a bare Node HTTP server answering the same bytes
 * from memory (no file system, no headers to decide). Without a folder, a national cut is built
 * first (`bench/core.ts`, kept for this run). Load generator and servers share the two cores.
 * Then the site is built (`src/site/build.ts`) and its national page loaded once in Chromium
 * from the project's own server: `national_page_kb` is every byte that crossed the wire for
 * that first load (compressed bodies plus headers), with the built site's sizes beside it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { brotliCompressSync } from 'node:zlib';
import { chromium, type Request } from 'playwright-core';
import { startCutServer } from '../src/mirror/static_server.ts';
import { buildSite } from '../src/site/build.ts';

const CHROMIUM = process.env['OPENPREP_CHROMIUM'] ?? '/usr/bin/chromium';

async function listFiles(root: string): Promise<{ bytes: number; data: Buffer }[]> {
  const out: { bytes: number; data: Buffer }[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const data = await readFile(path.join(entry.parentPath, entry.name));
    out.push({ bytes: data.length, data });
  }
  return out;
}

const NGINX = '/usr/sbin/nginx';
const CONNECTIONS = 64;
const SECONDS = Number(process.env['OPENPREP_BENCH_SECONDS'] ?? 5);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Keep-alive GETs of one path from CONNECTIONS clients for SECONDS; every answer must be whole. */
async function load(port: number, urlPath: string, bytes: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let bad = 0;
  const until = performance.now() + SECONDS * 1000;
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = performance.now();
      const req = request({ host: '127.0.0.1', port, path: urlPath, agent }, (response) => {
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          length += chunk.length;
        });
        response.on('end', () => {
          if (response.statusCode !== 200 || length !== bytes) bad++;
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) await get();
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests_per_second: Math.round(latencies.length / seconds),
    p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
    bad_answers: bad,
  };
}

let built: string | null = null;
const children: ChildProcess[] = [];
try {
  let cutsRoot = process.argv[2];
  if (cutsRoot === undefined) {
    const core = spawnSync(
      process.execPath,
      ['--max-old-space-size=4096', '--expose-gc', path.join(import.meta.dirname, 'core.ts')],
      {
        encoding: 'utf8',
        // The cut is the 300th of its night: its history lists 300 cuts (bench/core.ts).
        env: { ...process.env, OPENPREP_BENCH_KEEP: '1', OPENPREP_BENCH_HISTORY: '300' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const kept = /kept (\S+)/.exec(core.stderr)?.[1];
    if (core.status !== 0 || kept === undefined)
      throw new Error(`building a national cut failed:\n${core.stderr}`);
    built = kept;
    cutsRoot = path.join(kept, 'cuts');
  }
  const cutId = (await readdir(cutsRoot, { withFileTypes: true })).find((d) => d.isDirectory())?.name;
  if (cutId === undefined) throw new Error(`no cut in ${cutsRoot}`);
  const urlPath = `/${cutId}/json/PRES/nacional.json`;
  const page = await readFile(path.join(cutsRoot, cutId, 'json', 'PRES', 'nacional.json'));
  // nginx's workers run as an unprivileged user: the folders on the way must be readable.
  if (built !== null) await chmod(built, 0o755);

  const results: Record<string, unknown> = {};

  const bare = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': page.length });
    response.end(page);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  results['baseline_in_memory'] = await load((bare.address() as AddressInfo).port, '/', page.length);
  await new Promise((resolve) => bare.close(resolve));

  const own = await startCutServer({ root: cutsRoot, port: 0 });
  results['own_static_server'] = await load((own.address() as AddressInfo).port, urlPath, page.length);
  await new Promise((resolve) => own.close(resolve));

  if (existsSync(NGINX)) {
    const dir = path.join(os.tmpdir(), `openprep-bench-nginx-${process.pid}`);
    await mkdir(dir, { recursive: true });
    const port = 20_000 + (process.pid % 20_000);
    await writeFile(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log stderr error;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; open_file_cache max=1000 inactive=60s;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { application/json json; }
  server { listen 127.0.0.1:${port}; root ${cutsRoot}; keepalive_requests 100000; }
}
`,
    );
    const nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
    children.push(nginx);
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${port}${urlPath}`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    results['nginx'] = await load(port, urlPath, page.length);
    nginx.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  } else results['nginx'] = `not installed at ${NGINX}`;

  // The national page as a reader's browser first loads it: the site (built now) and the
  // cut's files, from the project's own server, every byte on the wire counted (compressed
  // bodies and headers), cold cache.
  const siteDir = path.join(os.tmpdir(), `openprep-bench-site-${process.pid}`);
  await buildSite(siteDir);
  const siteFiles = await listFiles(siteDir);
  results['site_files'] = siteFiles.length;
  results['site_bytes'] = siteFiles.reduce((sum, f) => sum + f.bytes, 0);
  results['site_brotli_bytes'] = siteFiles.reduce((sum, f) => sum + brotliCompressSync(f.data).length, 0);
  if (existsSync(CHROMIUM)) {
    const server = await startCutServer({ root: cutsRoot, site: siteDir, port: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ viewport: { width: 412, height: 915 }, isMobile: true });
      const pageInBrowser = await context.newPage();
      const requests: Request[] = [];
      pageInBrowser.on('requestfinished', (request) => requests.push(request));
      const started = performance.now();
      await pageInBrowser.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await pageInBrowser.locator('h1', { hasText: 'Nacional' }).waitFor();
      await pageInBrowser.waitForLoadState('networkidle');
      const loadMs = performance.now() - started;
      let transferred = 0;
      const files: Record<string, number> = {};
      for (const request of requests) {
        const sizes = await request.sizes();
        const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
        transferred += bytes;
        files[new URL(request.url()).pathname] = bytes;
      }
      results['national_page_kb'] = Math.round((transferred / 1024) * 10) / 10;
      results['national_page_requests'] = requests.length;
      results['national_page_files'] = files;
      results['national_page_load_ms_loopback'] = Math.round(loadMs);
      // The history of the night, when the reader opens it: what it adds on the wire then.
      const historyBytes = (await readFile(path.join(cutsRoot, cutId, 'json', 'historial.json'))).length;
      results['history_cuts'] = (
        JSON.parse(await readFile(path.join(cutsRoot, cutId, 'json', 'historial.json'), 'utf8')) as {
          cuts: unknown[];
        }
      ).cuts.length;
      results['history_json_bytes'] = historyBytes;
      results['national_page_history_requests'] = requests.filter((r) =>
        /historial|cambios/.test(new URL(r.url()).pathname),
      ).length;
      const before = requests.length;
      await pageInBrowser.getByRole('link', { name: 'Historial' }).first().click();
      await pageInBrowser.locator('table.history tbody tr').first().waitFor();
      await pageInBrowser.waitForLoadState('networkidle');
      let historyTransferred = 0;
      const historyFiles: Record<string, number> = {};
      for (const request of requests.slice(before)) {
        const sizes = await request.sizes();
        const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
        historyTransferred += bytes;
        historyFiles[new URL(request.url()).pathname] = bytes;
      }
      results['history_page_kb'] = Math.round((historyTransferred / 1024) * 10) / 10;
      results['history_page_files'] = historyFiles;
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  } else results['national_page_kb'] = `no Chromium at ${CHROMIUM}`;
  await rm(siteDir, { recursive: true, force: true });

  const ratio = (name: string) => {
    const r = results[name] as { requests_per_second: number } | string;
    const base = (results['baseline_in_memory'] as { requests_per_second: number }).requests_per_second;
    return typeof r === 'string' ? null : Math.round((r.requests_per_second / base) * 100) / 100;
  };
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'site',
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      page: urlPath,
      page_bytes: page.length,
      connections: CONNECTIONS,
      seconds_each: SECONDS,
      ...results,
      own_to_baseline_ratio: ratio('own_static_server'),
      nginx_to_baseline_ratio: ratio('nginx'),
    })}\n`,
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  if (built !== null) await rm(built, { recursive: true, force: true });
}
