/**
 * Finds English left inside a Spanish screen: every text node, and every attribute a person
 * hears or sees (aria-label, title, alt, placeholder), plus the document's title, is compared
 * with the English catalogue (a string the English catalogue has and the Spanish one does not)
 * and with a list of English words that Spanish never uses. Text the page itself declares
 * English (inside an element with `lang="en"`, such as the language button or a "detalle
 * técnico" disclosure of a verifier's message) is left out: it is labelled for what it is.
 */
import type { Page } from 'playwright-core';

/**
 * English words no Spanish sentence of these screens has. Whole words, case-insensitive: each
 * was seen on a Spanish screen before it was translated (`sign-in failed: check…`, `estado
 * verified`, `signed latest pointer`, `entidad/09.json: not published`, `points to`, `files
 * match`) or is as common in English prose.
 */
export const ENGLISH_WORDS: readonly string[] = [
  'the',
  'not',
  'is',
  'are',
  'and',
  'of',
  'with',
  'from',
  'this',
  'that',
  'has',
  'was',
  'failed',
  'check',
  'signed',
  'signature',
  'published',
  'pointer',
  'verified',
  'points',
  'match',
  'matches',
  'missing',
  'cannot',
  'unexpected',
  'answer',
  'pending',
  'captured',
  'refused',
  'contests',
  'files',
  'password',
  'username',
  'sign-in',
];

const WORD = new RegExp(`(?<![\\p{L}\\p{N}_-])(${ENGLISH_WORDS.join('|')})(?![\\p{L}\\p{N}_-])`, 'iu');

export interface Untranslated {
  readonly text: string;
  readonly where: string;
  readonly why: string;
}

/**
 * Every visible or announced text of the page in `language`, with where it is (tag path and
 * attribute): text inside an element declared in another language is left out.
 */
async function textsOf(page: Page, language: 'es' | 'en'): Promise<{ text: string; where: string }[]> {
  return page.evaluate((language) => {
    const out: { text: string; where: string }[] = [];
    const pathOf = (element: Element | null): string => {
      const parts: string[] = [];
      for (let e = element; e !== null && parts.length < 4; e = e.parentElement)
        parts.unshift(
          e.tagName.toLowerCase() +
            (e.className && typeof e.className === 'string' ? `.${e.className.split(' ')[0]}` : ''),
        );
      return parts.join('>');
    };
    const english = (element: Element | null) => {
      const lang = element?.closest('[lang]')?.getAttribute('lang') ?? language;
      return !lang.startsWith(language);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent === null || ['SCRIPT', 'STYLE'].includes(parent.tagName) || english(parent)) continue;
      const text = (node.textContent ?? '').trim();
      if (text !== '') out.push({ text, where: pathOf(parent) });
    }
    for (const element of document.body.querySelectorAll('[aria-label],[title],[alt],[placeholder]')) {
      if (english(element)) continue;
      for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
        const value = element.getAttribute(name);
        if (value !== null && value.trim() !== '')
          out.push({ text: value, where: `${pathOf(element)}[${name}]` });
      }
    }
    out.push({ text: document.title, where: 'title' });
    return out;
  }, language);
}

/**
 * The page's texts in English: those the English catalogue has and the Spanish one does not
 * (`englishOnly`, whole text or, for strings of 12 characters or more, inside a longer text),
 * and those with an English word of ENGLISH_WORDS.
 */
export async function findUntranslated(page: Page, englishOnly: readonly string[]): Promise<Untranslated[]> {
  const found: Untranslated[] = [];
  for (const { text, where } of await textsOf(page, 'es')) {
    const catalogued = englishOnly.find((s) => text === s || (s.length >= 12 && text.includes(s)));
    if (catalogued !== undefined) found.push({ text, where, why: `English catalogue: "${catalogued}"` });
    else {
      const word = WORD.exec(text);
      if (word !== null) found.push({ text, where, why: `English word "${word[1]}"` });
    }
  }
  return found;
}

/**
 * The other way round, for a screen in English: its texts that the Spanish catalogue has and
 * the English one does not (`spanishOnly`, whole text or, for strings of 12 characters or more,
 * inside a longer text). INE's words and the election's own names (parties, contests) are not
 * in a catalogue, so they are not taken for untranslated text.
 */
export async function findUntranslatedSpanish(
  page: Page,
  spanishOnly: readonly string[],
): Promise<Untranslated[]> {
  const found: Untranslated[] = [];
  for (const { text, where } of await textsOf(page, 'en')) {
    const catalogued = spanishOnly.find((s) => text === s || (s.length >= 12 && text.includes(s)));
    if (catalogued !== undefined) found.push({ text, where, why: `Spanish catalogue: "${catalogued}"` });
  }
  return found;
}

/** The strings of an English catalogue that its Spanish one does not also use. */
export function englishOnly(
  es: Readonly<Record<string, string>>,
  en: Readonly<Record<string, string>>,
): string[] {
  const spanish = new Set(Object.values(es));
  return Object.values(en).filter((s) => !spanish.has(s) && s.trim() !== '');
}
