/**
 * No NUL character in any string a request carries (body, query, path parameters): PostgreSQL
 * cannot store U+0000 in text and fails the statement, which would answer 500 for a client's
 * mistake. Checked after validation (so schema-bounded input is small) and before any handler,
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

/** JSON pointer of the first string (or key) holding U+0000, else undefined. Iterative: no stack overflow on deep input. */
export function findNul(value: unknown): string | undefined {
  const stack: Frame[] = [{ value }]
  while (stack.length) {
    const frame = stack.pop()!
    const node = frame.value
    if (typeof node === 'string') {
      if (node.includes('\0')) return pointerOf(frame)
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], parent: frame, key: String(i) })
    } else if (node !== null && typeof node === 'object' && !Buffer.isBuffer(node)) {
      for (const key of Object.keys(node)) {
        if (key.includes('\0')) return pointerOf({ value: undefined, parent: frame, key })
        stack.push({ value: (node as Record<string, unknown>)[key], parent: frame, key })
      }
    }
  }
  return undefined
}

const DETAIL = { en: 'must not contain the NUL character (U+0000)', id: 'tidak boleh memuat karakter NUL (U+0000)' }

function nulError(request: FastifyRequest, pointer: string, location: FieldError['in']): AppError {
  const language = negotiateLanguage(request.headers['accept-language'])
  return new AppError('VALIDATION_FAILED', {
    errors: [{ pointer: pointer.replaceAll('\0', '\\u0000'), in: location, detail: DETAIL[language], reason: 'nul' }],
  })
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
    const inPath = findNul(request.params)
    if (inPath !== undefined) return done(nulError(request, inPath, 'path'))
    const inQuery = findNul(request.query)
    if (inQuery !== undefined) return done(nulError(request, inQuery, 'query'))
    const inBody = findNul(request.body)
    if (inBody !== undefined) return done(nulError(request, inBody, 'body'))
    done()
  })
}

export default fp(nulBytesPlugin, { name: 'nul-bytes', fastify: '5.x', dependencies: ['errors'] })
