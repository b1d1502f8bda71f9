/**
 * A pg client that prepares its parameterised queries: each distinct SQL text is parsed and
 * planned once per connection, then executed by name (PostgreSQL may then keep a generic plan
 * and skip planning altogether). Without names every query is parsed and planned again: for the
 * organisation user list, planning cost more than executing, and the server shares the CPU with
 * the gateway. Queries without parameters (BEGIN, migrations' multi-statement scripts) stay
 * unnamed, as do texts beyond MAX_PREPARED_PER_CONNECTION (texts vary with the length of an
 * `in (...)` list; the bound keeps each server connection's memory in check).
 *
 * Behind a connection pooler in transaction mode, the pooler must support prepared statements
 * (PgBouncer 1.21+ with max_prepared_statements set).
 */
import { createHash } from 'node:crypto'
import pg from 'pg'

const MAX_PREPARED_PER_CONNECTION = 500
/** SQL text to statement name, shared by every connection (names are digests, so any connection agrees). */
const names = new Map<string, string>()
const MAX_NAMES = 5_000

export function statementName(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `s_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`
    if (names.size >= MAX_NAMES) names.clear()
    names.set(text, name)
  }
  return name
}

export class PreparingClient extends pg.Client {
  private readonly prepared = new Set<string>()
  /** Texts whose prepared plan went stale (a migration changed their result columns): run unnamed from then on. */
  private readonly stale = new Set<string>()

  constructor(config?: string | pg.ClientConfig) {
    super(config)
    // A connection the server ends while it is checked out (a restart, pg_terminate_backend, a
    // failover) emits 'error' on the client, and pg-pool listens only on idle ones: without this
    // the process died of an uncaught error (found by the nothing-lost drill). Nothing else to do
    // here: the query in flight fails by itself, and the pool drops the client when it is released
    // (it is no longer queryable).
    this.on('error', () => {})
  }

  // pg's overloads: (text, values, callback?) is what Kysely's PostgresDriver calls.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined && !this.stale.has(config)) {
      const name = statementName(config)
      if (this.prepared.has(name) || this.prepared.size < MAX_PREPARED_PER_CONNECTION) {
        this.prepared.add(name)
        return (super.query({ name, text: config, values }) as Promise<unknown>).catch((error: unknown) => {
          // This request fails (inside a transaction nothing can be retried); later ones of this text on this connection go unnamed.
          if (isStalePlan(error)) this.stale.add(config)
          throw error
        })
      }
    }
    return super.query(config, values, callback)
  }
}

/** PostgreSQL's refusal to run a prepared statement whose result columns changed (plancache.c). */
export function isStalePlan(error: unknown): boolean {
  return (error as { code?: string })?.code === '0A000' && (error as { routine?: string }).routine === 'RevalidateCachedQuery'
}
