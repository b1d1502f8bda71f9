/**
 * Waiting for the job engine in tests: `drainQueue(app, 'mail.deliver')` resolves once the queue
 * has no job waiting, waiting to be retried or running (deferred ones included unless
 * `includeDeferred: false`), and fails the test with the count left after `timeoutMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { countUnsettled } from '../../src/jobs/store.ts'

export async function drainQueue(app: FastifyInstance, queue: string, options: { timeoutMs?: number; includeDeferred?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  for (;;) {
    const left = await countUnsettled(app.db, queue, { includeDeferred: options.includeDeferred })
    if (left === 0) return
    if (Date.now() > deadline) throw new Error(`queue ${queue} still has ${left} unsettled job(s) after ${options.timeoutMs ?? 20_000} ms`)
    await sleep(50)
  }
}
