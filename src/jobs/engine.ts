/**
 * The gateway's one durable job engine: pg-boss 12 on the gateway's own database (PGlite through
 * `fromPglite`, or a small pool of its own on a server), implementing `JobEngine` (types.ts).
 *
 * - `send` enqueues through `fromKysely(executor)`: inside the caller's transaction, so the row
 *   and its job commit together or not at all. Only queues declared in queues.ts are accepted:
 *   their settings are cached at start, so an enqueue inside a transaction never needs a second
 *   connection (on PGlite, whose one connection the transaction holds, that would deadlock).
 * - `work` registers a handler. Workers start once the app is ready (unless JOB_WORKERS=false)
 *   and stop on close, waiting a bounded time for the jobs in hand.
 * - A handler that throws is retried by pg-boss's policy (queues.ts) and dead-lettered after the
 *   last attempt; one that throws `RetryLater` is deferred without spending an attempt (defer()).
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { PgBoss, fromKysely, fromPglite, type ConstructorOptions, type JobResult, type JobWithMetadata, type KyselyTransactionLike } from 'pg-boss'
import type { JobSettings } from '../config.ts'
import type { DatabaseHandle } from '../db/database.ts'
import type { Database } from '../db/schema.ts'
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_POLICIES, type QueuePolicy } from './queues.ts'
import { RetryLater, type BatchHandler, type BatchWorkOptions, type Executor, type JobEngine, type JobHandler, type JobInsertStatement, type SendOptions, type WorkHooks } from './types.ts'

/** The PostgreSQL schema pg-boss keeps its tables in (store.ts reads them for operators). */
export const JOBS_SCHEMA = 'pgboss'

/** How long close waits for the jobs in hand before it leaves them to expire and be retried. */
const STOP_TIMEOUT_MS = 10_000

/** Stored with a failed attempt: the message only, cut short (it may quote an upstream's answer). */
const STORED_ERROR_LENGTH = 500

interface Registered {
  handler: BatchHandler<object>
  hooks: WorkHooks<object>
  batchSize: number
  holdWhile?: () => boolean
}

/** How often a queue's `holdWhile` is asked. */
const HOLD_CHECK_MS = 1_000

const DEFAULT_BATCH_SIZE = 50

/** A one-job handler as a batch handler: the jobs of a batch run side by side, each with its own outcome. */
function perJob<T>(handler: JobHandler<T>): BatchHandler<T> {
  return (jobs) => Promise.all(jobs.map(({ data, job }) => handler(data, job).then(() => undefined, (error: unknown) => error ?? new Error('job failed'))))
}

type Log = Pick<FastifyInstance['log'], 'info' | 'warn' | 'error'>

/** Engines started in this process, newest last (see processJobEngine). */
const running: PgBossJobEngine[] = []

/**
 * The job engine of the app running in this process, for code deep in a service that writes a
 * row and its job in one transaction (queueMail) without `app` at hand. Every engine of a process
 * works on the one database the process uses, so any running one enqueues the same way.
 * Features with `app` at hand use `app.jobs`.
 */
export function processJobEngine(): JobEngine {
  const engine = running.at(-1)
  if (!engine) throw new Error('no job engine is running in this process (is the app ready?)')
  return engine
}

export class PgBossJobEngine implements JobEngine {
  readonly boss: PgBoss
  readonly policies: ReadonlyMap<string, QueuePolicy>
  readonly #handlers = new Map<string, Registered>()
  /** pg-boss worker ids of this instance, per queue (for wake). */
  readonly #workerIds = new Map<string, string>()
  readonly #db: Kysely<Database>
  readonly #settings: JobSettings
  readonly #log: Log
  #working = false
  /** Queues whose worker this instance stopped because their `holdWhile` said so. */
  readonly #held = new Set<string>()
  #holdTimer: NodeJS.Timeout | undefined

  constructor(database: DatabaseHandle, settings: JobSettings, queues: readonly QueuePolicy[], log: Log) {
    this.#db = database.db
    this.#settings = settings
    this.#log = log
    this.policies = new Map(queues.map((queue) => [queue.name, queue]))
    this.boss = new PgBoss(bossOptions(database, settings))
    this.boss.on('error', (error) => log.error({ err: error }, 'job engine error'))
    this.boss.on('warning', (warning) => log.warn({ warning: warning.message }, 'job engine warning'))
  }

