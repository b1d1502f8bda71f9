/**
 * Webhooks, wired: the signing-secret box, one HTTP sender (its Agent closed with the app), the
 * routes and the delivery job. Register after the db and jobs plugins.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.ts'
import type { DeliveryDeps } from './delivery.ts'
import { registerWebhookJobs } from './jobs.ts'
import webhookRoutes from './routes.ts'
import { secretBox } from './secrets.ts'
import { createSender } from './sender.ts'
import type { WebhookServiceDeps } from './service.ts'

export interface WebhooksPluginOptions {
  config: Pick<Config, 'sandbox' | 'webhooks'>
  /** Tests move the clock (the disabling period). */
  now?: () => Date
}

export default async function webhooksPlugin(app: FastifyInstance, options: WebhooksPluginOptions): Promise<void> {
  const settings = options.config.webhooks
  // Sandbox mode calls receivers on this machine (tests, a developer's laptop); production never does.
  const policy = { allowLoopback: options.config.sandbox }
  const sender = createSender({ timeoutMs: settings.timeoutMs, policy })
  app.addHook('onClose', () => sender.close())
  const now = options.now ?? (() => new Date())
  const delivery: DeliveryDeps = { db: app.db, jobs: app.jobs, secrets: secretBox(settings.secretKey), sender, disableAfterMs: settings.disableAfterMs, now, log: app.log }
  const service: WebhookServiceDeps = { ...delivery, sandbox: options.config.sandbox, policy, rotationOverlapSeconds: settings.rotationOverlapSeconds }
  await app.register(webhookRoutes, { deps: service })
  registerWebhookJobs(app, delivery)
}
