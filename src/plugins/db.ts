/**
 * Gives every route `app.db` (Kysely). Opens the database from config unless the caller hands one
 * in (tests share one embedded instance per file), and applies pending migrations at start.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Kysely } from 'kysely'
import { openDatabase, type DatabaseHandle } from '../db/database.ts'
import { migrate } from '../db/migrator.ts'
import type { Database } from '../db/schema.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    database: DatabaseHandle
  }
}

export interface DbPluginOptions {
  /** An open handle owned by the caller: not closed with the app. */
  database?: DatabaseHandle
  databaseUrl?: string
  dataDir?: string
}

async function dbPlugin(app: FastifyInstance, options: DbPluginOptions): Promise<void> {
  const owned = !options.database
  const database = options.database ?? (await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir }))
  const { applied } = await migrate(database)
  if (applied.length) app.log.info({ applied }, 'database migrated')
  app.decorate('database', database)
  app.decorate('db', database.db)
  if (owned) app.addHook('onClose', () => database.close())
}

export default fp(dbPlugin, { name: 'db', fastify: '5.x' })
