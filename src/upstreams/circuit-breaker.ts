export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerOptions {
  /** Share of failed attempts in the window (0 < rate ≤ 1) that opens the circuit. */
  failureRateThreshold: number
  /**
   * Attempts the window must hold before the rate is judged: a few timeouts of one business's
   * slow record, with little other traffic, must not open the circuit for every business.
   */
  minimumCalls: number
  /** The sliding window (ms) the failure rate is measured over. */
  windowMs: number
  /** How long the circuit stays open before one trial call is let through. */
  resetAfterMs: number
}

export interface BreakerSettings extends BreakerOptions {
  now?: () => number
  onStateChange?: (from: BreakerState, to: BreakerState) => void
}

/** Proof that an attempt was let through; hand it back with the outcome. */
export interface BreakerPermit {
  readonly trial: boolean
}

export type BreakerDecision = { allowed: true; permit: BreakerPermit } | { allowed: false; retryAfterMs: number }

export type AttemptOutcome = 'success' | 'failure' | 'neutral'

/** The window is kept as a few buckets, so memory stays constant however busy the upstream is. */
const BUCKETS = 10

interface Bucket {
  start: number
  calls: number
  failures: number
}

/**
 * Failure-rate circuit breaker: it opens when, over the last `windowMs`, at least `minimumCalls`
 * attempts were made and at least `failureRateThreshold` of them failed. It counts attempts, not
 * logical calls: every attempt is one observation of the upstream's health, and a retry loop asks
 * again before each attempt so it stops hammering as soon as the circuit opens.
 *
 * Only the half-open trial decides whether the circuit closes again; outcomes of attempts that
 * were started before the circuit opened are ignored, so a slow success cannot close a circuit
 * that newer failures opened.
 */
export class CircuitBreaker {
  readonly #rate: number
  readonly #minimumCalls: number
  readonly #windowMs: number
  readonly #resetAfterMs: number
  readonly #now: () => number
  readonly #onStateChange?: (from: BreakerState, to: BreakerState) => void
  #state: BreakerState = 'closed'
  #buckets: Bucket[] = []
  #openedAt = 0
  #trialInFlight = false

  constructor(settings: BreakerSettings) {
    if (!(settings.failureRateThreshold > 0 && settings.failureRateThreshold <= 1)) throw new RangeError('failureRateThreshold must be in (0, 1]')
    if (!(settings.minimumCalls >= 1)) throw new RangeError('minimumCalls must be at least 1')
    if (!(settings.windowMs > 0)) throw new RangeError('windowMs must be positive')
    if (!(settings.resetAfterMs >= 0)) throw new RangeError('resetAfterMs must not be negative')
    this.#rate = settings.failureRateThreshold
    this.#minimumCalls = settings.minimumCalls
    this.#windowMs = settings.windowMs
    this.#resetAfterMs = settings.resetAfterMs
    this.#now = settings.now ?? Date.now
    this.#onStateChange = settings.onStateChange
  }

  /** The current state; an open circuit whose reset time has passed reports `half-open`. */
  state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#resetAfterMs) this.#transition('half-open')
    return this.#state
  }

  /** Attempts and failures in the current window (for tests and health output). */
  window(): { calls: number; failures: number } {
    this.#dropExpired(this.#now())
    return this.#buckets.reduce((sum, bucket) => ({ calls: sum.calls + bucket.calls, failures: sum.failures + bucket.failures }), { calls: 0, failures: 0 })
  }

  /** Asks to make one attempt. In half-open, only one trial is in flight at a time. */
  tryAcquire(): BreakerDecision {
    const state = this.state()
    if (state === 'closed') return { allowed: true, permit: { trial: false } }
    if (state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true
      return { allowed: true, permit: { trial: true } }
    }
    const remaining = state === 'open' ? this.#openedAt + this.#resetAfterMs - this.#now() : this.#resetAfterMs
    return { allowed: false, retryAfterMs: Math.max(remaining, 0) }
  }

  /** Reports how a permitted attempt ended. `neutral` (e.g. caller cancelled) judges nothing. */
  record(permit: BreakerPermit, outcome: AttemptOutcome): void {
    if (permit.trial) {
      this.#trialInFlight = false
      if (this.#state !== 'half-open') return
      if (outcome === 'success') {
        this.#buckets = []
        this.#transition('closed')
      } else if (outcome === 'failure') {
        this.#open()
      }
      return
    }
    if (this.#state !== 'closed' || outcome === 'neutral') return
    this.#observe(outcome === 'failure')
    const { calls, failures } = this.window()
    if (calls >= this.#minimumCalls && failures / calls >= this.#rate) this.#open()
  }

  #observe(failed: boolean): void {
    const now = this.#now()
    const size = this.#windowMs / BUCKETS
    const start = Math.floor(now / size) * size
    let bucket = this.#buckets.at(-1)
    if (bucket?.start !== start) {
      bucket = { start, calls: 0, failures: 0 }
      this.#buckets.push(bucket)
    }
    bucket.calls++
    if (failed) bucket.failures++
  }

  #dropExpired(now: number): void {
    while (this.#buckets.length && this.#buckets[0]!.start + this.#windowMs / BUCKETS <= now - this.#windowMs) this.#buckets.shift()
  }

  #open(): void {
    this.#openedAt = this.#now()
    this.#buckets = []
    this.#transition('open')
  }

  #transition(to: BreakerState): void {
    const from = this.#state
    if (from === to) return
    this.#state = to
    this.#onStateChange?.(from, to)
  }
}
