/** Languages the web frontend ships; `language` fields are validated against this list. */
export const LANGUAGES = [
  'ar',
  'de',
  'el',
  'en',
  'es',
  'fr',
  'it',
  'nl',
  'no',
  'pl',
  'pt',
  'ro',
  'ru',
  'sk',
  'sv',
  'tr',
  'vi',
  'zh',
] as const

export function isLanguage(value: string): boolean {
  return (LANGUAGES as readonly string[]).includes(value)
}