  /** Installs or migrates pg-boss's schema and creates the declared queues (and their dead letter queues). */
  async start(): Promise<void> {
    await this.boss.start()
    for (const queue of this.policies.values()) {
      if (!(await this.boss.getQueue(queue.deadLetter))) {
        await this.boss.createQueue(queue.deadLetter, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS })
      }
      const settings = {
        retryLimit: queue.retryLimit,
        retryDelay: Math.min(queue.retryDelay, this.#settings.retryDelaySecondsMax ?? Infinity),
        retryBackoff: queue.retryBackoff,
        retryDelayMax: Math.min(queue.retryDelayMax, this.#settings.retryDelaySecondsMax ?? Infinity),
        expireInSeconds: Math.min(queue.expireInSeconds, this.#settings.expireSecondsMax ?? Infinity),
        deadLetter: queue.deadLetter,
        // A new job wakes an idle worker at once (LISTEN/NOTIFY, in-process on PGlite); polling stays the
        // floor. Not for the busiest queues (queues.ts says why): their senders call wake().
        notify: queue.notify ?? true,
      }
      // `short`: at most one *waiting* job per singletonKey, what SendOptions.singletonKey promises;
      // `stately` also one running (queues.ts).
      if (await this.boss.getQueue(queue.name)) await this.boss.updateQueue(queue.name, settings)
      else await this.boss.createQueue(queue.name, { policy: queue.policy ?? 'short', ...settings })
    }
    running.push(this)
  }

  async send<T extends object>(executor: Executor, queue: string, data: T, options: SendOptions = {}): Promise<string | null> {
    this.#policy(queue)
    return this.boss.send(queue, data, {
      db: fromKysely(executor as unknown as KyselyTransactionLike),
      startAfter: options.startAfter,
      // A `short` queue treats every keyless job as one key: a fresh key keeps them apart.
      singletonKey: options.singletonKey ?? crypto.randomUUID(),
      singletonSeconds: options.singletonSeconds,
    })
  }

  async sendMany<T extends object>(executor: Executor, queue: string, jobs: { data: T; options?: SendOptions }[]): Promise<void> {
    this.#policy(queue)
    if (jobs.length === 0) return
    await this.boss.insert(
      queue,
      jobs.map(({ data, options = {} }) => ({ data, startAfter: options.startAfter, singletonKey: options.singletonKey ?? crypto.randomUUID(), singletonSeconds: options.singletonSeconds })),
      { db: fromKysely(executor as unknown as KyselyTransactionLike) },
    )
  }

  async insertStatement<T extends object>(queue: string, data: T, options: SendOptions = {}): Promise<JobInsertStatement | undefined> {
    if (this.#policy(queue).notify ?? true) return undefined
    // pg-boss builds its statement and hands it to the adapter; this one keeps it instead of running it.
    let captured: { text: string; values: unknown[] } | undefined
    const capture = {
      executeSql: async (text: string, values: unknown[] = []) => {
        captured = { text, values }
        return { rows: [{ id: 'folded' }] }
      },
    }
    await this.boss.send(queue, data, { db: capture, startAfter: options.startAfter, singletonKey: options.singletonKey ?? crypto.randomUUID(), singletonSeconds: options.singletonSeconds })
    return captured && splitJobInsert(captured.text, captured.values)
  }

  work<T extends object>(queue: string, handler: JobHandler<T>, hooks: WorkHooks<T> = {}): void {
    this.#register(queue, { handler: perJob(handler) as BatchHandler<object>, hooks: hooks as WorkHooks<object>, batchSize: 1 })
  }

  workBatch<T extends object>(queue: string, handler: BatchHandler<T>, options: BatchWorkOptions<T> = {}): void {
    const { batchSize = DEFAULT_BATCH_SIZE, holdWhile, ...hooks } = options
    this.#register(queue, { handler: handler as BatchHandler<object>, hooks: hooks as WorkHooks<object>, batchSize: Math.max(1, batchSize), holdWhile })
  }

  #register(queue: string, registered: Registered): void {
    this.#policy(queue)
    if (this.#handlers.has(queue)) throw new Error(`queue ${queue} already has a handler`)
    this.#handlers.set(queue, registered)
    if (this.#working) void this.#startWorker(queue).catch((error: unknown) => this.#log.error({ err: error, queue }, 'job worker did not start'))
  }

  /** The hooks a queue's handler registered (the operator retry calls onOperatorRetry). */
  hooks(queue: string): WorkHooks<object> | undefined {
    return this.#handlers.get(queue)?.hooks
  }

  async startWorkers(): Promise<void> {
    if (!this.#settings.workers) return
    this.#working = true
    for (const queue of this.#handlers.keys()) await this.#startWorker(queue)
    if ([...this.#handlers.values()].some((registered) => registered.holdWhile)) {
      this.#holdTimer = setInterval(() => void this.#checkHolds().catch((error: unknown) => this.#log.error({ err: error }, 'job hold check failed')), HOLD_CHECK_MS)
      this.#holdTimer.unref()
    }
  }

  /** Stops the worker of a queue whose `holdWhile` says so, and starts it again once it no longer does. */
  async #checkHolds(): Promise<void> {
    for (const [queue, registered] of this.#handlers) {
      if (!registered.holdWhile || !this.#working) continue
      const hold = registered.holdWhile()
      if (hold && !this.#held.has(queue)) {
        this.#held.add(queue)
        const workerId = this.#workerIds.get(queue)
        this.#workerIds.delete(queue)
        if (workerId) await this.boss.offWork(queue, { id: workerId, wait: false })
        this.#log.warn({ queue }, 'job queue held: its jobs wait')
      } else if (!hold && this.#held.has(queue)) {
        this.#held.delete(queue)
        await this.#startWorker(queue)
        this.#log.info({ queue }, 'job queue resumed')
      }
    }
  }

  async stop(): Promise<void> {
    this.#working = false
    clearInterval(this.#holdTimer)
    const index = running.indexOf(this)
    if (index >= 0) running.splice(index, 1)
    await this.boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS })
  }

  #policy(queue: string): QueuePolicy {
    const policy = this.policies.get(queue)
    if (!policy) throw new Error(`unknown job queue "${queue}": declare it in src/jobs/queues.ts`)
    return policy
  }

  wake(queue: string): void {
    const workerId = this.#workerIds.get(queue)
    if (workerId) this.boss.notifyWorker(workerId)
  }

  async #startWorker(queue: string): Promise<void> {
    const { batchSize } = this.#handlers.get(queue)!
    const workerId = await this.boss.work(
      queue,
      {
        includeMetadata: true,
        batchSize,
        // The handler says what became of each job of a batch; pg-boss settles them in one
        // statement per outcome (completed, failed) rather than one per job.
        perJobResults: true,
        localConcurrency: this.#settings.concurrency,
        pollingIntervalSeconds: this.#settings.pollIntervalMs / 1000,
        // With NOTIFY on, pg-boss would poll only every 30 s, but retries and deferred jobs come due
        // without a NOTIFY: they wait for a poll. One interval for both.
        notifyPollingIntervalSeconds: this.#settings.pollIntervalMs / 1000,
        // A backlog (a restart after an outage, a burst of submissions) is fetched continuously,
        // not one batch per worker per poll interval (measured: 8 workers drained 4 permits/s with
        // a 2 s poll): while the last fetch came back full, and, for one-job batches, while
        // pg-boss's (cached) ready count says jobs wait.
        burstWhenBatchFull: batchSize > 1,
        burstWhenReadyExceeds: 1,
      },
      (jobs) => this.#runBatch(queue, jobs as JobWithMetadata<object>[]),
    )
    this.#workerIds.set(queue, workerId)
  }

  async #runBatch(queue: string, jobs: JobWithMetadata<object>[]): Promise<JobResult[]> {
    const registered = this.#handlers.get(queue)
    if (!registered) throw new Error(`no handler for queue ${queue}`)
    const batch = jobs.map((job) => ({ data: job.data, job: { id: job.id, retryCount: job.retryCount, isLastAttempt: job.retryCount >= job.retryLimit } }))
    const outcomes = await registered.handler(batch)
    return Promise.all(
      jobs.map(async (job, index): Promise<JobResult> => {
        const outcome = outcomes[index]
        if (outcome === undefined) return { id: job.id, status: 'completed' }
        // #defer completed the attempt itself; pg-boss's completion after it is fenced to the attempt and does nothing.
        if (outcome instanceof RetryLater) return this.#defer(queue, job, outcome).then(() => ({ id: job.id, status: 'completed' }))
        const message = String((outcome as Error)?.message ?? outcome).slice(0, STORED_ERROR_LENGTH)
        this.#log.warn({ queue, jobId: job.id, attempt: job.retryCount + 1, lastAttempt: batch[index]!.job.isLastAttempt, error: message }, 'job attempt failed')
        // Stored on the job, which operators read: the message only, never a stack or the error's own fields.
        return { id: job.id, status: 'failed', output: { name: 'Error', message } }
      }),
    )
  }

  /**
   * RetryLater. pg-boss has no "put back without counting" call, so, in one transaction: complete
   * this attempt (its output says when and why it was deferred, and which job continues it) and
   * send a copy with the same data and singletonKey, `startAfter: until`, and a retry limit of
   * what this job had left (`retryLimit - retryCount`). The copy starts at retryCount 0, so the
   * deferred attempt is not counted and the total number of attempts stays what the queue allows;
   * its backoff starts again from the queue's first delay. The attempt fence on `complete` (id and
   * retryCount) makes it a no-op if the job was expired meanwhile, and pg-boss's own completion
   * after this handler returns finds the job settled and does nothing.
   */
  async #defer(queue: string, job: JobWithMetadata<object>, later: RetryLater): Promise<void> {
    const until = later.until.getTime() > Date.now() ? later.until : new Date()
    await this.#db.transaction().execute(async (trx) => {
      const db = fromKysely(trx as unknown as KyselyTransactionLike)
      const next = await this.boss.send(queue, job.data, {
        db,
        startAfter: until,
        singletonKey: job.singletonKey ?? crypto.randomUUID(),
        priority: job.priority,
        retryLimit: Math.max(0, job.retryLimit - job.retryCount),
      })
      await this.boss.complete(queue, { id: job.id, retryCount: job.retryCount }, { deferredUntil: until.toISOString(), reason: later.reason.slice(0, 200), continuedBy: next }, { db })
    })
    this.#log.info({ queue, jobId: job.id, until: until.toISOString(), reason: later.reason }, 'job deferred')
  }
}

