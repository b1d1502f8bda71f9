/**
 * The feed: list (newest first, keyset paging by id, `unread` filter, the unread count), read one,
 * read all. Every call starts with the reader (reader.ts): a person of an organisation, seeing
 * the notifications of the menus they hold View on. Texts come in one language: the request's
 * `Accept-Language` when it names English or Indonesian, else the user's stored language.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Language } from '../../errors/language.ts'
import { DEFAULT_PAGE_SIZE, nextLink } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { permitUrl } from '../permits/views.ts'
import { notificationReader } from './reader.ts'
import { isVisible, listNotifications, markAllRead, markRead, readMark, unreadCount, type NotificationRow } from './repository.ts'
import type { NotificationListQuery } from './schemas.ts'

export function notificationNotFound(): AppError {
  return new AppError('NOT_FOUND', { detail: { en: 'No notification with this id is visible to you.', id: 'Tidak ada notifikasi dengan id ini yang dapat Anda lihat.' } })
}

function subjectUrl(row: Pick<NotificationRow, 'subject_type' | 'subject_id' | 'organisation_id'>): string | null {
  if (row.subject_type === 'permit') return permitUrl(row.subject_id)
  if (row.subject_type === 'registration') return `/v1/registrations/${row.subject_id}`
  if (row.subject_type === 'compliance') return '/v1/compliance'
  return `/v1/orgs/${row.organisation_id}/webhooks/${row.subject_id}`
}

export function notificationView(row: NotificationRow, language: Language) {
  return {
    id: String(row.id),
    type: row.type,
    title: row.title[language],
    body: row.body[language],
    subject: { type: row.subject_type, id: row.subject_id, url: subjectUrl(row) },
    data: row.data,
    occurredAt: row.occurred_at.toISOString(),
    read: Boolean(row.read),
  }
}

export type NotificationView = ReturnType<typeof notificationView>

export async function listFeed(db: Kysely<Database>, principal: Principal, query: NotificationListQuery, requestUrl: string, requested: Language | undefined) {
  const reader = await notificationReader(db, principal)
  const language = requested ?? reader.language
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const mark = await readMark(db, reader.userId)
  const rows = await listNotifications(db, reader, mark, { before: query.cursor === undefined ? undefined : Number(query.cursor), unread: query.unread, limit })
  const page = rows.slice(0, limit)
  const next = rows.length > limit ? nextLink(requestUrl, String(page.at(-1)!.id)) : null
  return { language, body: { items: page.map((row) => notificationView(row, language)), next, unreadCount: await unreadCount(db, reader, mark) } }
}

export async function readOne(db: Kysely<Database>, principal: Principal, id: number) {
  const reader = await notificationReader(db, principal)
  if (!(await isVisible(db, reader, id))) throw notificationNotFound()
  const mark = await readMark(db, reader.userId)
  // Below the mark it is read already; a single read there would only be deleted by the next read-all.
  if (id > mark) await markRead(db, reader.userId, id)
  return { unreadCount: await unreadCount(db, reader, mark) }
}

export async function readAll(db: Kysely<Database>, principal: Principal) {
  const reader = await notificationReader(db, principal)
  const mark = await markAllRead(db, reader)
  return { unreadCount: await unreadCount(db, reader, mark) }
}
