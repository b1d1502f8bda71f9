export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number
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

/**
 * Consecutive-failure circuit breaker. It counts attempts, not logical calls: every attempt is
 * one observation of the upstream's health, and a retry loop asks again before each attempt so
 * it stops hammering as soon as the circuit opens.
 *
 * Only the half-open trial decides whether the circuit closes again; outcomes of attempts that
 * were started before the circuit opened are ignored, so a slow success cannot close a circuit
 * that newer failures opened.
 */
export class CircuitBreaker {
  readonly #threshold: number
  readonly #resetAfterMs: number
  readonly #now: () => number
  readonly #onStateChange?: (from: BreakerState, to: BreakerState) => void
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #trialInFlight = false

  constructor(settings: BreakerSettings) {
    if (!(settings.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1')
    if (!(settings.resetAfterMs >= 0)) throw new RangeError('resetAfterMs must not be negative')
    this.#threshold = settings.failureThreshold
    this.#resetAfterMs = settings.resetAfterMs
    this.#now = settings.now ?? Date.now
    this.#onStateChange = settings.onStateChange
  }

  /** The current state; an open circuit whose reset time has passed reports `half-open`. */
  state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#resetAfterMs) this.#transition('half-open')
    return this.#state
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
        this.#failures = 0
        this.#transition('closed')
      } else if (outcome === 'failure') {
        this.#open()
      }
      return
    }
    if (this.#state !== 'closed') return
    if (outcome === 'success') this.#failures = 0
    else if (outcome === 'failure' && ++this.#failures >= this.#threshold) this.#open()
  }

  #open(): void {
    this.#openedAt = this.#now()
    this.#transition('open')
  }

  #transition(to: BreakerState): void {
    const from = this.#state
    if (from === to) return
    this.#state = to
    this.#onStateChange?.(from, to)
  }
}
