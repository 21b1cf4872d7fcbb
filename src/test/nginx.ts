/**
 * Debian's nginx in front of several `serve` nodes, as a deployment runs it: a test's own
 * prefix folder, nginx in the foreground, the nodes as one upstream. The upstream's servers are
 * in their own file (`upstream.conf`) that a test — or the rolling-upgrade drill's balancer
 * hooks — may rewrite and reload. `startNginxWith` runs any other configuration (a TLS front).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

export const NGINX = '/usr/sbin/nginx';

/** Null when nginx is installed; otherwise why the tests that need it are skipped. */
export function nginxUnavailable(): string | null {
  return existsSync(NGINX) ? null : `no nginx at ${NGINX}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The upstream's server lines: `down` ones get no requests. */
export function upstreamServers(upstreams: readonly { address: string; down?: boolean }[]): string {
  return upstreams
    .map(
      (u) =>
        `server ${u.address.replace('http://', '')} max_fails=1 fail_timeout=5s${u.down ? ' down' : ''};\n`,
    )
    .join('');
}

/**
 * nginx in the foreground with its own prefix: `http` (server and upstream blocks) inside an
 * `http { }` whose temporary folders are under `dir`; resolves once `ready` says so (by
 * default: its pid file is written). The TLS front of the pinned-CA test is one.
 */
export async function startNginxWith(
  dir: string,
  http: string,
  ready: () => Promise<boolean> = async () => existsSync(path.join(dir, 'nginx.pid')),
  accessLog?: string,
): Promise<ChildProcess> {
  await mkdir(dir, { recursive: true });
  const config = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log stderr error;
events { worker_connections 512; }
http {
  ${accessLog === undefined ? 'access_log off;' : `log_format upgrade '$status $upstream_status';\n  access_log ${accessLog} upgrade;`}
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  client_max_body_size 20m;
  # Bodies up to 1 MiB stay in memory (the temporary folders belong to the test, not to
  # nginx's unprivileged worker user).
  client_body_buffer_size 1m;
${http}
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), config);
  const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  for (let i = 0; i < 200; i++) {
    if (await ready()) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGTERM');
  throw new Error('nginx did not start');
}

/** nginx in the foreground with its own prefix: the nodes as one upstream. */
export async function startNginx(
  dir: string,
  port: number,
  upstreams: readonly string[],
  options: {
    /** An access log of '$status $upstream_status' lines ("201 502, 201": passed to a second node). */
    readonly accessLog?: string;
  } = {},
): Promise<ChildProcess> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'upstream.conf'),
    upstreamServers(upstreams.map((address) => ({ address }))),
  );
  return startNginxWith(
    dir,
    `  upstream centers {
    include ${dir}/upstream.conf;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://centers;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 non_idempotent;
      proxy_connect_timeout 2s;
    }
  }`,
    () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    options.accessLog,
  );
}
