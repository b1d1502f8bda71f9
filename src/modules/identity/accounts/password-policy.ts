/**
 * The INSW password rule (domain brief): at least 8 characters with a digit, an upper-case
 * letter, a lower-case letter and a punctuation character. Checked wherever a password is set.
 */
import type { LocalizedText } from '../../../errors/app-error.ts'

const RULES: { test: (password: string) => boolean; message: { en: string; id: string } }[] = [
  { test: (p) => [...p].length >= 8, message: { en: 'at least 8 characters', id: 'minimal 8 karakter' } },
  { test: (p) => /\p{Nd}/u.test(p), message: { en: 'a digit', id: 'angka' } },
  { test: (p) => /\p{Lu}/u.test(p), message: { en: 'an upper-case letter', id: 'huruf besar' } },
  { test: (p) => /\p{Ll}/u.test(p), message: { en: 'a lower-case letter', id: 'huruf kecil' } },
  { test: (p) => /[\p{P}\p{S}]/u.test(p), message: { en: 'a punctuation character', id: 'tanda baca' } },
]

export const MAX_PASSWORD_LENGTH = 256

/** Undefined when the password is acceptable; otherwise what is missing, in both languages. */
export function passwordProblems(password: string): LocalizedText | undefined {
  if (password.length > MAX_PASSWORD_LENGTH) {
    return { en: `must be at most ${MAX_PASSWORD_LENGTH} characters`, id: `maksimal ${MAX_PASSWORD_LENGTH} karakter` }
  }
  const missing = RULES.filter((rule) => !rule.test(password)).map((rule) => rule.message)
  if (missing.length === 0) return undefined
  return {
    en: `must contain ${missing.map((m) => m.en).join(', ')}`,
    id: `harus mengandung ${missing.map((m) => m.id).join(', ')}`,
  }
}
