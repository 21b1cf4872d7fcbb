import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { acceptedEncoding, startCutServer } from './static_server.ts';

describe('cut server (real HTTP on loopback)', () => {
  let root: string;
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'openprep-cuts-'));
    await mkdir(path.join(root, '20240602_2005'));
    await writeFile(path.join(root, '20240602_2005', 'PRES_2024.csv'), '\uFEFFPRESIDENCIA\r');
    await writeFile(path.join(root, 'latest.json'), '{"cut":"20240602_2005"}\n');
    await writeFile(path.join(tmpdir(), 'openprep-secret.txt'), 'secret');
    await symlink(path.join(tmpdir(), 'openprep-secret.txt'), path.join(root, 'escape.txt'));
    const server = await startCutServer({ root, port: 0 });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  after(async () => {
    await close();
    await rm(root, { recursive: true, force: true });
  });

  test('the index names the latest cut', async () => {
    const response = await fetch(`${base}/`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /Último corte: <a href="\/20240602_2005\/">/);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test('cut files are served immutable, the pointer is not', async () => {
    const csv = await fetch(`${base}/20240602_2005/PRES_2024.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const latest = await fetch(`${base}/latest.json`);
    assert.equal(latest.headers.get('cache-control'), 'public, max-age=5');
  });

  test('byte ranges, as the site reads one casilla out of a CSV', async () => {
    const url = `${base}/20240602_2005/PRES_2024.csv`;
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    const part = await fetch(url, { headers: { range: 'bytes=3-8' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 3-8/${whole.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(3, 9));
    const tail = await fetch(url, { headers: { range: 'bytes=-4' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), whole.subarray(whole.length - 4));
    const beyond = await fetch(url, { headers: { range: `bytes=${whole.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${whole.length}`);
    await beyond.arrayBuffer();
    const several = await fetch(url, { headers: { range: 'bytes=0-1,4-5' } });
    assert.equal(several.status, 200);
    assert.deepEqual(Buffer.from(await several.arrayBuffer()), whole);
  });

  test('the newest-cut pointer is read afresh each time; cut files may be kept in memory', async () => {
    assert.equal(await (await fetch(`${base}/latest.json`)).text(), '{"cut":"20240602_2005"}\n');
    await writeFile(path.join(root, 'latest.json'), '{"cut":"20240602_2010"}\n');
    assert.equal(await (await fetch(`${base}/latest.json`)).text(), '{"cut":"20240602_2010"}\n');
    const url = `${base}/20240602_2005/PRES_2024.csv`;
    const first = Buffer.from(await (await fetch(url)).arrayBuffer());
    const again = await fetch(url, { method: 'HEAD' });
    assert.equal(again.headers.get('content-length'), String(first.length));
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), first);
  });

  test('nothing outside the root is reachable', async () => {
    for (const attempt of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/escape.txt', '/a%00b']) {
      const response = await fetch(`${base}${attempt}`);
      assert.ok([400, 404].includes(response.status), `${attempt} answered ${response.status}`);
    }
  });

  test('only GET and HEAD', async () => {
    const response = await fetch(`${base}/latest.json`, { method: 'POST', body: 'x' });
    assert.equal(response.status, 405);
  });

  /** A request with its target exactly as written: fetch would normalise `..` and `//`. */
  const raw = (target: string) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const { port } = new URL(base);
      httpGet({ host: '127.0.0.1', port, path: target }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      }).on('error', reject);
    });

  test('a redirect never leaves the site: its Location is a path with a single leading slash', async () => {
    const plain = await raw('/20240602_2005');
    assert.equal(plain.status, 301);
    assert.equal(plain.headers.location, '/20240602_2005/');
    for (const target of [
      '/%2F%2Fevil.example%2F..%2F20240602_2005',
      '//evil.example/..%2F20240602_2005',
      '/%2Fevil.example/%2E%2E/20240602_2005',
      '/%5C%5Cevil.example%2F..%2F20240602_2005',
      '/%2F%5Cevil.example%2F..%2F20240602_2005',
      '///evil.example/%2e%2e/20240602_2005',
    ]) {
      const response = await raw(target);
      const location = response.headers.location;
      if (location !== undefined)
        assert.match(location, /^\/(?![/\\])/, `${target} redirected to ${location}`);
      assert.ok([301, 400, 404].includes(response.status), `${target} answered ${response.status}`);
    }
  });

  test('dot-files, temporary cut folders and half-written images are never served nor listed', async () => {
    await mkdir(path.join(root, '.20240602_2010.4242.tmp'));
    await writeFile(path.join(root, '.20240602_2010.4242.tmp', 'PRES_2024.csv'), 'half written');
    await writeFile(path.join(root, '20240602_2005', '.env'), 'SECRET=1');
    await mkdir(path.join(root, 'imagenes', 'sha256', 'ab'), { recursive: true });
    await writeFile(path.join(root, 'imagenes', 'sha256', 'ab', 'abcd.png.0badf00d.tmp'), 'half an image');
    for (const target of [
      '/.20240602_2010.4242.tmp/',
      '/.20240602_2010.4242.tmp/PRES_2024.csv',
      '/%2E20240602_2010.4242.tmp/PRES_2024.csv',
      '/20240602_2005/.env',
      '/20240602_2005/%2eenv',
      '/imagenes/sha256/ab/abcd.png.0badf00d.tmp',
    ]) {
      const response = await raw(target);
      assert.equal(response.status, 404, `${target} answered ${response.status}`);
      assert.doesNotMatch(response.body, /half|SECRET/);
    }
    const listing = await raw('/');
    assert.doesNotMatch(listing.body, /\.tmp|\.env/);
  });

  test('types by the name in the public root: the site’s page and scripts as such, a cut’s never', async () => {
    // The site copied into the cuts root (docs/deployment.md), beside a cut with files of its kinds.
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>PREP</title>');
    await writeFile(path.join(root, 'assets', 'app-abc123.js'), 'console.log(1);\n');
    await writeFile(path.join(root, '20240602_2005', 'x.html'), '<script>alert(1)</script>');
    await writeFile(path.join(root, '20240602_2005', 'x.js'), 'alert(1);\n');
    await writeFile(path.join(root, '20240602_2005', 'acta.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
    for (const [target, type] of [
      ['/index.html', 'text/html; charset=utf-8'],
      ['/assets/app-abc123.js', 'text/javascript; charset=utf-8'],
      ['/20240602_2005/x.html', 'application/octet-stream'],
      ['/20240602_2005/x.js', 'application/octet-stream'],
      ['/20240602_2005/acta.jpg', 'image/jpeg'],
    ] as const) {
      // Twice: the second answer comes from memory.
      for (const _ of [1, 2]) {
        const response = await fetch(`${base}${target}`);
        assert.equal(response.status, 200, target);
        assert.equal(response.headers.get('content-type'), type, target);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff', target);
        await response.arrayBuffer();
      }
    }
  });

  test('traversal and encoding tricks: double encoding, backslashes, NUL, overlong UTF-8 and paths, dot segments', async () => {
    const cases: [string, number[]][] = [
      ['/%252e%252e/%252e%252e/etc/passwd', [404]],
      ['/..%5C..%5Cetc%5Cpasswd', [404]],
      ['/20240602_2005%5C..%5C..%5Cescape.txt', [404]],
      ['/20240602_2005%2F..%2F..%2Fetc%2Fpasswd', [404]],
      ['/../../etc/passwd', [404]],
      ['/20240602_2005/../../../etc/passwd', [404]],
      ['/latest.json%00.html', [400]],
      ['/%00', [400]],
      ['/%c0%ae%c0%ae/etc/passwd', [400]],
      ['/%e0%80%ae%e0%80%ae/etc/passwd', [400]],
      ['/%', [400]],
      [`/${'a/'.repeat(3000)}`, [414]],
      [`/${'x'.repeat(6000)}`, [414]],
    ];
    for (const [target, statuses] of cases) {
      const response = await raw(target);
      assert.ok(statuses.includes(response.status), `${target.slice(0, 60)} answered ${response.status}`);
      assert.doesNotMatch(response.body, /secret|root:/);
    }
  });
});

describe('cut server with the public site, compressed (real HTTP on loopback)', () => {
  let work: string;
  let port: number;
  let close: () => Promise<void>;
  const json = `${JSON.stringify({ entidades: Array.from({ length: 300 }, (_, i) => ({ id: i, name: 'ENTIDAD' })) })}\n`;

  /** A plain node:http GET: the bytes as they travel, nothing decoded. */
  const get = (urlPath: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: urlPath, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      }).on('error', reject);
    });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'openprep-site-server-'));
    const cuts = path.join(work, 'cuts');
    const site = path.join(work, 'site');
    await mkdir(path.join(cuts, '20240602_2005', 'json', 'PRES'), { recursive: true });
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await writeFile(path.join(cuts, '20240602_2005', 'json', 'PRES', 'nacional.json'), json);
    await writeFile(path.join(cuts, 'latest.json'), '{"cut":"20240602_2005"}\n');
    await writeFile(path.join(site, 'index.html'), '<!doctype html><title>PREP</title>');
    await writeFile(path.join(site, 'assets', 'app-abc123.js'), 'console.log(1);\n'.repeat(200));
    const server = await startCutServer({ root: cuts, site, port: 0 });
    port = (server.address() as AddressInfo).port;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  after(async () => {
    await close();
    await rm(work, { recursive: true, force: true });
  });

  test('/ is the site, revalidated on every visit; its assets are immutable; cuts beside it', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.equal(page.body.toString(), '<!doctype html><title>PREP</title>');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    const script = await get('/assets/app-abc123.js');
    assert.equal(script.status, 200);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(script.headers['cache-control'] ?? '', /immutable/);
    assert.equal((await get('/latest.json')).status, 200);
    assert.equal((await get('/assets/../latest.json')).status, 200); // normalised to the cuts' pointer
    assert.equal((await get('/assets/missing.js')).status, 404);
  });

  test('brotli or gzip as the reader accepts, from the first reader on; plain for ranges and refusals', async () => {
    const file = '/20240602_2005/json/PRES/nacional.json';
    const br = await get(file, { 'accept-encoding': 'gzip, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'accept-encoding');
    assert.equal(brotliDecompressSync(br.body).toString(), json);
    assert.ok(br.body.length < json.length / 4, `${br.body.length} bytes compressed of ${json.length}`);
    const gz = await get(file, { 'accept-encoding': 'gzip;q=1, br;q=0' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), json);
    const plain = await get(file, { 'accept-encoding': 'identity' });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), json);
    const range = await get(file, { 'accept-encoding': 'br', range: 'bytes=0-9' });
    assert.equal(range.status, 206);
    assert.equal(range.headers['content-encoding'], undefined);
    assert.equal(range.body.toString(), json.slice(0, 10));
  });

  test('accepted encodings, parsed as RFC 9110 says', () => {
    assert.equal(acceptedEncoding(undefined), null);
    assert.equal(acceptedEncoding('gzip, deflate, br, zstd'), 'br');
    assert.equal(acceptedEncoding('GZIP'), 'gzip');
    assert.equal(acceptedEncoding('br;q=0, gzip;q=0.5'), 'gzip');
    assert.equal(acceptedEncoding('br; q=0.0, gzip; q=0'), null);
    assert.equal(acceptedEncoding('deflate'), null);
  });
});
