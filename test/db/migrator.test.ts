import { mkdtemp, writeFile, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { openDatabase } from '../../src/db/database.ts'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrator.ts'
import { createServerDatabase, openTestDatabase } from '../helpers/database.ts'

t.test('applies every migration once, then nothing', async (t) => {
  const database = await openTestDatabase({ migrate: false })
  t.teardown(() => database.close())
  const first = await migrate(database.handle)
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort()
  t.same(first.applied, files)
  t.same((await migrate(database.handle)).applied, [])
  const rows = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(database.handle.db)
  t.same(rows.rows.map((r) => r.name), files)
})

t.test('a failing migration rolls back the whole batch', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  await writeFile(path.join(dir, '0001_ok.sql'), 'create table probe_ok (id int);')
  await writeFile(path.join(dir, '0002_bad.sql'), 'create table probe_bad (id int); select * from no_such_table;')
  const database = await openTestDatabase({ migrate: false })
  t.teardown(() => database.close())
  await t.rejects(migrate(database.handle, dir))
  const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name like 'probe_%'`.execute(database.handle.db)
  t.equal(tables.rows[0]?.n, 0)
})

t.test('an applied migration that was edited is refused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  await writeFile(path.join(dir, '0001_a.sql'), 'create table probe_a (id int);')
  const database = await openTestDatabase({ migrate: false })
  t.teardown(() => database.close())
  await migrate(database.handle, dir)
  await writeFile(path.join(dir, '0001_a.sql'), 'create table probe_a (id bigint);')
  await t.rejects(migrate(database.handle, dir), { name: 'MigrationChecksumError', message: /0001_a\.sql changed/ })
})

t.test('two instances starting at once: one migrates, the other waits and finds nothing to do', { skip: !process.env.DATABASE_URL && 'needs a PostgreSQL server (DATABASE_URL); PGlite is single-connection' }, async (t) => {
  const server = await createServerDatabase()
  t.teardown(() => server?.drop())
  const a = await openDatabase({ databaseUrl: server!.url })
  const b = await openDatabase({ databaseUrl: server!.url })
  t.teardown(async () => { await a.close(); await b.close() })
  const [ra, rb] = await Promise.all([migrate(a), migrate(b)])
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql'))
  t.equal(ra.applied.length + rb.applied.length, files.length, 'each migration applied exactly once')
  t.ok(ra.applied.length === 0 || rb.applied.length === 0, 'only one instance migrated')
})

t.test('the embedded database persists in its data folder', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gw-data-'))
  const first = await openDatabase({ dataDir })
  await migrate(first)
  await sql`insert into organisations (name) values ('PT Persisten')`.execute(first.db)
  await first.close()
  const second = await openDatabase({ dataDir })
  t.teardown(() => second.close())
  t.same((await migrate(second)).applied, [])
  const rows = await sql<{ name: string }>`select name from organisations`.execute(second.db)
  t.same(rows.rows.map((r) => r.name), ['PT Persisten'])
})
