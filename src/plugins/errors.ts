/**
 * The one error handler: every failure leaves as RFC 9457 `application/problem+json` with a
 * stable `code`. Client mistakes (4xx) say what is wrong, field by field; server faults (5xx)
 * say nothing internal, only the correlation id that is also in the log line.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { errorListing, MAX_LISTED_ERRORS } from '../http/bounded-validation.ts'
import { AppError, type FieldError, type LocalizedText } from '../errors/app-error.ts'
import { problemCatalogue, problemTypeUri, type ProblemCode } from '../errors/catalogue.ts'
import { fieldMessage, pointerOf } from '../errors/field-messages.ts'
import { negotiateLanguage, type Language } from '../errors/language.ts'
import { ProblemSchema, FieldErrorSchema, problemResponses, type Problem } from '../errors/problem-schema.ts'
import { BASE_SECURITY_HEADERS } from './security-headers.ts'

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
  FST_ERR_BAD_URL: {
    code: 'BAD_REQUEST',
    detail: { en: 'The URL is not validly percent-encoded.', id: 'URL tidak dikodekan dengan benar (percent-encoding).' },
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'URI_TOO_LONG',
    detail: { en: 'A path parameter is longer than any valid id.', id: 'Parameter path lebih panjang dari id yang valid.' },
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

/** How the listed errors relate to all errors: every one, the first of more, or the first found. */
interface ValidationSummary {
  listed: number
  /** All errors found; undefined when validation stopped at the first (a large request). */
  total?: number
}
const validationSummaries = new WeakMap<AppError, ValidationSummary>()

function validationErrors(error: FastifyError, language: Language): FieldError[] {
  const location = LOCATION[(error as FastifyError & { validationContext?: string }).validationContext ?? 'body'] ?? 'body'
  return (error.validation ?? []).map((item: FastifySchemaValidationError) => ({
    pointer: pointerOf(item),
    in: location,
    detail: fieldMessage(item, language),
    reason: item.keyword,
  }))
}

function validationDetail(count: number, language: Language, summary?: ValidationSummary): string {
  if (summary && summary.total === undefined) {
    return language === 'id'
      ? 'Permintaan memiliki kolom yang tidak valid; pemeriksaan berhenti pada kesalahan pertama (permintaan besar).'
      : 'The request has an invalid field; checking stopped at the first error (large request).'
  }
  if (summary?.total !== undefined && summary.total > summary.listed) {
    return language === 'id'
      ? `Permintaan memiliki ${summary.total} kolom yang tidak valid; ${summary.listed} yang pertama tercantum.`
      : `The request has ${summary.total} invalid fields; the first ${summary.listed} are listed.`
  }
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
  else if (error.errors?.length) problem.detail = validationDetail(error.errors.length, language, validationSummaries.get(error))
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
  // Fastify refuses an over-long path parameter before any route runs (FST_ERR_MAX_PARAM_LENGTH,
  // above: 414 URI_TOO_LONG), so every documented operation with one declares it.
  app.addHook('onRoute', (route) => {
    const responses = route.schema?.response as Record<string, unknown> | undefined
    if (!responses || !route.url.includes(':') || '414' in responses) return
    route.schema!.response = { ...responses, ...problemResponses('URI_TOO_LONG') }
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let appError = toAppError(error)
    if (appError.code === 'VALIDATION_FAILED' && error.validation) {
      const language = negotiateLanguage(request.headers['accept-language'])
      const errors = validationErrors(error, language).slice(0, MAX_LISTED_ERRORS)
      appError = new AppError('VALIDATION_FAILED', { errors })
      const listing = errorListing(error.validation)
      if (listing) validationSummaries.set(appError, { listed: errors.length, total: listing.total })
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

/**
 * Fastify's answers before routing (a URL that is not valid percent-encoding, a path parameter
 * over `maxParamLength`): no hook runs for them, so the request id and security headers are set here.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  reply.header('x-request-id', request.id)
  reply.headers(BASE_SECURITY_HEADERS)
  request.log.info({ problemCode: error.code }, 'request refused before routing')
  sendProblem(request, reply, toAppError(error))
}

const CLIENT_ERRORS: Record<string, ProblemCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  ERR_HTTP_REQUEST_HEADERS_TIMEOUT: 'REQUEST_TIMEOUT',
}

/**
 * Errors of the HTTP parser itself (header block over the limit, a request that timed out, bytes
 * that are not HTTP): there is no request object, only the socket. The answer is still a problem
 * document with a fresh request id, written by hand, and the connection closes.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const code = CLIENT_ERRORS[error.code ?? ''] ?? 'BAD_REQUEST'
  const definition = problemCatalogue[code]
  const requestId = randomUUID()
  const body = JSON.stringify({
    type: problemTypeUri(code),
    title: definition.title.en,
    status: definition.status,
    detail: code === 'HEADERS_TOO_LARGE' ? 'The request headers are larger than the gateway accepts.' : 'The request could not be read as HTTP.',
    instance: '/',
    code,
    requestId,
  } satisfies Problem)
  this.log.info({ requestId, problemCode: code, parserError: error.code }, 'request refused by the HTTP parser')
  if (socket.writable) {
    const headers = [
      `HTTP/1.1 ${definition.status} ${definition.title.en}`,
      'content-type: application/problem+json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      ...Object.entries(BASE_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
    ]
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}`)
  }
  socket.destroy(error)
}

export default fp(errorsPlugin, { name: 'errors', fastify: '5.x' })
