/**
 * No NUL character and no lone surrogate in any string a request carries (body, query, path
 * parameters): PostgreSQL cannot store U+0000 in text and fails the statement, which would answer
 * 500 for a client's mistake; a lone surrogate (`"\ud800"` in JSON) is not Unicode at all and
 * would be stored silently altered (as U+FFFD), so it is refused rather than changed. Checked after validation (so schema-bounded input is small) and before any handler,
 * also for routes without a schema (the sign-in forms) and for bodies parsed in a route's own
 * preValidation (the registration's multipart form).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type FieldError } from '../errors/app-error.ts'
import { negotiateLanguage } from '../errors/language.ts'

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

interface Frame {
  value: unknown
  parent?: Frame
  key?: string
}

/** The JSON pointer of a frame, built only once something is found (not for every value visited). */
function pointerOf(frame: Frame): string {
  const keys: string[] = []
  for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) keys.push(escapePointer(at.key))
  return keys.reverse().map((key) => `/${key}`).join('')
}

export interface Unstorable {
  pointer: string
  reason: 'nul' | 'lone_surrogate'
}

const flaw = (text: string): Unstorable['reason'] | undefined => (text.includes('\0') ? 'nul' : text.isWellFormed() ? undefined : 'lone_surrogate')

/** The first string (or key) holding U+0000 or a lone surrogate, else undefined. Iterative: no stack overflow on deep input. */
export function findUnstorable(value: unknown): Unstorable | undefined {
  const stack: Frame[] = [{ value }]
  while (stack.length) {
    const frame = stack.pop()!
    const node = frame.value
    if (typeof node === 'string') {
      const reason = flaw(node)
      if (reason) return { pointer: pointerOf(frame), reason }
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], parent: frame, key: String(i) })
    } else if (node !== null && typeof node === 'object' && !Buffer.isBuffer(node)) {
      for (const key of Object.keys(node)) {
        const reason = flaw(key)
        if (reason) return { pointer: pointerOf({ value: undefined, parent: frame, key }), reason }
        stack.push({ value: (node as Record<string, unknown>)[key], parent: frame, key })
      }
    }
  }
  return undefined
}

const DETAILS = {
  nul: { en: 'must not contain the NUL character (U+0000)', id: 'tidak boleh memuat karakter NUL (U+0000)' },
  lone_surrogate: { en: 'must be valid Unicode text (a lone surrogate is not)', id: 'harus berupa teks Unicode yang valid (surrogate tunggal tidak valid)' },
}

function unstorableError(request: FastifyRequest, found: Unstorable, location: FieldError['in']): AppError {
  const language = negotiateLanguage(request.headers['accept-language'])
  const pointer = found.pointer.replaceAll('\0', '\\u0000').toWellFormed()
  return new AppError('VALIDATION_FAILED', { errors: [{ pointer, in: location, detail: DETAILS[found.reason][language], reason: found.reason }] })
}

/** An object without own keys (a route's params or query), checked without building a key list. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true
  if (typeof value !== 'object') return false
  for (const key in value) if (Object.hasOwn(value, key)) return false
  return true
}

async function nulBytesPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    // Nothing to look at (most GETs): no walk.
    if (request.body === undefined && isEmpty(request.params) && isEmpty(request.query)) return done()
    const inPath = findUnstorable(request.params)
    if (inPath !== undefined) return done(unstorableError(request, inPath, 'path'))
    const inQuery = findUnstorable(request.query)
    if (inQuery !== undefined) return done(unstorableError(request, inQuery, 'query'))
    const inBody = findUnstorable(request.body)
    if (inBody !== undefined) return done(unstorableError(request, inBody, 'body'))
    done()
  })
}

export default fp(nulBytesPlugin, { name: 'nul-bytes', fastify: '5.x', dependencies: ['errors'] })
