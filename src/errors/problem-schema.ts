/**
 * The RFC 9457 problem document every error response uses, as a named component, and a helper
 * that declares problem responses on a route so the contract lists every status it can return.
 */
import { Type, type Static } from 'typebox'
import { problemCodes, problemCatalogue, problemTypeUri, type ProblemCode } from './catalogue.ts'

export const FieldErrorSchema = Type.Object(
  {
    pointer: Type.String({ description: 'JSON Pointer (RFC 6901) to the invalid member within `in`.', examples: ['/email'] }),
    in: Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('header')], {
      description: 'Which part of the request the pointer refers to.',
    }),
    detail: Type.String({ description: 'Why the value was refused, in the negotiated language.' }),
    reason: Type.Optional(Type.String({ description: 'Stable machine-readable reason (e.g. `required`, `pattern`, `format`).' })),
  },
  { $id: 'FieldError', title: 'FieldError', additionalProperties: false },
)

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri', description: 'Identifies the problem type; stable per `code`.' }),
    title: Type.String({ description: 'Short summary of the problem type, in the negotiated language.' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String({ description: 'What went wrong in this occurrence. Generic for 5xx.' })),
    instance: Type.String({ description: 'The request path this occurrence relates to.' }),
    code: Type.Unsafe<ProblemCode>({ type: 'string', enum: problemCodes, description: 'Stable error code to branch on.' }),
    requestId: Type.String({ description: 'Correlation id; also in the `X-Request-Id` header and the gateway log.' }),
    errors: Type.Optional(Type.Array(Type.Ref('FieldError'), { description: 'One entry per invalid field.' })),
  },
  {
    $id: 'Problem',
    title: 'Problem',
    description: 'RFC 9457 problem details. Titles and details follow `Accept-Language` (`en` or `id`).',
    additionalProperties: false,
    examples: [
      {
        type: problemTypeUri('VALIDATION_FAILED'),
        title: 'Validation failed',
        status: 422,
        detail: 'The request has 1 invalid field.',
        instance: '/v1/registrations',
        code: 'VALIDATION_FAILED',
        requestId: '4f1c2b7e-8a43-4a55-9d7e-0d5c1f3b2a10',
        errors: [{ pointer: '/nib', in: 'body', detail: 'must match the pattern ^[0-9]{13}$', reason: 'pattern' }],
      },
    ],
  },
)

export type Problem = Static<typeof ProblemSchema>

/** Response declarations for the given problem codes, keyed by status (codes sharing a status merge). */
export function problemResponses(...codes: ProblemCode[]): Record<number, unknown> {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of codes) {
    const status = problemCatalogue[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<number, unknown> = {}
  for (const [status, sameStatus] of byStatus) {
    responses[status] = {
      description: sameStatus.map((code) => `\`${code}\`: ${problemCatalogue[code].title.en}`).join('; '),
      content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    }
  }
  return responses
}

/** Problems any route can answer with, whatever it does. */
export const COMMON_PROBLEMS: ProblemCode[] = ['RATE_LIMITED', 'INTERNAL_ERROR']
