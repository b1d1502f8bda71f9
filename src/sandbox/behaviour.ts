/**
 * The scripted misbehaviour of an upstream for one identity (`mode` in a fixture section):
 * `down` answers 503 or hangs up, `slow` delays, `flaky` fails the first attempts then recovers.
 * Shared by the three stubs so a tester can make OSS or DJP misbehave exactly like INATRADE.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { UpstreamBehaviour } from './fixtures.ts'
import type { Scheduler } from './scheduler.ts'

export const DEFAULT_SLOW_DELAY_MS = 3000
export const DEFAULT_FAIL_TIMES = 2

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
    default:
      return false
  }
}
