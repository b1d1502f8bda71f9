/**
 * What a stub received, in order, so that tests and testers can see exactly what the gateway
 * sent upstream (`GET /__sandbox/requests`).
 */
import type { IncomingHttpHeaders } from 'node:http'

export interface JournalEntry {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The parsed JSON body; null when there was none (or it did not parse). */
  body: unknown
  at: string
  /** null until answered, and for ever when the stub hung up on purpose. */
  statusCode: number | null
  /** `unreliable`: the stub did the work and answered `statusCode`, the caller was sent a 502. */
  answerLost?: boolean
}

/** Old entries are dropped past this: a sandbox may run for days behind a tester's gateway. */
export const JOURNAL_LIMIT = 1000

export class Journal {
  readonly #entries: JournalEntry[] = []
  readonly #limit: number

  constructor(limit = JOURNAL_LIMIT) {
    this.#limit = limit
  }

  /** Records the request now; the returned entry is completed (body, status) as it progresses. */
  record(entry: Omit<JournalEntry, 'at' | 'body' | 'statusCode'>): JournalEntry {
    const full: JournalEntry = { ...entry, body: null, at: new Date().toISOString(), statusCode: null }
    this.#entries.push(full)
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit)
    return full
  }

  list(): readonly JournalEntry[] {
    return this.#entries
  }

  clear(): void {
    this.#entries.length = 0
  }
}
