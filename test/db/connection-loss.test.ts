/**
 * The server ends the gateway's connections (a restart, pg_terminate_backend, a failover) while one
 * is checked out in a transaction: the transaction fails, the process lives on, and the pool serves
 * the next queries on new connections. Before the fix the checked-out client's 'error' event had no
 * listener and killed the process (found by the nothing-lost drill). Server database only.
 */
import { sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import { openDatabase } from '../../src/db/database.ts'
import { createServerDatabase } from '../helpers/database.ts'

const server = await createServerDatabase()
if (!server) {
  t.pass('skipped: needs a server database (DATABASE_URL)')
} else {
  t.teardown(() => server.drop())
  const handle = await openDatabase({ databaseUrl: server.url, poolSize: 4 })
  t.teardown(() => handle.db.destroy())
  const name = new URL(server.url).pathname.slice(1)

  t.test('connections ended mid-transaction: the transaction fails, the process and the pool go on', async (t) => {
    await sql`select 1`.execute(handle.db)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const transaction = handle.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx)
      entered()
      // Between two queries, the connection idle in its transaction: where the server's FATAL arrives as an event.
      await held
      await sql`select 2`.execute(trx)
    })
    await inside
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
    await admin.end()
    t.ok((rowCount ?? 0) >= 1, `${rowCount} connection(s) ended by the server`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    release()
    await t.rejects(transaction, 'the transaction in progress fails')
    const after = await sql<{ n: number }>`select 3 as n`.execute(handle.db)
    t.same(after.rows, [{ n: 3 }], 'the next query runs on a new connection')
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => sql<{ n: number }>`select ${i}::int as n`.execute(handle.db)))
    t.same(many.map((result) => result.rows[0]!.n), [0, 1, 2, 3, 4, 5, 6, 7], 'and the whole pool recovers')
  })
}
