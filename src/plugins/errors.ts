/**
 * The one error handler: every failure leaves as RFC 9457 `application/problem+json` with a
 * stable `code`. Client mistakes (4xx) say what is wrong, field by field; server faults (5xx)
 * say nothing internal, only the correlation id that is also in the log line.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type FieldError, type LocalizedText } from '../errors/app-error.ts'
import { problemCatalogue, problemTypeUri, type ProblemCode } from '../errors/catalogue.ts'
import { fieldMessage, pointerOf } from '../errors/field-messages.ts'
import { negotiateLanguage, type Language } from '../errors/language.ts'
import { ProblemSchema, FieldErrorSchema, type Problem } from '../errors/problem-schema.ts'

/** Fastify's own 4xx errors, mapped to our codes with details in both languages. */
const FASTIFY_CODES: Record<string, { code: ProblemCode; detail: LocalizedText }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: {
      en: 'This operation does not accept the Content-Type sent; see the operation in /openapi.json.',
      id: 'Operasi ini tidak menerima Content-Type yang dikirim; lihat operasinya di /openapi.json.',
    },
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'PAYLOAD_TOO_LARGE',
    detail: { en: 'The request body is larger than this operation accepts.', id: 'Badan permintaan melebihi batas ukuran operasi ini.' },
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON', detail: { en: 'The body is not valid JSON.', id: 'Badan permintaan bukan JSON yang valid.' } },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'MALFORMED_JSON',
    detail: { en: 'Content-Type is application/json but the body is empty.', id: 'Content-Type application/json tetapi badan permintaan kosong.' },
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_REQUEST',
    detail: { en: 'Content-Length does not match the body.', id: 'Content-Length tidak sesuai dengan badan permintaan.' },
  },
}

const LOCATION: Record<string, FieldError['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
}

/** When an upstream or the gateway is unavailable and nothing better is known. */
const DEFAULT_RETRY_AFTER_SECONDS = 5

const GENERIC_5XX: Record<Language, string> = {
  en: 'An unexpected error occurred. Quote the requestId when contacting support.',
  id: 'Terjadi kesalahan tak terduga. Sebutkan requestId saat menghubungi layanan bantuan.',
}

export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error
  const fastifyError = error as FastifyError
  if (fastifyError.validation) {
    return new AppError('VALIDATION_FAILED', { errors: [], cause: error })
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined
  if (mapped) return new AppError(mapped.code, { detail: mapped.detail, cause: error })
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('MALFORMED_JSON', { detail: FASTIFY_CODES.FST_ERR_CTP_INVALID_JSON_BODY?.detail, cause: error })
  }
  const status = fastifyError.statusCode ?? 500
  if (status === 429) return new AppError('RATE_LIMITED', { detail: fastifyError.message, cause: error })
  if (status >= 400 && status < 500) return new AppError('BAD_REQUEST', { detail: fastifyError.message, cause: error })
  return new AppError('INTERNAL_ERROR', { cause: error })
}

function validationErrors(error: FastifyError, language: Language): FieldError[] {
  const location = LOCATION[(error as FastifyError & { validationContext?: string }).validationContext ?? 'body'] ?? 'body'
  return (error.validation ?? []).map((item: FastifySchemaValidationError) => ({
    pointer: pointerOf(item),
    in: location,
    detail: fieldMessage(item, language),
    reason: item.keyword,
  }))
}

function validationDetail(count: number, language: Language): string {
  return language === 'id'
    ? `Permintaan memiliki ${count} kolom yang tidak valid.`
    : `The request has ${count} invalid field${count === 1 ? '' : 's'}.`
}

export function buildProblem(request: FastifyRequest, error: AppError, language: Language): Problem {
  const definition = problemCatalogue[error.code]
  const serverFault = definition.status >= 500 && error.code !== 'UPSTREAM_UNAVAILABLE' && error.code !== 'UPSTREAM_TIMEOUT'
  const problem: Problem = {
    type: problemTypeUri(error.code),
    title: definition.title[language],
    status: definition.status,
    instance: request.url.split('?')[0] ?? request.url,
    code: error.code,
    requestId: request.id,
  }
  if (serverFault) problem.detail = GENERIC_5XX[language]
  else if (error.errors?.length) problem.detail = validationDetail(error.errors.length, language)
  else if (error.detail) problem.detail = typeof error.detail === 'string' ? error.detail : error.detail[language]
  if (error.errors?.length) problem.errors = error.errors
  return problem
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const language = negotiateLanguage(request.headers['accept-language'])
  // A client told "service unavailable" should always learn when to come back (RFC 9110 §10.2.3).
  const retryAfter = error.retryAfter ?? (error.statusCode === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined)
  if (retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(retryAfter)))
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value)
  return reply
    .code(error.statusCode)
    .header('content-language', language)
    .type('application/problem+json; charset=utf-8')
    .send(buildProblem(request, error, language))
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.addSchema(FieldErrorSchema)
  app.addSchema(ProblemSchema)

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let appError = toAppError(error)
    if (appError.code === 'VALIDATION_FAILED' && error.validation) {
      const language = negotiateLanguage(request.headers['accept-language'])
      appError = new AppError('VALIDATION_FAILED', { errors: validationErrors(error, language) })
    }
    if (appError.statusCode >= 500) {
      request.log.error({ err: error, problemCode: appError.code }, 'request failed')
    } else {
      request.log.info({ problemCode: appError.code, statusCode: appError.statusCode }, 'request refused')
    }
    return sendProblem(request, reply, appError)
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new AppError('ROUTE_NOT_FOUND', {
        detail: {
          en: `No operation ${request.method} ${request.url.split('?')[0]}; see /openapi.json.`,
          id: `Tidak ada operasi ${request.method} ${request.url.split('?')[0]}; lihat /openapi.json.`,
        },
      }),
    ),
  )
}

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' })
