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
  /**
   * With `singletonKey`: at most one job of the key per period of this many seconds, whatever its
   * state (pg-boss singletonSeconds), so a periodic job that every instance sends runs once a period.
   */
  singletonSeconds?: number
}

export interface JobContext {
  id: string
  /** 0 on the first attempt. */
  retryCount: number
  /** The attempt that will not be retried: the last before the dead letter. */
  isLastAttempt: boolean
}

export type JobHandler<T> = (data: T, job: JobContext) => Promise<void>

export interface BatchJob<T> {
  data: T
  job: JobContext
}

/**
 * Handles a batch of jobs of one queue at once (one read of their rows, one write of their
 * outcomes) and says what became of each, in the batch's order: `undefined` done; a `RetryLater`
 * waits without spending an attempt; any other error fails that attempt alone (retried by the
 * queue's policy). Throwing fails the whole batch.
 */
export type BatchHandler<T> = (jobs: BatchJob<T>[]) => Promise<unknown[]>

export interface BatchWorkOptions<T> extends WorkHooks<T> {
  /** Jobs fetched and handed over at once (default 50). */
  batchSize?: number
  /**
   * While this answers true (checked every second), this instance fetches nothing of the queue:
   * its jobs wait untouched (an upstream's open circuit: no attempt could succeed, and settling
   * each fetched job as "later" costs a transaction). A batch already fetched finishes.
   */
  holdWhile?: () => boolean
}

export interface WorkHooks<T> {
  /**
   * Called in the same transaction as an operator's retry of a dead-lettered or failed job of this
   * queue (`POST /v1/operator/jobs/{id}/retry`), before it commits: e.g. move a permit from
   * `forwarding_failed` back to `submitted`. Throwing refuses the retry.
   */
  onOperatorRetry?: (data: T, executor: Executor) => Promise<void>
}

/**
 * Thrown by a handler: run this job again after `until` without counting an attempt (an open
 * circuit breaker, an upstream's `Retry-After`): the job waits, it is not burned.
 */
export class RetryLater extends Error {
  readonly until: Date
  readonly reason: string
  constructor(until: Date, reason: string) {
    super(`retry after ${until.toISOString()}: ${reason}`)
    this.name = 'RetryLater'
    this.until = until
    this.reason = reason
  }
}

/**
 * pg-boss's own job INSERT … SELECT … FROM json_to_recordset(<param>) … ON CONFLICT DO NOTHING
 * RETURNING id, as text around its one parameter (the jobs as JSON text). `beforeConflict` ends
 * just before ON CONFLICT, where a caller may add a WHERE clause (`where exists (select 1 from p)`).
 */
export interface JobInsertStatement {
  head: string
  param: string
  /** From after the parameter up to (not including) ON CONFLICT. */
  beforeConflict: string
  /** `ON CONFLICT DO NOTHING RETURNING id`. */
  conflict: string
}

export interface JobEngine {
  /** Enqueues in `executor`'s transaction; returns the job id (null when a singleton already waits). */
  send<T extends object>(executor: Executor, queue: string, data: T, options?: SendOptions): Promise<string | null>
  /** Enqueues several jobs of one queue in one statement, in `executor`'s transaction; a job whose singleton already waits is skipped. */
  sendMany<T extends object>(executor: Executor, queue: string, jobs: { data: T; options?: SendOptions }[]): Promise<void>
  /** Registers the handler of a queue; workers start once the app is ready (and not where JOB_WORKERS=false). */
  work<T extends object>(queue: string, handler: JobHandler<T>, hooks?: WorkHooks<T>): void
  /**
   * Asks this instance's idle workers of `queue` to fetch now, after the caller committed jobs
   * of a queue that does not NOTIFY (queues.ts); other instances find them at their next poll.
   */
  wake(queue: string): void
  /**
   * The statement `send` would run, split around its one parameter, for a caller that folds the
   * job into its own single-statement write (a data-modifying CTE: one round trip, atomic without
   * BEGIN/COMMIT). Undefined when the queue's insert cannot be folded (a NOTIFYing queue): use send.
   */
  insertStatement<T extends object>(queue: string, data: T, options?: SendOptions): Promise<JobInsertStatement | undefined>
  /** Registers a batch handler instead: for a queue whose backlog must drain fast (permit forwarding). */
  workBatch<T extends object>(queue: string, handler: BatchHandler<T>, options?: BatchWorkOptions<T>): void
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobEngine
  }
}
