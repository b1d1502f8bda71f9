/**
 * One Kysely handle over either an embedded PostgreSQL (PGlite, the default, so `npm start` works
 * on a bare machine) or a pooled connection to a real PostgreSQL server (`DATABASE_URL`).
 * Same SQL either way; `runScript` runs multi-statement migration files on both.
 */
import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import { preparingPGlite, type PreparingPGlite } from './pglite-prepared.ts'
import { PreparingClient } from './prepared-statements.ts'
import type { Database } from './schema.ts'

/** Runs plain SQL scripts in one transaction; `query` takes parameters, `exec` takes many statements. */
export interface ScriptSession {
  exec(sql: string): Promise<void>
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>
}

export interface DatabaseHandle {
  db: Kysely<Database>
  kind: 'embedded' | 'postgres'
  /** The embedded instance, preparing its statements (the job engine runs on it through pg-boss's `fromPglite`). */
  pglite?: PreparingPGlite
  /** The server's URL (the job engine opens its own small pool, with a LISTEN connection). */
  connectionString?: string
  /** Runs `fn` inside one transaction on one connection (advisory locks hold for its duration). */
  inScriptTransaction<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  /** Folder for the embedded database; `undefined` keeps it in memory (tests). */
  dataDir?: string
  /** An embedded database's starting contents (a `dumpDataDir` tarball): tests start from a migrated template. */
  loadDataDir?: Blob
  poolSize?: number
}

// PostgreSQL returns int8 and numeric as strings to avoid precision loss; our counters fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10) : openEmbedded(options.dataDir, options.loadDataDir)
}

function openPostgres(connectionString: string, max: number): DatabaseHandle {
  // Parameterised queries are prepared once per connection (prepared-statements.ts says why).
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000, application_name: 'insw-gateway', Client: PreparingClient })
  // An idle client that loses its server connection emits here; without a listener it would crash the process.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: 'postgres',
    connectionString,
    async inScriptTransaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await fn({
          exec: async (text) => { await client.query(text) },
          query: async (text, params) => (await client.query(text, params)).rows,
        })
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    close: () => db.destroy(),
  }
}

async function openEmbedded(dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<DatabaseHandle> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  // The options form: `new PGlite(undefined, { loadDataDir })` ignores its options (a fresh initdb,
  // ~8 s, instead of loading the tarball in ~2 s; every embedded test file paid it).
  const pglite = new PGlite({ ...(dataDir ? { dataDir } : {}), ...(loadDataDir ? { loadDataDir } : {}) })
  await pglite.waitReady
  // Parameterised queries are prepared once per instance (pglite-prepared.ts says why).
  const preparing = preparingPGlite(pglite)
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: preparing }) })
  return {
    db,
    kind: 'embedded',
    pglite: preparing,
    inScriptTransaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          exec: async (text) => { await tx.exec(text) },
          query: async <R>(text: string, params?: unknown[]) => (await tx.query<R>(text, params)).rows,
        }),
      ),
    // Kysely's destroy closes the PGlite instance too.
    close: () => db.destroy(),
  }
}
