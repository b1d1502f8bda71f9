/**
 * A page of many rows, read the way the database at hand decodes fastest. On embedded PGlite every
 * field of every row crosses from WebAssembly and is decoded by JavaScript one by one: a page of
 * 20 users (24 fields each) spent more time there than in the query, so the page comes back as one
 * `json_agg` text and one `JSON.parse` (the organisation user list: ~620 → ~940 requests/s). On a
 * server node-postgres's row parser is cheaper than the server building the JSON, so rows stay rows.
 *
 * Only for rows whose columns read the same either way: text, booleans, JSON, integers within
 * 2^53, timestamps already text (iso-timestamp.ts); a timestamptz column would come back a Date
 * from one path and a string from the other.
 */
import { PGliteAdapter, sql, type Kysely, type RawBuilder } from 'kysely'

export async function selectManyRows<Row, DB>(db: Kysely<DB>, query: RawBuilder<unknown>): Promise<Row[]> {
  if (!(db.getExecutor().adapter instanceof PGliteAdapter)) return (await sql<Row>`${query}`.execute(db)).rows
  const { rows } = await sql<{ page: string }>`select coalesce(json_agg(page_rows), '[]')::text as page from (${query}) page_rows`.execute(db)
  return JSON.parse(rows[0]!.page) as Row[]
}