const JOB_INSERT = /^(\s*INSERT INTO [\s\S]+json_to_recordset\()\$1(::text::json\)[\s\S]+?)(ON CONFLICT DO NOTHING\s+RETURNING id)\s*$/

/**
 * The pieces of pg-boss 12's plain job insert (plans.insertJobs without NOTIFY). Anything else
 * (another pg-boss version, another shape) is undefined, and callers fall back to `send`; a test
 * pins the shape, so an upgrade that changes it is seen at once.
 */
export function splitJobInsert(text: string, values: unknown[]): JobInsertStatement | undefined {
  const match = JOB_INSERT.exec(text)
  if (!match || values.length !== 1 || typeof values[0] !== 'string') return undefined
  return { head: match[1]!, param: values[0], beforeConflict: match[2]!, conflict: match[3]! }
}

function bossOptions(database: DatabaseHandle, settings: JobSettings): ConstructorOptions {
  const common: ConstructorOptions = { schema: JOBS_SCHEMA, useListenNotify: true, instanceName: 'insw-gateway', ...expiryChecks(settings) }
  if (database.pglite) return { ...common, db: fromPglite(database.pglite), backend: 'pglite' }
  if (database.connectionString) return { ...common, connectionString: database.connectionString, max: 4, application_name: 'insw-gateway-jobs' }
  throw new Error('the job engine needs an embedded database or a DATABASE_URL')
}

