/**
 * The one access-log line per request, serialized by hand from allow-listed fields only. It is
 * written straight to the logger's destination, past pino's redaction (~30 µs a line with the
 * wildcard paths, the largest per-request cost the gateway had): nothing here can hold a secret,
 * since every field is a scalar this module chooses and the URL goes through maskUrl. The line
 * has the shape pino writes, so log tooling sees no difference. ≤ 3 µs a line, measured by
 * `scripts/bench/access-log.ts`.
 */
import pino, { type Logger } from 'pino'
import { maskUrl, SERVICE_NAME } from './logger.ts'

export interface AccessLogEntry {
  requestId: string
  method: string
  /** The raw URL; masked here. */
  url: string
  statusCode: number
  responseTimeMs: number
  remoteAddress: string
}

const INFO_LEVEL = 30
const PREFIX = `{"level":${INFO_LEVEL},"time":"`
const SERVICE = `","service":${JSON.stringify(SERVICE_NAME)},"requestId":`

let cachedSecond = -1
let cachedSecondPrefix = ''

/** `new Date(now).toISOString()`, without building a Date each line: the part up to the second is cached. */
function isoTime(now: number): string {
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20)
  }
  const millis = now - second * 1000
  return `${cachedSecondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
}

/** One JSON line (newline-terminated), as pino would write `log.info(fields, 'request completed')`. */
export function accessLogLine(entry: AccessLogEntry, now: number = Date.now()): string {
  return (
    `${PREFIX}${isoTime(now)}${SERVICE}${JSON.stringify(entry.requestId)}` +
    `,"method":${JSON.stringify(entry.method)},"url":${JSON.stringify(maskUrl(entry.url))}` +
    `,"statusCode":${entry.statusCode | 0},"responseTimeMs":${Number.isFinite(entry.responseTimeMs) ? entry.responseTimeMs : 0}` +
    `,"remoteAddress":${JSON.stringify(entry.remoteAddress ?? '')},"msg":"request completed"}\n`
  )
}

interface Destination {
  write(line: string): unknown
}

/**
 * A writer of access lines to the logger's own destination (same file, same order as its other
 * lines), or undefined when the logger is not pino's (then the caller logs through it instead).
 */
export function accessLogWriter(logger: Logger): ((entry: AccessLogEntry) => void) | undefined {
  const destination = (logger as unknown as Record<symbol, Destination | undefined>)[pino.symbols.streamSym]
  if (!destination || typeof destination.write !== 'function') return undefined
  return (entry) => {
    if (logger.isLevelEnabled('info')) destination.write(accessLogLine(entry))
  }
}
