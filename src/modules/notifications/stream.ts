/**
 * One live notification stream (Server-Sent Events): the same items as the feed, as they arrive.
 *
 * - Starts with a `retry:` hint, then, when the client sent `Last-Event-ID`, what it missed since
 *   (at most `backlog`; when more are missing, a `gap` event says so and the newest follow: the
 *   feed has the rest), then live items. Each item's `id:` is the notification id.
 * - Woken at once by this instance's fan-out (the hub of plugin.ts), and polls every `pollMs` for
 *   notifications another instance wrote.
 * - Ids are allocated when a row is inserted, not when it commits: two fan-out passes running at
 *   once (two instances) may commit id 11 before id 10. Each poll therefore looks back a little
 *   (ids above the position of `LOOKBACK_MS` ago) and sends what it has not sent yet, so a
 *   straggler of a short transaction is not skipped.
 * - A comment line every `heartbeatMs` keeps proxies and the server's idle-socket timeout from
 *   closing a quiet stream.
 * - Rights are read again every `recheckMs` (a user losing View stops getting those items; a
 *   disabled user's stream ends), and the stream ends when the access token expires: the client
 *   reconnects with a fresh token and `Last-Event-ID`, losing nothing.
 * - A client that does not read is not buffered for without bound: past `MAX_BUFFERED_BYTES` the
 *   stream ends (it resumes from its last id).
 */
import { PassThrough } from 'node:stream'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Language } from '../../errors/language.ts'
import type { NotificationHub } from './plugin.ts'
import { notificationReader, type NotificationReader } from './reader.ts'
import { newestId, notificationsAfter, readMark, recentNotifications, type NotificationRow } from './repository.ts'
import { notificationView } from './service.ts'
import type { Principal } from '../../plugins/auth.ts'

export interface StreamSettings {
  heartbeatMs: number
  pollMs: number
  /** The reconnection delay suggested to clients (`retry:`). */
  retryMs: number
  /** At most this many missed items are sent on resume, and per poll. */
  backlog: number
  recheckMs: number
}

export const LOOKBACK_MS = 10_000
const MAX_BUFFERED_BYTES = 1024 * 1024

export interface StreamDeps {
  db: Kysely<Database>
  hub: Pick<NotificationHub, 'subscribe'>
  log: { warn(obj: Record<string, unknown>, msg: string): void }
}

export interface StreamStart {
  principal: Principal
  reader: NotificationReader
  /** Accept-Language's choice; else the reader's stored language, read again with the rights. */
  requested: Language | undefined
  lastEventId?: number
  /** When the access token expires (ms since the epoch). */
  expiresAt?: number
}

export interface NotificationStream {
  body: PassThrough
  /** Ends the stream (app closing). */
  end(): void
}

function frame(row: NotificationRow, language: Language): string {
  return `id: ${row.id}\nevent: notification\ndata: ${JSON.stringify(notificationView(row, language))}\n\n`
}

export async function openNotificationStream(deps: StreamDeps, start: StreamStart, settings: StreamSettings): Promise<NotificationStream> {
  const body = new PassThrough()
  let reader = start.reader
  let mark = await readMark(deps.db, reader.userId)
  let closed = false
  let running = false
  let again = false
  let checkedAt = Date.now()
  /** The highest id sent; what the client would resume from. */
  let cursor: number
  /** Where the cursor stood over the last LOOKBACK_MS, oldest first. */
  const history: { at: number; cursor: number }[] = []
  /** Ids sent above the look-back floor. */
  const sent = new Set<number>()
  const language = () => start.requested ?? reader.language

  const write = (text: string) => {
    if (closed) return
    body.write(text)
    if (body.writableLength > MAX_BUFFERED_BYTES) end()
  }
  const send = (row: NotificationRow) => {
    write(frame(row, language()))
    sent.add(row.id)
    if (row.id > cursor) cursor = row.id
  }

  write(`retry: ${settings.retryMs}\n: notifications of ${reader.organisationId}\n\n`)
  const newest = await newestId(deps.db, reader.organisationId)
  if (start.lastEventId === undefined) {
    cursor = newest
  } else {
    cursor = Math.min(start.lastEventId, newest)
    const missed = await notificationsAfter(deps.db, reader, mark, cursor, settings.backlog)
    if (missed.more) write(`event: gap\ndata: ${JSON.stringify({ feed: '/v1/notifications', detail: `more than ${settings.backlog} notifications were missed; read the feed for the older ones` })}\n\n`)
    for (const row of missed.rows) send(row)
  }

  async function poll(): Promise<void> {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        if (closed) return
        if (Date.now() - checkedAt >= settings.recheckMs) {
          checkedAt = Date.now()
          reader = await notificationReader(deps.db, start.principal)
          mark = await readMark(deps.db, reader.userId)
        }
        const now = Date.now()
        history.push({ at: now, cursor })
        while (history.length > 1 && history[1]!.at <= now - LOOKBACK_MS) history.shift()
        const floor = history[0]!.cursor
        for (const id of sent) if (id <= floor) sent.delete(id)
        const rows = await recentNotifications(deps.db, reader, mark, floor, sent.size + settings.backlog)
        if (closed) return
        const fresh = rows.filter((row) => !sent.has(row.id))
        for (const row of fresh) send(row)
        if (fresh.length >= settings.backlog) again = true
      } while (again && !closed)
    } catch (error) {
      // A refused reader (disabled, left the organisation) ends the stream; so does a database fault (the client resumes).
      if (!closed) deps.log.warn({ err: error }, 'notification stream ended after a failed poll')
      end()
    } finally {
      running = false
    }
  }
  const wake = () => void poll()

  const unsubscribe = deps.hub.subscribe(reader.organisationId, wake)
  const poller = setInterval(wake, settings.pollMs)
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), settings.heartbeatMs)
  const expiry = start.expiresAt === undefined ? undefined : setTimeout(() => end(), Math.max(0, start.expiresAt - Date.now()))
  poller.unref()
  heartbeat.unref()
  expiry?.unref()

  function end(): void {
    if (closed) return
    closed = true
    cleanup()
    body.end()
  }
  function cleanup(): void {
    unsubscribe()
    clearInterval(poller)
    clearInterval(heartbeat)
    if (expiry) clearTimeout(expiry)
  }
  // The client went away: Fastify destroys the body (reply.js sendStream).
  body.once('close', () => {
    closed = true
    cleanup()
  })
  return { body, end }
}