/**
 * pg-boss finds expired attempts on its supervise/monitor pass (every 60 s by default). With a
 * shorter expiry cap the pass runs a few times within it, so a killed instance's jobs come back
 * within about 1.3 × the cap rather than a minute after it.
 */
function expiryChecks(settings: JobSettings): ConstructorOptions {
  if (settings.expireSecondsMax === undefined) return {}
  const seconds = Math.max(2, Math.min(60, Math.floor(settings.expireSecondsMax / 3)))
  return { superviseIntervalSeconds: seconds, monitorIntervalSeconds: seconds }
}

export interface JobsPluginOptions {
  settings: JobSettings
  /** The queues to create (tests declare their own); those of queues.ts otherwise. */
  queues?: readonly QueuePolicy[]
}

async function jobsPlugin(app: FastifyInstance, options: JobsPluginOptions): Promise<void> {
  const engine = new PgBossJobEngine(app.database, options.settings, options.queues ?? QUEUE_POLICIES, app.log)
  await engine.start()
  app.decorate('jobs', engine)
  app.decorate('jobEngine', engine)
  app.addHook('onReady', () => engine.startWorkers())
  // Registered after the db plugin, so this runs before the database closes (onClose runs last-registered first).
  app.addHook('onClose', () => engine.stop())
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The engine itself, for the operator view (store.ts, operator-retry.ts); features use `app.jobs`. */
    jobEngine: PgBossJobEngine
  }
}

export default fp(jobsPlugin, { name: 'jobs', fastify: '5.x', dependencies: ['db'] })
