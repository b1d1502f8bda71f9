/**
 * An app whose outbox delivers through a mailer the test swaps at will (`use(mailer)`), with the
 * mail queue's retry policy shortened (`mailPolicy`) so retries and the dead letter happen in
 * seconds.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { QUEUE_POLICIES, QUEUES, type QueuePolicy } from '../../src/jobs/queues.ts'
import { sandboxMailer, type Mailer } from '../../src/mail/mailer.ts'
import { testConfig, type TestContext } from './app.ts'

export interface SwitchableMailer extends Mailer {
  use(mailer: Mailer): void
}

export function switchableMailer(initial: Mailer = sandboxMailer): SwitchableMailer {
  let current = initial
  return {
    get delivery() {
      return current.delivery
    },
    send: (mail) => current.send(mail),
    close: async () => {},
    use(mailer) {
      current = mailer
    },
  }
}

export async function buildMailApp(
  t: { teardown(fn: () => unknown): void },
  context: TestContext,
  options: { mailer: Mailer; mailPolicy?: Partial<QueuePolicy>; env?: Record<string, string> },
): Promise<FastifyInstance> {
  const jobQueues = QUEUE_POLICIES.map((queue) => (queue.name === QUEUES.mailDeliver.name ? { ...queue, ...options.mailPolicy } : queue))
  const app = await buildApp({ config: testConfig(options.env), database: context.database.handle, upstreams: context.upstreams, mailer: options.mailer, jobQueues })
  t.teardown(() => app.close())
  await app.ready()
  return app
}
