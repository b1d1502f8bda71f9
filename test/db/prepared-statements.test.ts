/**
 * Prepared statements on both databases (pglite-prepared.ts, prepared-statements.ts): the same
 * answers and errors as unprepared queries, locking that never lets a query into another
 * caller's transaction, and a statement whose result columns changed is not stuck failing.
 */
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import t from 'tap'
import { preparingPGlite } from '../../src/db/pglite-prepared.ts'
import { openTestDatabase } from '../helpers/database.ts'

// One embedded instance for the file (each takes seconds to start); each test has its own table.
const pglite = new PGlite()
t.teardown(() => pglite.close())
const preparing = preparingPGlite(pglite)

t.test('the embedded database answers prepared queries as PGlite does, and runs each text by name', async (t) => {
  await pglite.exec(`create table probe_answers (id int primary key, name text, tags text[], doc jsonb, at timestamptz, flag boolean)`)
  const insert = 'insert into probe_answers values ($1, $2, $3, $4, $5, $6) returning *'
  const row = [1, 'Café ☕', ['a', 'b,c'], { nested: [1, 'x'] }, new Date('2026-01-02T03:04:05.678Z'), true]
  const prepared = await preparing.query(insert, row)
  const plain = await pglite.query(insert.replace('returning *', 'on conflict (id) do update set name = excluded.name returning *'), row)
  t.same(prepared.rows, plain.rows)
  t.same(prepared.fields.map((field) => field.name), ['id', 'name', 'tags', 'doc', 'at', 'flag'])
  t.equal(prepared.affectedRows, 1)
  const nulls = await preparing.query<{ name: string | null }>('select $1::text as name, $2::int as n', [null, undefined])
  t.same(nulls.rows, [{ name: null, n: null }])

  for (let i = 2; i <= 10; i++) await preparing.query(insert, [i, `n${i}`, [], {}, new Date(), false])
  const statements = await pglite.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement like 'insert into probe_answers%'`)
  t.equal(statements.rows[0]?.n, 1, 'ten inserts, one prepared statement')
  const arrayMode = await preparing.query('select id from probe_answers where id <= $1 order by id', [2], { rowMode: 'array' })
  t.same(arrayMode.rows, [[1], [2]])
})

t.test('errors carry the code and the statement, and the statement stays usable', async (t) => {
  await pglite.exec('create table probe_errors (id int primary key)')
  const insert = 'insert into probe_errors values ($1)'
  await preparing.query(insert, [1])
  await t.rejects(preparing.query(insert, [1]), { code: '23505', query: insert, params: [1] })
  await t.rejects(preparing.query('select * from nowhere where id = $1', [1]), { code: '42P01' })
  await preparing.query(insert, [2])
  t.same((await preparing.query('select count(*)::int as n from probe_errors where id > $1', [0])).rows, [{ n: 2 }])
})

t.test('a query waits for another caller’s transaction instead of running inside it', async (t) => {
  await pglite.exec('create table probe_locking (id int primary key)')
  const order: string[] = []
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const transaction = preparing.transaction(async (tx) => {
    await tx.query('insert into probe_locking values ($1)', [1])
    order.push('inserted')
    await held
    await tx.rollback()
    order.push('rolled back')
  })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const outside = preparing.query<{ n: number }>('select count(*)::int as n from probe_locking where id > $1', [0]).then((result) => {
    order.push('outside read')
    return result.rows[0]?.n
  })
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(order, ['inserted'], 'the outside query has not run yet')
  release()
  await transaction
  t.equal(await outside, 0, 'the outside query saw none of the rolled-back insert')
  t.same(order, ['inserted', 'rolled back', 'outside read'])
  // Prepared inside a transaction that rolled back: still there.
  await preparing.query('insert into probe_locking values ($1)', [3])
  t.same((await preparing.query('select id from probe_locking where id > $1', [0])).rows, [{ id: 3 }])
})

t.test('a statement whose columns changed under it is prepared again, not stuck failing', async (t) => {
  await pglite.exec(`create table probe_columns (id int primary key, name text); insert into probe_columns values (1, 'a')`)
  const select = 'select * from probe_columns where id = $1'
  t.same((await preparing.query(select, [1])).rows, [{ id: 1, name: 'a' }])
  await pglite.exec('alter table probe_columns add column extra text')
  t.same((await preparing.query(select, [1])).rows, [{ id: 1, name: 'a', extra: null }], 'outside a transaction: retried at once')
  await pglite.exec('alter table probe_columns add column more int')
  await t.rejects(
    preparing.transaction((tx) => tx.query(select, [1])),
    { code: '0A000' },
    'inside a transaction the statement fails once (the transaction is aborted)',
  )
  t.same((await preparing.query(select, [1])).rows, [{ id: 1, name: 'a', extra: null, more: null }])
})

t.test('through Kysely, on whichever database the suite runs against', async (t) => {
  const database = await openTestDatabase({ migrate: false })
  t.teardown(() => database.close())
  const db = database.handle.db
  await sql`create table probe_prepared (id int primary key, name text)`.execute(db)
  await sql`insert into probe_prepared values (1, 'a')`.execute(db)
  const select = (id: number) => db.selectFrom('probe_prepared' as never).selectAll().where('id' as never, '=', id as never).execute()
  for (let i = 0; i < 6; i++) t.same(await select(1), [{ id: 1, name: 'a' }])
  await sql`alter table probe_prepared add column extra text`.execute(db)
  // The server's pool may fail a connection's stale statement once; after that it runs unnamed.
  const answers = await Promise.allSettled(Array.from({ length: 12 }, () => select(1)))
  const after = await select(1)
  t.same(after, [{ id: 1, name: 'a', extra: null }])
  t.ok(answers.every((answer) => answer.status === 'fulfilled' || (answer.reason as { code?: string }).code === '0A000'), 'any failure is the stale plan, never another')
  await t.rejects(db.transaction().execute((trx) => sql`insert into probe_prepared values (${1}, ${'dup'})`.execute(trx)), { code: '23505' })
  t.same(await select(1), [{ id: 1, name: 'a', extra: null }])
})
