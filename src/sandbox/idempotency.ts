/**
 * Idempotency by key, as INATRADE does it for the gateway's retries: the same key with the same
 * body replays the first answer, the same key with another body is a client bug (409).
 */
import { createHash } from 'node:crypto'

/** JSON with object keys sorted, so that key order alone never makes two bodies "different". */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

export type IdempotencyLookup<T> =
  | { kind: 'new' }
  | { kind: 'replay'; response: T }
  | { kind: 'conflict' }

export class IdempotencyStore<T> {
  readonly #entries = new Map<string, { hash: string; response: T }>()

  lookup(key: string, hash: string): IdempotencyLookup<T> {
    const entry = this.#entries.get(key)
    if (!entry) return { kind: 'new' }
    return entry.hash === hash ? { kind: 'replay', response: entry.response } : { kind: 'conflict' }
  }

  save(key: string, hash: string, response: T): void {
    this.#entries.set(key, { hash, response })
  }

  clear(): void {
    this.#entries.clear()
  }
}
