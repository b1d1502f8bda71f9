/**
 * The embedded database opens from a data-folder tarball when given one (the test template, a
 * restored backup): the tables are there before any migration runs. `new PGlite(undefined,
 * { loadDataDir })` silently ignored the tarball and ran initdb; this would have caught it.
 */
import { sql } from 'kysely'
import t from 'tap'
import { openDatabase } from '../../src/db/database.ts'
import { migrate } from '../../src/db/migrator.ts'

t.test('openDatabase({ loadDataDir }) starts from the tarball, not from an empty cluster', { skip: process.env.DATABASE_URL ? 'embedded only' : false }, async (t) => {
  const source = await openDatabase({})
  await migrate(source)
  await sql`create table template_marker (note text)`.execute(source.db)
  await sql`insert into template_marker values ('from the tarball')`.execute(source.db)
  const tarball = await source.pglite!.pglite.dumpDataDir('none')
  await source.close()

  const loaded = await openDatabase({ loadDataDir: tarball })
  t.teardown(() => loaded.close())
  const { rows } = await sql<{ note: string }>`select note from template_marker`.execute(loaded.db)
  t.same(rows, [{ note: 'from the tarball' }], 'the row written before the dump is there')
  const migrations = await sql<{ n: number }>`select count(*)::int as n from schema_migrations`.execute(loaded.db)
  t.ok(migrations.rows[0]!.n > 10, 'and every migration already applied')
})
