/** The three upstream systems the gateway talks to. */
export type UpstreamName = 'oss' | 'djp' | 'inatrade'

/** Per-call context, usually taken from the incoming request or the job being delivered. */
export interface UpstreamCallContext {
  /** W3C `traceparent` of the caller; the upstream call becomes its child span. */
  traceparent?: string
  /** W3C `tracestate`; forwarded only together with a valid `traceparent`. */
  tracestate?: string
  /** Sent as `x-request-id` so the upstream's logs can be joined with ours. */
  requestId?: string
  /** Caller cancellation (client went away, worker shutting down). Never counted against the upstream. */
  signal?: AbortSignal
}

/** What callers of the shared client see: no undici types leak past this. */
export interface UpstreamResponse {
  status: number
  headers: Record<string, string>
  /** Parsed JSON, or `null` for an empty body. */
  body: unknown
}

/** The subset of pino (or Fastify's logger) the upstream layer needs. */
export interface UpstreamLogger {
  debug(obj: Record<string, unknown>, msg: string): void
  info(obj: Record<string, unknown>, msg: string): void
  warn(obj: Record<string, unknown>, msg: string): void
  /** pino's: a child with other options (see http-client.ts for the redaction it skips). */
  child?(bindings: Record<string, unknown>, options: { redact: string[] }): UpstreamLogger
}
