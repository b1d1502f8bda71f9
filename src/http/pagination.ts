/**
 * The one list convention of the API (documented once in the contract):
 * - `?limit=` (1–100, default 20) and an opaque `?cursor=` taken from the previous page's `next`;
 * - lists are ordered newest first unless an operation says otherwise (`sort=created_at` or
 *   `sort=-created_at` where sorting is offered); ties broken by id, so pages never overlap or skip;
 * - the body is `{ items: [...], next: "<url of the next page>" | null }`; the same filters carry over.
 * Cursors are keyset positions (last sort value + id), not offsets, so inserts don't shift pages.
 */
import { Type, type TSchema } from 'typebox'
import { AppError } from '../errors/app-error.ts'
import { isTimestamp } from './timestamp.ts'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

export const PageQuerySchema = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page (1–100).' })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque position from the previous page\'s `next` link.' })),
}

/** `{ items, next }` around a named item schema. */
export function PageSchema(itemRef: string, options: { $id: string; description?: string }) {
  return Type.Object(
    {
      items: Type.Array(Type.Ref(itemRef)),
      next: Type.Union([Type.String({ description: 'URL of the next page (path and query).' }), Type.Null()], {
        description: 'Null on the last page.',
      }),
    },
    { $id: options.$id, additionalProperties: false, description: options.description ?? `A page of ${itemRef} items, newest first.` },
  ) satisfies TSchema
}

/** Keyset position: the sort value and id of the last item on a page. */
export interface Cursor {
  at: string
  id: string
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url')
}

/** A position as PostgreSQL prints a timestamptz (`2026-11-22 08:00:00.123456+00`), as keysetPosition() makes it. */
const POSTGRES_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2})(:\d{2})?$/
/** Ids the lists page by: UUIDs, or text ids such as client ids (letters, digits, `.`, `_`, `-`). */
const CURSOR_ID = /^[A-Za-z0-9._-]{1,128}$/
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The answer to a cursor this API did not issue (forged, tampered, truncated): a 422, never a 500. */
export function invalidCursor(): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: { en: 'The cursor is not one this API issued.', id: 'Kursor bukan berasal dari API ini.' },
    errors: [{ pointer: '/cursor', in: 'query', detail: 'not a cursor from a previous page', reason: 'cursor' }],
  })
}

function isCursorTimestamp(at: string): boolean {
  const match = POSTGRES_TIMESTAMP.exec(at)
  return match !== null && isTimestamp(`${match[1]}T${match[2]}${match[3]}${match[4] ?? ':00'}`)
}

/** Decodes `?cursor=`; anything but a position this API could have issued is a client error. */
export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
  } catch {
    throw invalidCursor()
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalidCursor()
  const [at, id] = decoded as unknown[]
  if (typeof at !== 'string' || typeof id !== 'string' || !isCursorTimestamp(at) || !CURSOR_ID.test(id)) throw invalidCursor()
  return { at, id }
}

/**
 * Builds a page from rows fetched with `limit + 1` (the extra row only says whether more exist).
 * `nextUrl` receives the cursor and returns the URL of the next page with the same filters.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  position: (row: Row) => Cursor,
  toItem: (row: Row) => Item,
  nextUrl: (cursor: string) => string,
): { items: Item[]; next: string | null } {
  const hasMore = rows.length > limit
  const pageRows = hasMore ? rows.slice(0, limit) : rows
  const last = pageRows.at(-1)
  return { items: pageRows.map(toItem), next: hasMore && last ? nextUrl(encodeCursor(position(last))) : null }
}

/** The request's own path and query with `cursor` replaced: the `next` link keeps every filter. */
export function nextLink(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl, 'http://gateway.invalid')
  url.searchParams.set('cursor', cursor)
  return `${url.pathname}?${url.searchParams.toString()}`
}
