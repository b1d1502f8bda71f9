import { randomBytes } from 'node:crypto'

/** The parts of a W3C Trace Context `traceparent` header the gateway keeps. */
export interface TraceContext {
  traceId: string
  /** Span id of the caller; the upstream call gets a new one. */
  parentId: string
  /** Two hex digits; only the `sampled` bit is defined for version 00. */
  flags: string
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/** Parses a `traceparent`; anything the spec says to ignore yields `undefined`. */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  if (header === undefined) return undefined
  const match = TRACEPARENT.exec(header.trim())
  if (match === null) return undefined
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined]
  if (version === 'ff') return undefined
  // Version 00 has exactly four fields; later versions may append more, which we drop.
  if (version === '00' && rest !== undefined) return undefined
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined
  return { traceId, parentId, flags }
}

export function newTraceId(): string {
  return nonZeroHex(16)
}

export function newSpanId(): string {
  return nonZeroHex(8)
}

/**
 * The `traceparent` for one outgoing attempt: a child of `parent` (same trace id, new span id,
 * sampled bit kept), or the root of a fresh trace. A fresh trace is marked sampled because the
 * gateway logs every upstream call with its trace id.
 */
export function childTraceparent(parent: TraceContext | undefined): string {
  const traceId = parent?.traceId ?? newTraceId()
  const sampled = parent === undefined ? 1 : Number.parseInt(parent.flags, 16) & 0x01
  return `00-${traceId}-${newSpanId()}-0${sampled}`
}

/**
 * Random bytes drawn from a pool refilled 4 KiB at a time: one call to the CSPRNG per ~500 span
 * ids instead of one per id (a draining backlog makes thousands of upstream calls a second).
 */
const POOL_BYTES = 4096
let pool = Buffer.alloc(0)
let offset = 0

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > pool.length) {
      pool = randomBytes(POOL_BYTES)
      offset = 0
    }
    const hex = pool.toString('hex', offset, offset + bytes)
    offset += bytes
    if (/[^0]/.test(hex)) return hex
  }
}
