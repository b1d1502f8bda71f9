/**
 * Notifications, wired: the fan-out pump where job workers run (started when the app is ready,
 * stopped before the database closes), and the in-process hub that wakes the live streams of
 * an organisation when its notifications were just written here. Streams also look on their
 * own every few seconds, for notifications another instance wrote.
 * Register after the db, jobs and permit-types plugins.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { JobSettings } from '../../config.ts'
import { WEBHOOK_DELIVER_QUEUE } from './fanout.ts'
import { startFanOutPump, type FanOutPump } from './pump.ts'

export const FANOUT_BATCH = 500

type Listener = () => void

export interface NotificationHub {
  /** Calls `listener` whenever notifications of `organisationId` were written by this instance; returns the unsubscribe. */
  subscribe(organisationId: string, listener: Listener): () => void
  /** Asks the fan-out for a pass now (e.g. after a batch of permit events was committed). */
  wake(): void
}

export interface NotificationsPluginOptions {
  jobs: Pick<JobSettings, 'workers' | 'fanOutIntervalMs'>
}

async function notificationsPlugin(app: FastifyInstance, options: NotificationsPluginOptions): Promise<void> {
  const listeners = new Map<string, Set<Listener>>()
  let pump: FanOutPump | undefined
  const hub: NotificationHub = {
    subscribe(organisationId, listener) {
      const set = listeners.get(organisationId) ?? new Set()
      set.add(listener)
      listeners.set(organisationId, set)
      return () => {
        set.delete(listener)
        if (set.size === 0) listeners.delete(organisationId)
      }
    },
    wake: () => pump?.wake(),
  }
  app.decorate('notifications', hub)

  if (!options.jobs.workers) return
  app.addHook('onReady', async () => {
    pump = startFanOutPump(
      { db: app.db, jobs: app.jobs, menuOfPermitType: (code) => app.permitTypes.get(code)?.menu ?? 'SSM_PERIZINAN' },
      {
        intervalMs: options.jobs.fanOutIntervalMs,
        batch: FANOUT_BATCH,
        log: app.log,
        onNotified: (organisations) => {
          // Webhook deliveries were written with them; that queue does not NOTIFY (src/jobs/queues.ts).
          app.jobs.wake(WEBHOOK_DELIVER_QUEUE)
          for (const organisationId of organisations) for (const listener of listeners.get(organisationId) ?? []) listener()
        },
      },
    )
  })
  app.addHook('onClose', async () => {
    await pump?.stop()
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: NotificationHub
  }
}

export default fp(notificationsPlugin, { name: 'notifications', fastify: '5.x', dependencies: ['db', 'jobs'] })
