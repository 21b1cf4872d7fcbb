/** The words of the console's chosen language, for every screen below the console's root. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Language, WORDS, type Words } from './i18n.ts';

export const LanguageContext = createContext<Language>('es');

export function useLanguage(): Language {
  return useContext(LanguageContext);
}

export function useWords(): Words {
  return WORDS[useContext(LanguageContext)];
}
