/**
 * Every timer a stub starts (slow answers, the INATRADE timetable, callback back-off) goes
 * through here, so that `reset` and `close` can cancel them all and nothing outlives the server.
 * Delays are scaled by `timeScale`, which lets tests run a minutes-long timetable in milliseconds.
 */
import { setMaxListeners } from 'node:events'

interface Pending {
  timer: NodeJS.Timeout
  /** Called instead of the task when cancelled (sleepers resolve early rather than hang). */
  onCancel?: () => void
}

export class Scheduler {
  readonly timeScale: number
  readonly #pending = new Set<Pending>()
  #generation = Scheduler.#controller()
  #closed = false

  constructor(timeScale = 1) {
    if (!Number.isFinite(timeScale) || timeScale < 0) throw new RangeError(`timeScale must be a finite number >= 0 (got ${timeScale})`)
    this.timeScale = timeScale
  }

  static #controller(): AbortController {
    const controller = new AbortController()
    // Every in-flight callback listens on it; dozens at once are normal, not a leak.
    setMaxListeners(0, controller.signal)
    return controller
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Aborted by the next `cancelAll` or `close`: hand it to work that must stop with the timers. */
  get signal(): AbortSignal {
    return this.#generation.signal
  }

  scaled(ms: number): number {
    return Math.max(0, Math.round(ms * this.timeScale))
  }

  /** Runs `task` after `ms` (scaled), unless cancelled first. */
  schedule(ms: number, task: () => void, onCancel?: () => void): void {
    if (this.#closed) {
      onCancel?.()
      return
    }
    const pending: Pending = {
      timer: setTimeout(() => {
        this.#pending.delete(pending)
        task()
      }, this.scaled(ms)),
      onCancel,
    }
    this.#pending.add(pending)
  }

  /** Waits `ms` (scaled); resolves early when cancelled, so callers check `signal.aborted` after. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve, resolve))
  }

  /** Cancels every pending timer and aborts `signal`; the scheduler stays usable. */
  cancelAll(): void {
    const pending = [...this.#pending]
    this.#pending.clear()
    const previous = this.#generation
    this.#generation = Scheduler.#controller()
    for (const { timer, onCancel } of pending) {
      clearTimeout(timer)
      onCancel?.()
    }
    previous.abort()
  }

  close(): void {
    this.#closed = true
    this.cancelAll()
  }
}
