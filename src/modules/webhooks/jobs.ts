/**
 * The `webhook.deliver` handler on the job engine, in batches (delivery.ts). An operator's retry of a dead-lettered job
 * puts the pair's failed messages back to waiting in the retry's transaction.
 */
import type { FastifyInstance } from 'fastify'
import { deliverBatch, WEBHOOK_DELIVER_QUEUE, type DeliverJobData, type DeliveryDeps } from './delivery.ts'
import { unfailPair } from './repository.ts'

/** Endpoint-and-permit pairs a worker takes at once (fetched continuously while batches come back full). */
export const DELIVER_BATCH_SIZE = 50

export function registerWebhookJobs(app: FastifyInstance, deps: DeliveryDeps): void {
  app.jobs.workBatch<DeliverJobData>(WEBHOOK_DELIVER_QUEUE, (jobs) => deliverBatch(deps, jobs), {
    batchSize: DELIVER_BATCH_SIZE,
    onOperatorRetry: async (data, executor) => {
      await unfailPair(executor, data.webhookId, data.subjectId)
    },
  })
}
