/**
 * Shedding load before the event loop stalls, and draining before shutdown (config
 * PressureSettings). @fastify/under-pressure samples the event-loop delay; above the limit every
 * request but the health probes is answered `503 OVERLOADED` with `Retry-After` at once: an
 * immediate, retryable refusal beats a request that queues behind a stall until its client times
 * out (and retries into the same queue). `/health/live` still answers (the process is alive; a
 * restart would not help) and `/health/ready` says `overloaded`, so a load balancer sends elsewhere.
 *
 * `app.startDraining()` (server.ts, on SIGTERM) turns readiness to `draining` while requests are
 * still served, for `drainMs`, before the listener closes.
 */
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors/app-error.ts'
import { problemCatalogue } from '../errors/catalogue.ts'
import { problemResponses } from '../errors/problem-schema.ts'
import type { PressureSettings } from '../config.ts'

/** Seconds a shed request is told to wait: long enough for a stall to clear, short for a client. */
const RETRY_AFTER_SECONDS = 2
const PROBES = new Set(['/health/live', '/health/ready'])

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether readiness should say `overloaded` (the sampled event-loop delay is over the limit). */
    overloaded(): boolean
    /** Whether SIGTERM arrived: readiness says `draining`. */
    draining(): boolean
    /** Readiness turns `draining` now; resolves after `drainMs` (the listener is still open meanwhile). */
    startDraining(): Promise<void>
  }
}

function overloaded(): AppError {
  return new AppError('OVERLOADED', {
    detail: {
      en: 'The gateway is too busy to take this request now; nothing was done. Retry after the time in Retry-After.',
      id: 'Gateway terlalu sibuk untuk menerima permintaan ini sekarang; tidak ada yang diproses. Ulangi setelah waktu pada Retry-After.',
    },
    retryAfter: RETRY_AFTER_SECONDS,
  })
}

async function loadSheddingPlugin(app: FastifyInstance, settings: PressureSettings): Promise<void> {
  // Every documented operation but the probes can answer this 503: the contract says so.
  app.addHook('onRoute', (route) => {
    const responses = route.schema?.response as Record<string, { description?: string }> | undefined
    if (!responses || PROBES.has(route.url)) return
    const existing = responses['503']
    route.schema!.response = existing
      ? { ...responses, 503: { ...existing, description: `${existing.description ?? ''}; \`OVERLOADED\`: ${problemCatalogue.OVERLOADED.title.en}` } }
      : { ...responses, ...problemResponses('OVERLOADED') }
  })

  let draining = false
  app.decorate('draining', () => draining)
  app.decorate('startDraining', async () => {
    draining = true
    if (settings.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.drainMs))
  })

  if (settings.maxEventLoopDelayMs === 0) {
    app.decorate('overloaded', () => false)
    return
  }
  // Start-up itself stalls the loop (migrations, schema compilation): the samples that saw it are
  // not load. Shedding is armed two samples after the app is ready.
  let armed = false
  app.addHook('onReady', async () => {
    setTimeout(() => (armed = true), settings.sampleIntervalMs * 2).unref()
  })
  await app.register(underPressure, {
    maxEventLoopDelay: settings.maxEventLoopDelayMs,
    sampleInterval: settings.sampleIntervalMs,
    // Nothing returned lets the request through; a rejection answers the problem (errors plugin).
    pressureHandler: (request: FastifyRequest) => (!armed || PROBES.has(request.url.split('?')[0]!) ? undefined : Promise.reject(overloaded())),
  })
  app.decorate('overloaded', () => armed && app.isUnderPressure())
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x', dependencies: ['errors'] })
