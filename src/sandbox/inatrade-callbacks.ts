/**
 * INATRADE's status callbacks to the gateway: a JSON POST signed with HMAC-SHA256 of the raw body,
 * retried with exponential back-off when the gateway does not take it (non-2xx or network error).
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { Agent, request } from 'undici'
import type { Scheduler } from './scheduler.ts'

export const DEFAULT_CALLBACK_SECRET = 'sandbox-callback-secret'
export const SIGNATURE_HEADER = 'x-inatrade-signature'
/** Same value on every retry of one callback, so the receiver can drop duplicates. */
export const DELIVERY_HEADER = 'x-inatrade-delivery'

/** `sha256=<hex>` of the exact bytes sent. */
export function signCallbackBody(rawBody: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}

export interface CallbackDelivery {
  deliveryId: string
  inatradeId: string
  status: string
  url: string
  attempts: number
  delivered: boolean
  lastStatusCode: number | null
  lastError: string | null
  at: string
}

export interface CallbackSenderOptions {
  secret: string
  scheduler: Scheduler
  logger: FastifyBaseLogger
  /** Retries after the first attempt. */
  retries?: number
  /** First back-off (before `timeScale`); doubles on each retry. */
  backoffMs?: number
  /** Per attempt, real milliseconds: a hung receiver must not hold a delivery for ever. */
  timeoutMs?: number
}

const DELIVERY_LIMIT = 1000

export class CallbackSender {
  readonly #options: Required<CallbackSenderOptions>
  // Own connection pool: closing the stub closes its sockets, whoever else uses undici.
  readonly #agent = new Agent({ keepAliveTimeout: 1000 })
  readonly #deliveries: CallbackDelivery[] = []

  constructor(options: CallbackSenderOptions) {
    this.#options = {
      ...options,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 500,
      timeoutMs: options.timeoutMs ?? 5000,
    }
  }

  /** What was sent so far, oldest first (`GET /__sandbox/callbacks`). */
  deliveries(): readonly CallbackDelivery[] {
    return this.#deliveries
  }

  clear(): void {
    this.#deliveries.length = 0
  }

  async close(): Promise<void> {
    await this.#agent.destroy()
  }

  /**
   * Resolves once delivered, given up, or cancelled by a reset/close; never rejects. `signal` is
   * the scheduler generation the callback belongs to: one queued before a reset is never sent.
   */
  async deliver(url: string, payload: { inatradeId: string; status: string }, signal = this.#options.scheduler.signal): Promise<CallbackDelivery | undefined> {
    const { scheduler, secret, retries, backoffMs, timeoutMs, logger } = this.#options
    if (signal.aborted) return undefined
    const body = JSON.stringify(payload)
    const delivery: CallbackDelivery = {
      deliveryId: randomUUID(),
      inatradeId: payload.inatradeId,
      status: payload.status,
      url,
      attempts: 0,
      delivered: false,
      lastStatusCode: null,
      lastError: null,
      at: new Date().toISOString(),
    }
    this.#deliveries.push(delivery)
    if (this.#deliveries.length > DELIVERY_LIMIT) this.#deliveries.shift()

    for (let attempt = 0; attempt <= retries && !signal.aborted; attempt++) {
      if (attempt > 0) {
        await scheduler.sleep(backoffMs * 2 ** (attempt - 1))
        if (signal.aborted) break
      }
      delivery.attempts++
      try {
        const response = await request(url, {
          method: 'POST',
          dispatcher: this.#agent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            [SIGNATURE_HEADER]: signCallbackBody(body, secret),
            [DELIVERY_HEADER]: delivery.deliveryId,
          },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        })
        await response.body.dump()
        delivery.lastStatusCode = response.statusCode
        delivery.lastError = null
        if (response.statusCode >= 200 && response.statusCode < 300) {
          delivery.delivered = true
          return delivery
        }
      } catch (error) {
        delivery.lastError = (error as Error).message
      }
      logger.warn({ url, inatradeId: payload.inatradeId, attempt: delivery.attempts, statusCode: delivery.lastStatusCode, error: delivery.lastError },
        'sandbox INATRADE callback not accepted')
    }
    if (!signal.aborted) logger.error({ url, inatradeId: payload.inatradeId, attempts: delivery.attempts }, 'sandbox INATRADE callback given up')
    return delivery
  }
}
