/**
 * JSON bodies whose parsing cost is bounded. Validation stops at the first error, but JSON.parse
 * runs before it and costs far more on some shapes than on others of the same size: 1 MB of
 * `[[[[…]]]]` (hundreds of thousands of levels) or of 60,000 distinct member names takes hundreds
 * of milliseconds, blocking every other request. No request this API accepts nests deeper than a
 * few levels or uses more than a few dozen distinct member names (and objects with hundreds
 * of distinct names parse several times slower than narrow ones), so one linear scan of the text
 * refuses those shapes (400) before JSON.parse sees them.
 */
import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors/app-error.ts'

export const MAX_JSON_DEPTH = 32
export const MAX_JSON_MEMBER_NAMES = 200

const OPEN_OBJECT = 0x7b
const OPEN_ARRAY = 0x5b
const CLOSE_OBJECT = 0x7d
const CLOSE_ARRAY = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a

/** Why the text is refused, or undefined. Not a validator: malformed JSON is JSON.parse's to report. */
export function jsonComplexityProblem(text: string): string | undefined {
  let depth = 0
  const names = new Set<string>()
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (char === QUOTE) {
      const start = i + 1
      for (i = start; i < text.length; i++) {
        const inner = text.charCodeAt(i)
        if (inner === BACKSLASH) i++
        else if (inner === QUOTE) break
      }
      let next = i + 1
      while (next < text.length && text.charCodeAt(next) <= 0x20) next++
      if (text.charCodeAt(next) === COLON) {
        names.add(text.slice(start, i))
        if (names.size > MAX_JSON_MEMBER_NAMES) return `more than ${MAX_JSON_MEMBER_NAMES} distinct member names`
      }
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (++depth > MAX_JSON_DEPTH) return `nested deeper than ${MAX_JSON_DEPTH} levels`
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      depth--
    }
  }
  return undefined
}

export function tooComplex(problem: string): AppError {
  return new AppError('BAD_REQUEST', {
    detail: {
      en: `The JSON body is ${problem}; no operation of this API takes such a shape.`,
      id: `Badan JSON ${problem.startsWith('more') ? `memiliki lebih dari ${MAX_JSON_MEMBER_NAMES} nama anggota berbeda` : `bersarang lebih dari ${MAX_JSON_DEPTH} tingkat`}; tidak ada operasi API ini yang menerima bentuk tersebut.`,
    },
  })
}

/** Replaces Fastify's application/json parser with one that scans first, then parses as before. */
export function useBoundedJsonParser(app: FastifyInstance): void {
  // Fastify's own parser: prototype-poisoning protection and its empty-body error stay as they were.
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = typeof body === 'string' ? jsonComplexityProblem(body) : undefined
    if (problem) {
      done(tooComplex(problem), undefined)
      return
    }
    parse(request, body as string, done)
  })
}
