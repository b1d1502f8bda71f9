/**
 * GET /v1/permit-types and GET /v1/permit-types/{code}: the catalogue an integrator builds its
 * application form from, payload JSON Schema included.
 *
 * The fixture changes only with a deploy, so each body is serialised once at start with a strong
 * ETag of its bytes: a client revalidates with If-None-Match and gets 304 until the next deploy
 * changes the content.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors/app-error.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { PermitTypeCodeParamsSchema } from './schemas.ts'

/** Private: behind authentication. Short enough that a deploy is picked up soon even without revalidation. */
const CACHE_CONTROL = 'private, max-age=300'
const READ_SCOPES = ['permits:read', 'permits:write']

interface CachedBody {
  body: string
  etag: string
}

function cached(value: unknown): CachedBody {
  const body = JSON.stringify(value)
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag
  })
}

function send(request: FastifyRequest, reply: FastifyReply, entry: CachedBody) {
  reply.header('etag', entry.etag).header('cache-control', CACHE_CONTROL)
  if (matches(request.headers['if-none-match'], entry.etag)) return reply.code(304).send()
  return reply.type('application/json; charset=utf-8').send(entry.body)
}

/** Any person signed in to the gateway; a machine client needs permits:read or permits:write. */
function requireReader(request: FastifyRequest): void {
  const principal = requirePrincipal(request)
  if (principal.kind === 'client' && !READ_SCOPES.some((scope) => principal.scopes.has(scope))) {
    throw new AppError('INSUFFICIENT_SCOPE', {
      detail: { en: 'This operation needs the scope permits:read or permits:write.', id: 'Operasi ini memerlukan cakupan permits:read atau permits:write.' },
      headers: { 'www-authenticate': 'Bearer realm="insw-gateway", error="insufficient_scope", scope="permits:read"' },
    })
  }
}

const cachingHeaders = {
  ETag: { type: 'string', description: 'Strong validator of the body; send it back in `If-None-Match`.' },
  'Cache-Control': { type: 'string', description: '`private, max-age=300`: the catalogue changes only with a deploy.' },
}
const ifNoneMatch = Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 1024, description: 'An ETag from an earlier answer: 304 while it still matches.' })) })
const notModified = { type: 'null', description: 'Not modified: the ETag in `If-None-Match` still matches.', headers: cachingHeaders }
const rights =
  'Any signed-in user of the gateway; a machine client needs `permits:read` or `permits:write`. Cacheable: `ETag` and `Cache-Control: private, max-age=300`; revalidate with `If-None-Match`.'

export default async function permitTypeRoutes(app: FastifyInstance): Promise<void> {
  const list = cached({ items: app.permitTypes.list() })
  const byCode = new Map(app.permitTypes.list().map((type) => [type.code, cached(type)]))

  app.get(
    '/v1/permit-types',
    {
      schema: {
        operationId: 'listPermitTypes',
        summary: 'Permit types: what each needs, its SLA and its application payload schema',
        description: `Every export and import permit and Surat Keterangan that can be applied for through SSM Perizinan. ${rights}`,
        tags: ['Permit types'],
        security: SECURED,
        headers: ifNoneMatch,
        response: {
          200: { description: 'The catalogue.', headers: cachingHeaders, content: { 'application/json': { schema: Type.Ref('PermitTypeList') } } },
          304: notModified,
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'INSUFFICIENT_SCOPE', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      requireReader(request)
      return send(request, reply, list)
    },
  )

  app.get<{ Params: { code: string } }>(
    '/v1/permit-types/:code',
    {
      schema: {
        operationId: 'getPermitType',
        summary: 'One permit type, with its application payload schema',
        description: `${rights} An unknown code answers \`404\`.`,
        tags: ['Permit types'],
        security: SECURED,
        params: PermitTypeCodeParamsSchema,
        headers: ifNoneMatch,
        response: {
          200: { description: 'The permit type.', headers: cachingHeaders, content: { 'application/json': { schema: Type.Ref('PermitType') } } },
          304: notModified,
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      requireReader(request)
      const entry = byCode.get(request.params.code)
      if (!entry) {
        throw new AppError('NOT_FOUND', { detail: { en: 'No permit type has this code; see GET /v1/permit-types.', id: 'Tidak ada jenis izin dengan kode ini; lihat GET /v1/permit-types.' } })
      }
      return send(request, reply, entry)
    },
  )
}
