import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isSiteName, publicContentType, UNKNOWN_CONTENT_TYPE } from './content_types.ts';

test('what a cut holds keeps the type both tables gave it', () => {
  const cut = '20240602_2105';
  for (const [name, type] of [
    [`${cut}/PRES_2024.csv`, 'text/csv; charset=utf-8'],
    [`${cut}/LEEME.txt`, 'text/plain; charset=utf-8'],
    [`${cut}/manifest.json`, 'application/json; charset=utf-8'],
    [`${cut}/json/PRES/entidad/09.json`, 'application/json; charset=utf-8'],
    [`${cut}/manifest.sig`, 'text/plain; charset=utf-8'],
    [`${cut}/verifier.pub`, 'text/plain; charset=utf-8'],
    [`${cut}/${cut}.zip`, 'application/zip'],
    ['catalogo/CASILLAS.csv', 'text/csv; charset=utf-8'],
    ['latest.json', 'application/json; charset=utf-8'],
    ['latest.sig', 'text/plain; charset=utf-8'],
    ['imagenes/acta.png', 'image/png'],
    // The cut store's already; the cut server's was application/octet-stream.
    ['imagenes/acta.jpg', 'image/jpeg'],
    // The acta images are named by their hash alone (the cut store is told their type).
    [`imagenes/sha256/ab/${'c'.repeat(62)}`, UNKNOWN_CONTENT_TYPE],
    ['LEEME', UNKNOWN_CONTENT_TYPE],
  ] as const)
    assert.equal(publicContentType(name), type, name);
});

test('the site’s page, script, style and images get theirs, at the site’s names only', () => {
  assert.equal(publicContentType('index.html'), 'text/html; charset=utf-8');
  assert.equal(publicContentType('assets/index-abc123.js'), 'text/javascript; charset=utf-8');
  assert.equal(publicContentType('assets/index-abc123.css'), 'text/css; charset=utf-8');
  assert.equal(publicContentType('assets/mapa-abc123.svg'), 'image/svg+xml');
  // The same kinds inside a cut, the catalog or beside the pointer: downloaded, never run.
  for (const name of [
    '20240602_2105/index.html',
    '20240602_2105/assets/x.js',
    'catalogo/x.css',
    'imagenes/x.svg',
    'x.html',
    'assets.js',
  ])
    assert.equal(publicContentType(name), UNKNOWN_CONTENT_TYPE, name);
});

test('an extension is read whatever its case; a leading dot is no extension', () => {
  assert.equal(publicContentType('20240602_2105/PRES_2024.CSV'), 'text/csv; charset=utf-8');
  assert.equal(publicContentType('imagenes/ACTA.JPG'), 'image/jpeg');
  assert.equal(publicContentType('INDEX.HTML'), UNKNOWN_CONTENT_TYPE);
  assert.equal(publicContentType('catalogo/.csv'), UNKNOWN_CONTENT_TYPE);
});

test('a type a browser renders or runs is never given outside the site', () => {
  const active = /^(text\/html|text\/javascript|text\/css|image\/svg\+xml)\b/;
  fc.assert(
    fc.property(
      fc.array(
        fc.constantFrom('a', 'assets', 'index', '.', '/', 'html', 'js', 'x.svg', 'Css', '20240602_2105'),
        {
          maxLength: 8,
        },
      ),
      (parts) => {
        const name = parts.join('');
        if (active.test(publicContentType(name))) assert.ok(isSiteName(name), name);
      },
    ),
  );
});
