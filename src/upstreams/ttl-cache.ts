export interface TtlCacheOptions {
  /** 0 disables the cache. */
  ttlMs: number
  maxEntries: number
  now?: () => number
}

/**
 * A small bounded cache for look-up results: entries expire after `ttlMs`, and when full the
 * least recently used entry goes. In-process only: each instance keeps its own, which is fine for
 * a cache this short.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>()
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: TtlCacheOptions) {
    this.#ttlMs = options.ttlMs
    this.#maxEntries = Math.max(options.maxEntries, 0)
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= this.#now()) return undefined
    // Re-insert so Map order stays least-recently-used first.
    this.#entries.set(key, entry)
    return entry.value
  }

  set(key: string, value: V): void {
    if (this.#ttlMs <= 0 || this.#maxEntries === 0) return
    this.#entries.delete(key)
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) break
      this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs })
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }
}
