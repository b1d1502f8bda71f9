/**
 * The request's logger (`request.log`), created on first use. Fastify builds a pino child per
 * request (bindings: the request id); with the redaction paths of src/logger.ts that costs
 * ~6 µs a request (pino redacts the bindings too and, given options, rebuilds its formatters),
 * more than the whole access line. Most requests never log through it: the access line is
 * written apart (src/access-log.ts). So the child is made only when a line is actually logged,
 * with the same bindings and options, and writes exactly what Fastify's own child would.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
type Bindings = Parameters<FastifyBaseLogger['child']>[0]

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Leveled = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }

class RequestLogger {
  #parent: Leveled
  #bindings: Bindings
  #options: ChildOptions
  #logger: Leveled | undefined

  constructor(parent: Leveled, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  get #child(): Leveled {
    // Fastify passes `{}` when the route sets no log options: pino's child is cheaper without them.
    const options = this.#options && Object.keys(this.#options).length > 0 ? this.#options : undefined
    return (this.#logger ??= this.#parent.child(this.#bindings, options))
  }

  get level(): string {
    return this.#logger?.level ?? this.#options?.level ?? this.#parent.level
  }

  set level(level: string) {
    this.#child.level = level
  }

  isLevelEnabled(level: string): boolean {
    return this.#child.isLevelEnabled?.(level) ?? true
  }

  #write(level: Level, args: unknown[]): void {
    // A line the parent would drop, with no level of the route's own: no child to make for it.
    if (this.#logger === undefined && this.#options?.level === undefined && this.#parent.isLevelEnabled?.(level) === false) return
    ;(this.#child[level] as (...args: unknown[]) => void)(...args)
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args)
  }

  error(...args: unknown[]): void {
    this.#write('error', args)
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args)
  }

  info(...args: unknown[]): void {
    this.#write('info', args)
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args)
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args)
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#child.child(bindings, options)
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, made on first use (see above). */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) =>
  new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger
