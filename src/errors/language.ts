/** Problem titles and details come in English or Indonesian, chosen by `Accept-Language`. */
export type Language = 'en' | 'id'

export function negotiateLanguage(header: string | undefined): Language {
  return requestedLanguage(header) ?? 'en'
}

/** The language `Accept-Language` asks for, when it names one of ours; undefined when it names neither. */
export function requestedLanguage(header: string | undefined): Language | undefined {
  if (!header) return undefined
  // Highest q wins; ties keep header order. Only the primary subtag matters ("id-ID" is "id").
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return { primary: tag.split('-')[0], q: q ? Number(q.slice(2)) || 0 : 1, index }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  for (const entry of ranked) {
    if (entry.primary === 'id' || entry.primary === 'en') return entry.primary
  }
  return undefined
}
