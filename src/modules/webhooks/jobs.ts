/**
 * The `webhook.deliver` handler on the job engine. An operator's retry of a dead-lettered job
 * puts the pair's failed messages back to waiting in the retry's transaction.
 */
import type { FastifyInstance } from 'fastify'
import { deliverPending, WEBHOOK_DELIVER_QUEUE, type DeliverJobData, type DeliveryDeps } from './delivery.ts'
import { unfailPair } from './repository.ts'

export function registerWebhookJobs(app: FastifyInstance, deps: DeliveryDeps): void {
  app.jobs.work<DeliverJobData>(WEBHOOK_DELIVER_QUEUE, (data, job) => deliverPending(deps, data, job), {
    onOperatorRetry: async (data, executor) => {
      await unfailPair(executor, data.webhookId, data.subjectId)
    },
  })
}
