import { problemCatalogue, type ProblemCode } from './catalogue.ts'

/** One invalid field: a JSON pointer into the request and why it was refused. */
export interface FieldError {
  pointer: string
  /** Which part of the request the pointer refers to. */
  in: 'body' | 'query' | 'path' | 'header'
  detail: string
  /** Machine-readable reason, e.g. the JSON Schema keyword that failed (`pattern`, `required`). */
  reason?: string
}

/** Text a client reads: one string, or both languages when the wording matters to the user. */
export type LocalizedText = string | { en: string; id: string }

export interface AppErrorOptions {
  detail?: LocalizedText
  errors?: FieldError[]
  /** Seconds; sent as `Retry-After` on 429/503. */
  retryAfter?: number
  headers?: Record<string, string>
  cause?: unknown
}

/**
 * The only error type services throw on purpose. The error handler turns it into a problem+json
 * body. `detail` is shown to clients only for 4xx statuses; 5xx details stay in the log.
 */
export class AppError extends Error {
  readonly code: ProblemCode
  readonly statusCode: number
  readonly detail?: LocalizedText
  readonly errors?: FieldError[]
  readonly retryAfter?: number
  readonly headers?: Record<string, string>

  constructor(code: ProblemCode, options: AppErrorOptions = {}) {
    const detail = options.detail
    super((typeof detail === 'string' ? detail : detail?.en) ?? problemCatalogue[code].title.en, { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.statusCode = problemCatalogue[code].status
    this.detail = options.detail
    this.errors = options.errors
    this.retryAfter = options.retryAfter
    this.headers = options.headers
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}
