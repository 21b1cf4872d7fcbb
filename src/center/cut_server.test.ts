import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCutServer } from './cut_server.ts';

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
});
