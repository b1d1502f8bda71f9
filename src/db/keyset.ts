/**
 * SQL side of the API's list convention (src/http/pagination.ts): newest first, ties broken by
 * id, pages continued from a keyset cursor. One definition, so every list pages the same way.
 */
import { sql, type RawBuilder } from 'kysely'
import { invalidCursor, UUID, type Cursor } from '../http/pagination.ts'

/** The sort timestamp as text, at full microsecond precision (a JS Date would round it to milliseconds). */
export function keysetPosition(timeColumn: string): RawBuilder<string> {
  return sql<string>`${sql.ref(timeColumn)}::text`
}

/** Rows strictly after the cursor in newest-first order. */
export function afterCursor(timeColumn: string, idColumn: string, cursor: Cursor, idType: 'uuid' | 'text' = 'uuid'): RawBuilder<boolean> {
  // A text id in a list of UUIDs would fail the cast in PostgreSQL (a 500): it is a forged cursor.
  if (idType === 'uuid' && !UUID.test(cursor.id)) throw invalidCursor()
  const id = idType === 'uuid' ? sql`${cursor.id}::uuid` : sql`${cursor.id}`
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${cursor.at}::timestamptz, ${id})`
}
