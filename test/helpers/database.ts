/**
 * One database per test file: an in-memory PGlite by default, or, when DATABASE_URL is set (CI),
 * a fresh database created on that server and dropped afterwards, so files run in parallel
 * without seeing each other's rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts'
import { migrate } from '../../src/db/migrator.ts'

export interface TestDatabase {
  handle: DatabaseHandle
  /** The URL of the per-file database on a real server; undefined when embedded. */
  url?: string
  close(): Promise<void>
}

export const serverDatabaseUrl = process.env.DATABASE_URL || undefined

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverDatabaseUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** Creates an empty database on the configured server, or undefined when running embedded. */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!serverDatabaseUrl) return undefined
  const name = `gw_test_${randomBytes(6).toString('hex')}`
  await adminQuery(`create database ${name}`)
  const url = new URL(serverDatabaseUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) }
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
const PGLITE_PACKAGE = fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url))

/**
 * A migrated embedded database as a tarball, made once per set of migrations and shared by every
 * test file (in the system's temp folder, keyed by the migrations' contents and PGlite's version): starting PGlite from
 * it takes about a second, against several for a fresh cluster (initdb) plus the migrations.
 */
async function migratedTemplate(): Promise<Blob> {
  // Keyed by PGlite's version too: another version may not read this one's data folder.
  const hash = createHash('sha256').update(await readFile(PGLITE_PACKAGE))
  for (const name of (await readdir(MIGRATIONS_DIR)).sort()) hash.update(name).update(await readFile(join(MIGRATIONS_DIR, name)))
  const path = join(tmpdir(), `insw-gateway-test-template-${hash.digest('hex').slice(0, 16)}.tar`)
  try {
    return new Blob([await readFile(path)])
  } catch {
    const fresh = await openDatabase({})
    await migrate(fresh)
    const dump = await fresh.pglite!.pglite.dumpDataDir('none')
    await fresh.close()
    // Written under a name of its own, then renamed: a file running alongside never reads half of it.
    const partial = `${path}.${randomBytes(4).toString('hex')}`
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()))
    await rename(partial, path)
    return dump
  }
}

export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const server = await createServerDatabase()
  const loadDataDir = !server && options.migrate !== false ? await migratedTemplate() : undefined
  const handle = await openDatabase({ databaseUrl: server?.url, poolSize: 5, loadDataDir })
  try {
    if (options.migrate !== false) await migrate(handle)
  } catch (error) {
    await handle.close()
    await server?.drop()
    throw error
  }
  return {
    handle,
    url: server?.url,
    async close() {
      await handle.close()
      await server?.drop()
    },
  }
}
