/**
 * Notification writes, reads and read state. A user's read state is a mark (everything up to
 * `read_up_to` is read) plus single reads above it: "read all" is one row, never one per
 * notification, and single reads below the mark are deleted as the mark passes them.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { LocalisedText, NotificationSubject } from '../../db/tables/notifications.ts'
import type { WrittenNotification } from './channels.ts'
import { visibleTo, type NotificationReader } from './reader.ts'

export interface NotificationRow {
  id: number
  organisation_id: string
  type: string
  subject_type: NotificationSubject
  subject_id: string
  title: LocalisedText
  body: LocalisedText
  data: Record<string, unknown>
  occurred_at: Date
  read: boolean
}

type Db = Kysely<Database>

/** A notification to write: what it is about, in both languages, and who reads it. */
export interface NewNotification {
  organisationId: string
  /** Readers need View on it; null: every member of the organisation. */
  menuCode: string | null
  type: string
  subjectType: NotificationSubject
  subjectId: string
  /** What it was made from (`permit_event:<id>`...), unique: a repeat is not written. */
  source: string
  title: LocalisedText
  body: LocalisedText
  data: Record<string, unknown>
  occurredAt: Date
}

/**
 * Writes notifications (in the caller's transaction, with the change they report) and returns
 * those actually written: a repeat (same source) is neither written nor returned, which is what
 * makes the fan-out and every other writer idempotent.
 */
export async function insertNotifications(db: Db, notifications: NewNotification[]): Promise<(WrittenNotification & { id: number })[]> {
  if (notifications.length === 0) return []
  return db
    .insertInto('notifications')
    .values(
      notifications.map((notification) => ({
        organisation_id: notification.organisationId,
        menu_code: notification.menuCode,
        type: notification.type,
        subject_type: notification.subjectType,
        subject_id: notification.subjectId,
        source: notification.source,
        title: JSON.stringify(notification.title),
        body: JSON.stringify(notification.body),
        data: JSON.stringify(notification.data),
        occurred_at: notification.occurredAt,
      })),
    )
    .onConflict((oc) => oc.column('source').doNothing())
    .returning(['id', 'organisation_id', 'menu_code', 'type', 'title', 'body', 'occurred_at'])
    .execute()
}

/** One notification (insertNotifications); undefined when its source was already written. */
export async function insertNotification(db: Db, notification: NewNotification): Promise<(WrittenNotification & { id: number }) | undefined> {
  const [written] = await insertNotifications(db, [notification])
  return written
}

export async function readMark(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom('notification_read_marks').select('read_up_to').where('user_id', '=', userId).executeTakeFirst()
  return row ? Number(row.read_up_to) : 0
}

function notificationColumns(userId: string, mark: number) {
  return [
    'n.id',
    'n.organisation_id',
    'n.type',
    'n.subject_type',
    'n.subject_id',
    'n.title',
    'n.body',
    'n.data',
    'n.occurred_at',
    sql<boolean>`(n.id <= ${mark} or exists (select 1 from notification_reads r where r.user_id = ${userId} and r.notification_id = n.id))`.as('read'),
  ] as const
}

export interface ListFilter {
  /** Ids below this one (the previous page's last). */
  before?: number
  unread?: boolean
  limit: number
}

/** Newest first, `limit + 1` rows (the extra one says whether more exist). */
export function listNotifications(db: Db, reader: NotificationReader, mark: number, filter: ListFilter): Promise<NotificationRow[]> {
  let query = db.selectFrom('notifications as n').select(notificationColumns(reader.userId, mark)).where(visibleTo(reader))
  if (filter.before !== undefined) query = query.where('n.id', '<', filter.before)
  if (filter.unread) query = query.where('n.id', '>', mark).where(notReadSingly(reader.userId))
  return query.orderBy('n.id', 'desc').limit(filter.limit + 1).execute() as Promise<NotificationRow[]>
}

function notReadSingly(userId: string) {
  return sql<boolean>`not exists (select 1 from notification_reads r where r.user_id = ${userId} and r.notification_id = n.id)`
}

export async function unreadCount(db: Db, reader: NotificationReader, mark: number): Promise<number> {
  const row = await db
    .selectFrom('notifications as n')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where(visibleTo(reader))
    .where('n.id', '>', mark)
    .where(notReadSingly(reader.userId))
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

export async function isVisible(db: Db, reader: NotificationReader, id: number): Promise<boolean> {
  const row = await db.selectFrom('notifications as n').select('n.id').where('n.id', '=', id).where(visibleTo(reader)).executeTakeFirst()
  return row !== undefined
}

export async function markRead(db: Db, userId: string, id: number): Promise<void> {
  await db.insertInto('notification_reads').values({ user_id: userId, notification_id: id }).onConflict((oc) => oc.columns(['user_id', 'notification_id']).doNothing()).execute()
}

/** Moves the mark to the newest notification the reader sees (never back), and drops the single reads it now covers. */
export async function markAllRead(db: Db, reader: NotificationReader): Promise<number> {
  const newest = await db.selectFrom('notifications as n').select((eb) => eb.fn.max('n.id').as('max')).where(visibleTo(reader)).executeTakeFirst()
  const upTo = newest?.max == null ? 0 : Number(newest.max)
  return db.transaction().execute(async (trx) => {
    const mark = await trx
      .insertInto('notification_read_marks')
      .values({ user_id: reader.userId, read_up_to: upTo })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ read_up_to: sql`greatest(notification_read_marks.read_up_to, excluded.read_up_to)`, updated_at: new Date() }),
      )
      .returning('read_up_to')
      .executeTakeFirstOrThrow()
    const readUpTo = Number(mark.read_up_to)
    await trx.deleteFrom('notification_reads').where('user_id', '=', reader.userId).where('notification_id', '<=', readUpTo).execute()
    return readUpTo
  })
}

/** For a stream: what arrived after `afterId`, oldest first, at most `limit` (the newest of them when more wait). */
export async function notificationsAfter(db: Db, reader: NotificationReader, mark: number, afterId: number, limit: number): Promise<{ rows: NotificationRow[]; more: boolean }> {
  const rows = (await db
    .selectFrom('notifications as n')
    .select(notificationColumns(reader.userId, mark))
    .where(visibleTo(reader))
    .where('n.id', '>', afterId)
    .orderBy('n.id', 'desc')
    .limit(limit + 1)
    .execute()) as NotificationRow[]
  const more = rows.length > limit
  return { rows: rows.slice(0, limit).reverse(), more }
}

/** Notifications written since `floor` (ids above it), for the stream's look-back; see stream.ts. */
export async function recentNotifications(db: Db, reader: NotificationReader, mark: number, floor: number, limit: number): Promise<NotificationRow[]> {
  return (await db
    .selectFrom('notifications as n')
    .select(notificationColumns(reader.userId, mark))
    .where(visibleTo(reader))
    .where('n.id', '>', floor)
    .orderBy('n.id', 'asc')
    .limit(limit)
    .execute()) as NotificationRow[]
}

/** The newest notification id of the organisation (any menu): where a fresh stream starts. */
export async function newestId(db: Db, organisationId: string): Promise<number> {
  const row = await db.selectFrom('notifications as n').select((eb) => eb.fn.max('n.id').as('max')).where('n.organisation_id', '=', organisationId).executeTakeFirst()
  return row?.max == null ? 0 : Number(row.max)
}
