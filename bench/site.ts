/**
 * `npm run bench -- site [cuts folder]`: serving the public site's national page — the
 * national `PRES` aggregates of a national cut (`json/PRES/nacional.json`) — to many readers at
 * once, by the project's own static server (`src/center/cut_server.ts`) and by Debian's nginx
 * on the same files. Baseline in the same run: a bare Node HTTP server answering the same bytes
 * from memory (no file system, no headers to decide). Without a folder, a national cut is built
 * first (`bench/core.ts`, kept for this run). Load generator and servers share the two cores.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { startCutServer } from '../src/center/cut_server.ts';

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
      { encoding: 'utf8', env: { ...process.env, OPENPREP_BENCH_KEEP: '1' }, maxBuffer: 64 * 1024 * 1024 },
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
