/**
 * The gateway's one job engine (pg-boss 12), as features see it. A feature enqueues in its own
 * transaction (`send(trx, …)`: the row and its job commit together, or neither does) and registers
 * its handler with `work`. Queue names and their retry policies are declared in `queues.ts`.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'

export type Executor = Kysely<Database> | Transaction<Database>

export interface SendOptions {
  /** Run no earlier than this. */
  startAfter?: Date
  /** At most one queued job with this key (pg-boss singletonKey). */
  singletonKey?: string
}

export interface JobContext {
  id: string
  /** 0 on the first attempt. */
  retryCount: number
  /** The attempt that will not be retried: the last before the dead letter. */
  isLastAttempt: boolean
}

export type JobHandler<T> = (data: T, job: JobContext) => Promise<void>

export interface JobEngine {
  /** Enqueues in `executor`'s transaction; returns the job id (null when a singleton already waits). */
  send<T extends object>(executor: Executor, queue: string, data: T, options?: SendOptions): Promise<string | null>
  /** Registers the handler of a queue; workers start once the app is ready (and not where JOB_WORKERS=false). */
  work<T extends object>(queue: string, handler: JobHandler<T>): void
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobEngine
  }
}
