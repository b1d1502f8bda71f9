/**
 * The embedded database's counterpart of prepared-statements.ts: each distinct parameterised SQL
 * text is parsed and planned once per PGlite instance (one session), then run by name.
 *
 * Why: PGlite's own `query` sends Parse, Describe, Bind, Describe, Execute and Sync as six calls
 * into the WebAssembly backend and parses and plans the text every time; under load the
 * organisation user list spent more than half its CPU in the backend's parser and planner. Here a
 * prepared text costs one call: Bind + Describe + Execute + Sync in one buffer.
 *
 * Locking is PGlite's own: outside a transaction a query waits for the transaction lock (as
 * `PGlite.query` does), so it never lands inside another caller's BEGIN; inside one it takes the
 * query lock only. Protocol-level prepared statements outlive a rollback, so a statement prepared
 * in a transaction that failed stays usable.
 */
import { parse as pgliteParse, protocol, type PGlite, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite'
import { isStalePlan, statementName } from './prepared-statements.ts'

/** Bounds the backend's memory: texts vary with the length of an `in (...)` list. */
const MAX_PREPARED = 1_000
const { serialize } = protocol

type Query = <R>(text: string, params?: unknown[], options?: QueryOptions) => Promise<Results<R>>

/** What Kysely's PGliteDialect and pg-boss's `fromPglite` call on an instance. */
export interface PreparingPGlite {
  readonly pglite: PGlite
  readonly closed: boolean
  readonly ready: boolean
  readonly waitReady: Promise<void>
  query: Query
  exec: PGlite['exec']
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  listen: PGlite['listen']
  close(): Promise<void>
}

interface Prepared {
  /** Parameter type OIDs, from the backend's description of the statement. */
  types: number[]
}

export function preparingPGlite(pglite: PGlite): PreparingPGlite {
  const statements = new Map<string, Prepared>()

  /**
   * Runs `text` by name, preparing it first if this instance has not; call with PGlite's query
   * lock held. A statement whose result columns changed since it was prepared (a migration added
   * a column to a `select *`) is dropped and, outside a transaction, prepared again once.
   */
  async function runPrepared<R>(text: string, params: unknown[], options: QueryOptions | undefined, inTransaction: boolean): Promise<Results<R>> {
    const name = statementName(text)
    try {
      return await runNamed<R>(name, text, params, options)
    } catch (error) {
      if (!isStalePlan(error)) throw error
      statements.delete(name)
      await pglite.execProtocolStream(concat([serialize.close({ type: 'S', name }), serialize.sync()]), { syncToFs: false })
      if (inTransaction) throw error
      return runNamed<R>(name, text, params, options)
    }
  }

  async function runNamed<R>(name: string, text: string, params: unknown[], options: QueryOptions | undefined): Promise<Results<R>> {
    let statement = statements.get(name)
    if (!statement) {
      const described = await execute(
        concat([serialize.parse({ name, text, types: options?.paramTypes }), serialize.describe({ type: 'S', name }), serialize.sync()]),
        text,
        params,
        options,
      )
      statement = { types: pgliteParse.parseDescribeStatementResults(described) }
      statements.set(name, statement)
    }
    const types = statement.types
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null
      const serializer = options?.serializers?.[types[index]!] ?? pglite.serializers[types[index]!]
      return serializer ? serializer(value) : String(value)
    })
    const messages = await execute(
      concat([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]),
      text,
      params,
      options,
    )
    return pgliteParse.parseResults(messages, pglite.parsers, options)[0] as Results<R>
  }

  async function execute(message: Uint8Array, text: string, params: unknown[], options: QueryOptions | undefined) {
    try {
      return await pglite.execProtocolStream(message, { syncToFs: false, onNotice: options?.onNotice })
    } catch (error) {
      // As PGlite.query does: the failing statement and its parameters travel with the error.
      Object.assign(error as object, { query: text, params, queryOptions: options })
      throw error
    }
  }

  /** Parameterised texts go by name (while there is room for new ones); the rest PGlite's way. */
  function preparable(text: string, params: unknown[] | undefined, options: QueryOptions | undefined): params is unknown[] {
    if (params === undefined || params.length === 0 || options?.blob !== undefined) return false
    return statements.size < MAX_PREPARED || statements.has(statementName(text))
  }

  const query: Query = async (text, params, options) => {
    if (!preparable(text, params, options)) return pglite.query(text, params, options)
    const result = await pglite._runExclusiveTransaction(() => pglite._runExclusiveQuery(() => runPrepared(text, params, options, false)))
    await pglite.syncToFs()
    return result as never
  }

  return {
    pglite,
    get closed() { return pglite.closed },
    get ready() { return pglite.ready },
    get waitReady() { return pglite.waitReady },
    query,
    exec: (text, options) => pglite.exec(text, options),
    listen: (channel, callback, tx) => pglite.listen(channel, callback, tx),
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          ...tx,
          // PGlite's transaction lock is held for the whole callback: take the query lock only.
          query: (async (text: string, params?: unknown[], options?: QueryOptions) => {
            if (!preparable(text, params, options)) return tx.query(text, params, options)
            if (tx.closed) throw new Error('Transaction is closed')
            return pglite._runExclusiveQuery(() => runPrepared(text, params, options, true))
          }) as Query,
          get closed() { return tx.closed },
        }),
      ),
    close: () => pglite.close(),
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const buffer = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    buffer.set(part, offset)
    offset += part.length
  }
  return buffer
}
