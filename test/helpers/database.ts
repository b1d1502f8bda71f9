/**
 * One database per test file: an in-memory PGlite by default, or, when DATABASE_URL is set (CI),
 * a fresh database created on that server and dropped afterwards, so files run in parallel
 * without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto'
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

export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const server = await createServerDatabase()
  const handle = await openDatabase({ databaseUrl: server?.url, poolSize: 5 })
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
