/**
 * GET /v1/permits/{id}/document: the issued licence, as the PDF (default) or as JSON (by
 * `Accept`). Both are served from the row written once at issuance, so every download of a
 * representation is the same bytes and carries the same strong ETag.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../errors/app-error.ts'
import { COMMON_PROBLEMS, problemResponses } from '../../errors/problem-schema.ts'
import { requirePrincipal } from '../../plugins/auth.ts'
import { SECURED } from '../../plugins/openapi.ts'
import { readablePermit } from './permit-access.ts'

type Representation = 'pdf' | 'json'

/** The preferred of the two by `Accept` (q-values honoured); PDF when indifferent; undefined when neither is acceptable. */
export function negotiate(accept: string | undefined): Representation | undefined {
  if (!accept || accept.trim() === '') return 'pdf'
  let best: { type: Representation; q: number } | undefined
  for (const part of accept.split(',').slice(0, 20)) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam ? Number(qParam.slice(2)) : 1
    if (!(q > 0)) continue
    const candidates: Representation[] =
      range === 'application/pdf' ? ['pdf'] : range === 'application/json' ? ['json'] : range === '*/*' || range === 'application/*' ? ['pdf'] : []
    for (const type of candidates) {
      // Equal q: the more specific range wins only if it was listed; PDF is the default among wildcards.
      if (!best || q > best.q) best = { type, q }
    }
  }
  return best?.type
}

function notIssued(status: string): AppError {
  return new AppError('CONFLICT', {
    detail: {
      en: `The licence document exists once the permit is issued; this permit is ${status}.`,
      id: `Dokumen izin tersedia setelah izin terbit; status permohonan ini ${status}.`,
    },
  })
}

export default async function permitDocumentRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/v1/permits/:id/document',
    {
      schema: {
        operationId: 'getPermitDocument',
        summary: 'Download the issued licence',
        description:
          'Once the permit is `issued`: the licence INATRADE granted, as a PDF (`Accept: application/pdf`, the default) or as JSON (`Accept: application/json`): number, holder (name, NIB), permit type, validity, commodity lines and a verification URL. Generated once at issuance and stored, so every download is the same bytes; `ETag` is the SHA-256 of the representation (send it in `If-None-Match` for a `304`). `409` before issuance. Same rights as reading the permit: View on SSM Perizinan or `permits:read`; another organisation\'s permit is `404`.',
        tags: ['Permits'],
        security: SECURED,
        params: Type.Object({ id: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false }),
        response: {
          200: {
            description: 'The licence.',
            headers: { etag: { type: 'string', description: 'Strong ETag: the SHA-256 (hex) of these bytes.' } },
            content: {
              'application/pdf': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: Type.Ref('LicenceDocument') },
            },
          },
          304: { description: 'Not modified: `If-None-Match` holds the current ETag.', type: 'null' },
          ...problemResponses('UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'INSUFFICIENT_SCOPE', 'NOT_FOUND', 'NOT_ACCEPTABLE', 'CONFLICT', 'VALIDATION_FAILED', ...COMMON_PROBLEMS),
        },
      },
    },
    async (request, reply) => {
      const permit = await readablePermit(app.db, requirePrincipal(request), request.params.id)
      const representation = negotiate(request.headers.accept)
      if (!representation) {
        throw new AppError('NOT_ACCEPTABLE', { detail: { en: 'The licence is available as application/pdf or application/json.', id: 'Dokumen izin tersedia sebagai application/pdf atau application/json.' } })
      }
      if (permit.status !== 'issued') throw notIssued(permit.status)
      const document = await app.db.selectFrom('permit_documents').selectAll().where('permit_id', '=', permit.id).executeTakeFirst()
      if (!document) throw notIssued(permit.status)

      const body = representation === 'pdf' ? Buffer.from(document.pdf) : Buffer.from(JSON.stringify(document.json))
      const sha256 = representation === 'pdf' ? document.sha256 : createHash('sha256').update(body).digest('hex')
      const etag = `"${sha256}"`
      reply.header('etag', etag).header('vary', 'Accept').header('cache-control', 'private, no-cache').header('x-content-type-options', 'nosniff')
      if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send()
      if (representation === 'pdf') {
        reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', `attachment; filename="licence-${permit.reference_number}.pdf"`)
          .header('content-security-policy', "sandbox; default-src 'none'")
      } else {
        reply.header('content-type', 'application/json; charset=utf-8')
      }
      return reply.send(body)
    },
  )
}
