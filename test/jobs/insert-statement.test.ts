/**
 * A job folded into a caller's single statement (JobEngine.insertStatement): pg-boss 12's own
 * insert, split around its parameter. The shape is pinned here, so a pg-boss upgrade that changes
 * it fails this test rather than falling back silently; a NOTIFYing queue is never folded.
 */
import Fastify from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import jobsPlugin from '../../src/jobs/engine.ts'
import type { QueuePolicy } from '../../src/jobs/queues.ts'
import dbPlugin from '../../src/plugins/db.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { drainQueue } from '../helpers/jobs.ts'

const database = await openTestDatabase()
t.teardown(() => database.close())
const fast = { retryLimit: 1, retryDelay: 1, retryBackoff: true, retryDelayMax: 1, expireInSeconds: 30 }
const queues: QueuePolicy[] = [
  { name: 'test.folded', ...fast, deadLetter: 'test.folded.dead', notify: false },
  { name: 'test.notified', ...fast, deadLetter: 'test.notified.dead' },
]
const app = Fastify()
await app.register(dbPlugin, { database: database.handle })
await app.register(jobsPlugin, { settings: loadConfig({ LOG_LEVEL: 'silent', JOB_POLL_INTERVAL_MS: '500' }).jobs, queues })
t.teardown(() => app.close())
const ran: unknown[] = []
app.jobs.work<{ n: number }>('test.folded', async (data) => void ran.push(data))
await app.ready()
const db = app.db

t.test('a NOTIFYing queue is not folded (its insert carries a NOTIFY CTE): callers use send', async (t) => {
  t.equal(await app.jobs.insertStatement('test.notified', { n: 0 }), undefined)
})

t.test('the folded insert commits with the statement it joins, or not at all, and the job runs', async (t) => {
  const statement = await app.jobs.insertStatement('test.folded', { n: 1 }, { singletonKey: 'folded-1' })
  t.ok(statement, "pg-boss 12's plain insert has the expected shape")
  const folded = (guard: boolean) =>
    sql<{ inserted: number }>`
      with job as (${sql.raw(statement!.head)}${statement!.param}${sql.raw(statement!.beforeConflict)} where ${guard} ${sql.raw(statement!.conflict)})
      select count(*)::int as inserted from job`.execute(db)
  t.equal((await folded(false)).rows[0]!.inserted, 0, 'a false guard inserts nothing')
  t.equal((await folded(true)).rows[0]!.inserted, 1)
  t.equal((await folded(true)).rows[0]!.inserted, 0, 'the singletonKey still holds: a second waiting job is refused')
  app.jobs.wake('test.folded')
  await drainQueue(app, 'test.folded')
  t.same(ran, [{ n: 1 }])
})
