/**
 * Applies the plain-SQL files in migrations/ in name order, each once, recorded in
 * `schema_migrations`. All pending files run in one transaction under a transaction-scoped
 * advisory lock, so two instances starting at once never both migrate: the second waits, then
 * finds nothing pending.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DatabaseHandle } from './database.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Any fixed 64-bit key works; this one is "insw-gw" in ASCII (0x696e73772d6777), written in decimal
// because hexadecimal integer literals need PostgreSQL 16.
const MIGRATION_LOCK_KEY = '29676314754377591'

export interface MigrationResult {
  applied: string[]
}

export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError'
}

export async function migrate(handle: DatabaseHandle, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  return handle.inScriptTransaction(async (session) => {
    await session.query(`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
    await session.exec(`
      create table if not exists schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );
      comment on table schema_migrations is 'Migration files already applied (append-only history).';
    `)
    const done = new Map(
      (await session.query<{ name: string; checksum: string }>('select name, checksum from schema_migrations')).map(
        (row) => [row.name, row.checksum],
      ),
    )
    const applied: string[] = []
    for (const name of files) {
      const text = await readFile(path.join(dir, name), 'utf8')
      const checksum = createHash('sha256').update(text).digest('hex')
      const previous = done.get(name)
      if (previous !== undefined) {
        // Migrations are append-only: an edited, already-applied file would silently diverge schemas.
        if (previous !== checksum) throw new MigrationChecksumError(`Migration ${name} changed after it was applied`)
        continue
      }
      await session.exec(text)
      await session.query('insert into schema_migrations (name, checksum) values ($1, $2)', [name, checksum])
      applied.push(name)
    }
    return { applied }
  })
}
