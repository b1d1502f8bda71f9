/**
 * The scripted misbehaviour of an upstream for one identity (`mode` in a fixture section):
 * `down` answers 503 or hangs up, `slow` delays, `flaky` fails the first attempts then recovers,
 * `unreliable` fails a share of attempts at random (before doing the work, or after it: the answer
 * lost on the way back, which only an idempotency key makes safe to retry).
 * Shared by the three stubs so a tester can make OSS or DJP misbehave exactly like INATRADE.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { UpstreamBehaviour } from './fixtures.ts'
import type { Scheduler } from './scheduler.ts'

export const DEFAULT_SLOW_DELAY_MS = 3000
export const DEFAULT_FAIL_TIMES = 2
export const DEFAULT_FAILURE_RATE = 0.3
const UNRELIABLE_STATUSES = [500, 502, 503, 504] as const

/** Requests whose work is done but whose answer the stub replaces by a 502 (stub-app's onSend). */
const answersToLose = new WeakSet<FastifyRequest>()

/** True (once) when `unreliable` chose to lose this request's answer after doing its work. */
export function takeLostAnswer(request: FastifyRequest): boolean {
  return answersToLose.delete(request)
}

/** Attempts seen per key, for `flaky`. */
export class AttemptCounter {
  readonly #counts = new Map<string, number>()

  /** Counts one more attempt and returns its ordinal (1 for the first). */
  next(key: string): number {
    const count = (this.#counts.get(key) ?? 0) + 1
    this.#counts.set(key, count)
    return count
  }

  clear(): void {
    this.#counts.clear()
  }
}

export interface MisbehaveOptions {
  behaviour: UpstreamBehaviour | undefined
  scheduler: Scheduler
  attempts: AttemptCounter
  /** What `flaky` counts attempts by: the idempotency key, or the URL for a GET. None: never flaky. */
  attemptKey?: string
  /** For the 503 message, e.g. "INATRADE". */
  upstreamName: string
}

/**
 * Applies the identity's mode before the real handler runs. Returns true when it has already
 * answered (or hung up), in which case the handler must stop and return the reply.
 */
export async function misbehave(request: FastifyRequest, reply: FastifyReply, options: MisbehaveOptions): Promise<boolean> {
  const { behaviour, scheduler } = options
  switch (behaviour?.mode) {
    case 'down':
      if (behaviour.hangUp) {
        // What a dead load balancer does: no status line at all, the client sees a socket error.
        reply.hijack()
        request.raw.socket.destroy()
        return true
      }
      reply.code(503).send({ error: 'SERVICE_UNAVAILABLE', message: `${options.upstreamName} is down (sandbox mode "down")` })
      return true
    case 'slow':
      await scheduler.sleep(behaviour.delayMs ?? DEFAULT_SLOW_DELAY_MS)
      return false
    case 'flaky': {
      if (options.attemptKey === undefined) return false
      const attempt = options.attempts.next(options.attemptKey)
      const failTimes = behaviour.failTimes ?? DEFAULT_FAIL_TIMES
      if (attempt > failTimes) return false
      reply.code(503).header('retry-after', '1').send({
        error: 'SERVICE_UNAVAILABLE',
        message: `${options.upstreamName} is temporarily unavailable (sandbox mode "flaky", attempt ${attempt} of ${failTimes} failing)`,
      })
      return true
    }
    case 'unreliable': {
      const roll = Math.random()
      const rate = behaviour.failureRate ?? DEFAULT_FAILURE_RATE
      if (roll >= rate) return false
      // Half the failures before the work, half after it (the work done, the answer lost).
      if (roll >= rate / 2) {
        answersToLose.add(request)
        return false
      }
      const status = UNRELIABLE_STATUSES[Math.floor((roll / (rate / 2)) * UNRELIABLE_STATUSES.length)] ?? 500
      reply.code(status).send({
        error: status === 503 ? 'SERVICE_UNAVAILABLE' : status === 504 ? 'GATEWAY_TIMEOUT' : status === 502 ? 'BAD_GATEWAY' : 'INTERNAL_ERROR',
        message: `${options.upstreamName} failed (sandbox mode "unreliable", ${Math.round(rate * 100)}% of attempts fail)`,
      })
      return true
    }
    default:
      return false
  }
}
