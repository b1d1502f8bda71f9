/**
 * The job engine (pg-boss 12) on the gateway's database: enqueue in the caller's transaction,
 * retries with backoff to the dead letter queue, RetryLater not spending an attempt, and queued
 * jobs surviving an app that closed before running them.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import jobsPlugin from '../../src/jobs/engine.ts'
import type { QueuePolicy } from '../../src/jobs/queues.ts'
import { retryAsOperator } from '../../src/jobs/operator-retry.ts'
import { findDeadLetterCopy, findJob, listJobs } from '../../src/jobs/store.ts'
import { RetryLater, type JobContext } from '../../src/jobs/types.ts'
import dbPlugin from '../../src/plugins/db.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { drainQueue } from '../helpers/jobs.ts'

const database = await openTestDatabase()
t.teardown(() => database.close())

const fast = { retryDelay: 1, retryBackoff: true, retryDelayMax: 1, expireInSeconds: 30 }
const queues: QueuePolicy[] = [
  { name: 'test.ok', retryLimit: 2, ...fast, deadLetter: 'test.ok.dead' },
  { name: 'test.flaky', retryLimit: 2, ...fast, deadLetter: 'test.flaky.dead' },
  { name: 'test.later', retryLimit: 0, ...fast, deadLetter: 'test.later.dead' },
  { name: 'test.held', retryLimit: 2, ...fast, deadLetter: 'test.held.dead' },
]

async function engineApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(dbPlugin, { database: database.handle })
  await app.register(jobsPlugin, { settings: loadConfig({ LOG_LEVEL: 'silent', JOB_POLL_INTERVAL_MS: '500', ...env }).jobs, queues })
  return app
}

const seen: { queue: string; data: unknown; job: JobContext; at: number }[] = []
const app = await engineApp()
t.teardown(() => app.close())
app.jobs.work<{ n: number }>('test.ok', async (data, job) => void seen.push({ queue: 'test.ok', data, job, at: Date.now() }))
const hookCalls: unknown[] = []
let refuseRetry = true
app.jobs.work<{ n: number }>(
  'test.flaky',
  async (data, job) => {
    seen.push({ queue: 'test.flaky', data, job, at: Date.now() })
    throw new Error('upstream answered 500')
  },
  {
    async onOperatorRetry(data, executor) {
      hookCalls.push(data)
      // The retry's transaction: what the hook writes commits with the retry, or not at all.
      await sql`select 1`.execute(executor)
      if (refuseRetry) throw new Error('the record cannot go back')
    },
  },
)
let deferrals = 0
app.jobs.work<{ n: number }>('test.later', async (data, job) => {
  seen.push({ queue: 'test.later', data, job, at: Date.now() })
  if (deferrals++ < 2) throw new RetryLater(new Date(Date.now() + 300), 'circuit open')
})
// An upstream's circuit: while open, this instance fetches nothing of the queue.
let circuitOpen = true
const heldRuns: number[] = []
app.jobs.workBatch<{ n: number }>('test.held', async (jobs) => jobs.map(({ data }) => void heldRuns.push(data.n)), { holdWhile: () => circuitOpen })
await app.ready()

t.test('a rolled-back transaction leaves no job; a committed one is delivered', async (t) => {
  await app.db
    .transaction()
    .execute(async (trx) => {
      t.ok(await app.jobs.send(trx, 'test.ok', { n: 1 }), 'the job had an id inside the transaction')
      throw new Error('roll back')
    })
    .catch(() => {})
  await app.db.transaction().execute(async (trx) => {
    await app.jobs.send(trx, 'test.ok', { n: 2 })
  })
  await drainQueue(app, 'test.ok')
  const jobs = await listJobs(app.db, { queues: ['test.ok'], limit: 10 })
  t.same(jobs.map((job) => job.data), [{ n: 2 }], 'only the committed job exists')
  t.same(seen.filter((s) => s.queue === 'test.ok').map((s) => s.data), [{ n: 2 }], 'and it ran once')
})

t.test('an unknown queue is refused before anything is written', async (t) => {
  await t.rejects(app.jobs.send(app.db, 'no.such.queue', { n: 1 }), /unknown job queue/)
})

t.test('a failing job is retried with backoff, then dead-lettered; isLastAttempt marks the last try', async (t) => {
  const id = await app.jobs.send(app.db, 'test.flaky', { n: 3 })
  await drainQueue(app, 'test.flaky')
  const attempts = seen.filter((s) => s.queue === 'test.flaky')
  t.same(attempts.map((a) => a.job.retryCount), [0, 1, 2], 'retryLimit 2: three attempts')
  t.same(attempts.map((a) => a.job.isLastAttempt), [false, false, true])
  for (let i = 1; i < attempts.length; i++) t.ok(attempts[i]!.at - attempts[i - 1]!.at >= 900, `attempt ${i + 1} waited for its backoff`)
  const [failed] = await listJobs(app.db, { queues: ['test.flaky'], limit: 1 })
  t.match(failed, { id, state: 'failed', output: { message: 'upstream answered 500' } })
  t.notOk((failed!.output as { stack?: string }).stack, 'no stack stored on the job')
  const dead = await findDeadLetterCopy(app.db, 'test.flaky.dead', id!)
  t.match(dead, { state: 'created', data: { n: 3 }, source_name: 'test.flaky' }, 'a copy waits in the dead letter queue')
})

t.test('an operator retry runs the queue\'s hook in its transaction; a refusing hook leaves the job dead-lettered', async (t) => {
  const [failed] = await listJobs(app.db, { queues: ['test.flaky'], states: ['failed'], limit: 1 })
  const dead = await findDeadLetterCopy(app.db, 'test.flaky.dead', failed!.id)
  await t.rejects(app.db.transaction().execute((trx) => retryAsOperator(app.jobEngine, trx, dead!.id)), /cannot go back/)
  t.same(hookCalls, [{ n: 3 }], 'the hook saw the job data')
  t.match(await findJob(app.db, dead!.id), { state: 'created', name: 'test.flaky.dead' }, 'still waiting in the dead letter queue')

  refuseRetry = false
  const before = seen.filter((s) => s.queue === 'test.flaky').length
  const next = await app.db.transaction().execute((trx) => retryAsOperator(app.jobEngine, trx, dead!.id))
  t.match(next, { name: 'test.flaky', data: { n: 3 }, source_root_id: failed!.id })
  await drainQueue(app, 'test.flaky')
  t.equal(seen.filter((s) => s.queue === 'test.flaky').length, before + 3, 'it ran its three attempts again')
})

t.test('an operator retry of a failed job whose dead letter copy is gone gives it one more attempt', async (t) => {
  refuseRetry = false
  const id = await app.jobs.send(app.db, 'test.flaky', { n: 5 })
  await drainQueue(app, 'test.flaky')
  await sql`delete from pgboss.job where name = 'test.flaky.dead' and source_id = ${id}::uuid`.execute(app.db)
  const before = seen.filter((s) => (s.data as { n: number }).n === 5).length
  const next = await app.db.transaction().execute((trx) => retryAsOperator(app.jobEngine, trx, id!))
  t.match(next, { id, state: 'retry', retry_limit: 3 })
  await drainQueue(app, 'test.flaky')
  t.equal(seen.filter((s) => (s.data as { n: number }).n === 5).length, before + 1, 'one more attempt')
  t.match(await findJob(app.db, id!), { state: 'failed' })
})

t.test('RetryLater defers the job without spending an attempt', async (t) => {
  // retryLimit 0: one counted attempt only. Two deferrals and a success must not dead-letter it.
  await app.jobs.send(app.db, 'test.later', { n: 4 }, { singletonKey: 'permit-4' })
  await drainQueue(app, 'test.later')
  const runs = seen.filter((s) => s.queue === 'test.later')
  t.equal(runs.length, 3, 'ran three times')
  t.ok(runs.every((run) => run.job.retryCount === 0 && run.job.isLastAttempt), 'each run was still the one allowed attempt')
  t.ok(runs[1]!.at - runs[0]!.at >= 250, 'the deferred run waited until the time given')
  const jobs = await listJobs(app.db, { queues: ['test.later', 'test.later.dead'], limit: 10 })
  t.equal(jobs.length, 3)
  t.ok(jobs.every((job) => job.state === 'completed' && job.singleton_key === 'permit-4'), 'completed, never failed; the key carried over')
  const deferred = jobs.filter((job) => job.output && 'deferredUntil' in job.output)
  t.equal(deferred.length, 2, 'each deferral says when and why')
  t.match(deferred[0]!.output, { reason: 'circuit open', continuedBy: String })
})

t.test('jobs queued by an app that closed run when the next one starts', async (t) => {
  const enqueueOnly = await engineApp({ JOB_WORKERS: 'false' })
  const ran: number[] = []
  enqueueOnly.jobs.work<{ n: number }>('test.ok', async (data) => void ran.push(data.n))
  await enqueueOnly.ready()
  for (const n of [10, 11, 12]) await enqueueOnly.jobs.send(enqueueOnly.db, 'test.ok', { n })
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.same(ran, [], 'JOB_WORKERS=false: this instance only enqueues')
  await enqueueOnly.close()

  const next = await engineApp()
  t.teardown(() => next.close())
  next.jobs.work<{ n: number }>('test.ok', async (data) => void ran.push(data.n))
  await next.ready()
  // The first app of this file works the same queue: either may take them; each runs once.
  await drainQueue(next, 'test.ok')
  const all = [...ran, ...seen.filter((s) => s.queue === 'test.ok').map((s) => (s.data as { n: number }).n)].filter((n) => n >= 10)
  t.same(all.sort(), [10, 11, 12], 'every queued job ran exactly once')
})

t.test('a held queue fetches nothing while its holdWhile says so, and resumes once it stops saying so', async (t) => {
  // The hold is checked every second: the worker that started with the app is stopped by then.
  await new Promise((resolve) => setTimeout(resolve, 1_300))
  for (const n of [1, 2, 3]) await app.jobs.send(app.db, 'test.held', { n })
  app.jobs.wake('test.held')
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  t.same(heldRuns, [], 'nothing fetched while held (three poll intervals)')
  const waiting = await listJobs(app.db, { queues: ['test.held'], limit: 10 })
  t.ok(waiting.length === 3 && waiting.every((job) => job.state === 'created'), 'the jobs wait untouched')
  circuitOpen = false
  await drainQueue(app, 'test.held')
  t.same(heldRuns.sort(), [1, 2, 3], 'resumed: each ran once')
})

t.test('sendMany enqueues in the caller\'s transaction, in one statement, skipping a singleton that already waits', async (t) => {
  await app.db.transaction().execute(async (trx) => {
    await app.jobs.sendMany(trx, 'test.held', [{ data: { n: 90 } }])
    await sql`select 1`.execute(trx)
  })
  await t.rejects(
    app.db.transaction().execute(async (trx) => {
      await app.jobs.sendMany(trx, 'test.held', [{ data: { n: 91 } }, { data: { n: 92 } }])
      throw new Error('rolled back')
    }),
  )
  circuitOpen = true
  await new Promise((resolve) => setTimeout(resolve, 1_300))
  await app.db.transaction().execute((trx) =>
    app.jobs.sendMany(trx, 'test.held', [
      { data: { n: 93 }, options: { singletonKey: 'pair-1' } },
      { data: { n: 94 }, options: { singletonKey: 'pair-1' } },
      { data: { n: 95 }, options: { singletonKey: 'pair-2' } },
    ]),
  )
  const waiting = await listJobs(app.db, { queues: ['test.held'], limit: 20 })
  const created = waiting.filter((job) => job.state === 'created').map((job) => (job.data as { n: number }).n)
  t.same(created.sort(), [93, 95], 'one job per waiting singleton; the rolled-back ones never existed')
  circuitOpen = false
  await drainQueue(app, 'test.held')
  t.ok([90, 93, 95].every((n) => heldRuns.includes(n)) && !heldRuns.includes(91) && !heldRuns.includes(94))
})

t.test('a singleton period keeps a job that every instance sends to one per period, whatever became of it', async (t) => {
  // A day: the test does not straddle two periods.
  const periodic = { singletonKey: 'periodic', singletonSeconds: 86_400 }
  t.ok(await app.jobs.send(app.db, 'test.ok', { n: 700 }, periodic), 'the period\'s first job')
  await drainQueue(app, 'test.ok')
  t.equal(await app.jobs.send(app.db, 'test.ok', { n: 701 }, periodic), null, 'refused after it ran: the period had its job')
  t.ok(await app.jobs.send(app.db, 'test.ok', { n: 702 }, { singletonKey: 'periodic' }), 'without a period the key only holds while a job waits')
  await drainQueue(app, 'test.ok')
})
