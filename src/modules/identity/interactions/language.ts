import type { FastifyRequest } from 'fastify'
import { negotiateLanguage, type Language } from '../../../errors/language.ts'

/** `?lang=` (the page's language switch) wins, then the app's `ui_locales`, then Accept-Language. */
export function pageLanguage(request: FastifyRequest, uiLocales?: unknown): Language {
  const lang = (request.query as { lang?: string } | undefined)?.lang
  if (lang === 'id' || lang === 'en') return lang
  if (typeof uiLocales === 'string' && uiLocales) return negotiateLanguage(uiLocales.split(' ').join(','))
  return negotiateLanguage(request.headers['accept-language'])
}
