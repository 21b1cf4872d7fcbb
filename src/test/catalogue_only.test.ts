/**
 * Every word a person reads on the site or the console comes from a catalogue (src/site/i18n.ts,
 * src/console/i18n.ts), so that each screen exists whole in Spanish and in English. The browser
 * walks (findUntranslated) catch English left on a Spanish screen; this catches what they cannot:
 * a sentence written straight into a component, which shows in the same language whatever the
 * reader chose. It reads each component's syntax tree (rolldown's parser, the one the site's
 * build already uses through vite) and lists text in JSX, in the attributes a person reads or
 * hears, and in string literals placed directly in the markup.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseAst } from 'rolldown/parseAst';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['site', 'console'];

/** Words that are the same in both languages: INE's vocabulary and names, not sentences. */
const SAME_IN_BOTH = new Set([
  'Ilegible',
  'Sin dato',
  'SHA-256',
  'CATD',
  'OpenPREP',
  'i',
  's',
  'CSV',
  'JSON',
]);
/** Attributes a person reads or hears. */
const READ_ATTRIBUTES = new Set([
  'alt',
  'title',
  'aria-label',
  'placeholder',
  'label',
  'submitLabel',
  'empty',
]);

interface Node {
  readonly type: string;
  readonly start: number;
  readonly [key: string]: unknown;
}

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** A published file's name (LEEME.txt, manifest.json): the same in both languages. */
const FILE_NAME = /[\w.-]*\.(zip|txt|json|sig|csv)\b/g;
/** A sentence has words once the names that are the same in both languages are taken out. */
const hasWords = (text: string) => {
  let rest = text.replace(FILE_NAME, ' ');
  for (const same of SAME_IN_BOTH)
    rest = rest.replaceAll(new RegExp(`(?<!\\p{L})${same}(?!\\p{L})`, 'gu'), ' ');
  return /\p{L}{2,}/u.test(rest);
};

/** The literal text an expression shown in markup can evaluate to (through ?: and &&/||). */
function literalTexts(expression: unknown): string[] {
  if (!isNode(expression)) return [];
  if (expression.type === 'Literal' && typeof expression.value === 'string') return [expression.value];
  if (expression.type === 'TemplateLiteral')
    return (expression.quasis as { value: { cooked: string } }[]).map((q) => q.value.cooked);
  if (expression.type === 'ConditionalExpression')
    return [...literalTexts(expression.consequent), ...literalTexts(expression.alternate)];
  if (expression.type === 'LogicalExpression') return literalTexts(expression.right);
  return [];
}

function findHardCoded(source: string): { text: string; line: number }[] {
  const found: { text: string; line: number }[] = [];
  const lineOf = (offset: number) => source.slice(0, offset).split('\n').length;
  const visit = (node: unknown, inMarkup: boolean): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child, inMarkup);
      return;
    }
    if (!isNode(node)) return;
    if (node.type === 'JSXText' && hasWords(String(node.value)))
      found.push({ text: String(node.value).trim(), line: lineOf(node.start) });
    if (node.type === 'JSXAttribute') {
      const name = (node.name as { name?: string }).name ?? '';
      if (READ_ATTRIBUTES.has(name)) {
        const value = node.value as Node | null;
        const texts =
          value?.type === 'JSXExpressionContainer' ? literalTexts(value.expression) : literalTexts(value);
        for (const text of texts) if (hasWords(text)) found.push({ text, line: lineOf(node.start) });
      }
      return;
    }
    if (node.type === 'JSXExpressionContainer' && inMarkup)
      for (const text of literalTexts(node.expression))
        if (hasWords(text)) found.push({ text, line: lineOf(node.start) });
    const markup = node.type === 'JSXElement' || node.type === 'JSXFragment';
    for (const [key, value] of Object.entries(node))
      if (key !== 'type')
        visit(value, markup && key === 'children' ? true : markup ? false : inMarkup && false);
  };
  visit(parseAst(source, { lang: 'tsx' }), false);
  return found;
}

test('the finder sees text in markup, in read attributes and in literals shown in markup', () => {
  const found = findHardCoded(
    'const a = <p title="Un título" class="x">Hola {b ? "sí señor" : c} <kbd>i</kbd> · SHA-256 LEEME.txt {n}</p>;',
  );
  assert.deepEqual(
    found.map((f) => f.text),
    ['Un título', 'Hola', 'sí señor'],
  );
});

for (const folder of FOLDERS)
  test(`no sentence is written straight into a component of src/${folder}`, async () => {
    const files = (await readdir(path.join(SRC, folder))).filter((f) => f.endsWith('.tsx'));
    assert.ok(files.length > 0);
    const found: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(SRC, folder, file), 'utf8');
      for (const { text, line } of findHardCoded(source)) found.push(`${folder}/${file}:${line}: ${text}`);
    }
    assert.deepEqual(found, []);
  });
