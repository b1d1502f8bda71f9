/**
 * The live stream over a real socket: a new notification arrives at once (woken by this instance's
 * fan-out) and one written elsewhere by the poll; Last-Event-ID resumes with what was missed;
 * heartbeats; the rights of the feed; the stream ends on client disconnect and on app close
 * without holding it up.
 */
import t from 'tap'
import { testConfig, setupTestContext, startListeningApp } from '../helpers/app.ts'
import { createActiveUser, createGroup, createOrg, userToken } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'
import { insertPermit } from '../helpers/permits.ts'
import { moveStatus } from '../../src/modules/permits/journey.ts'
import { permitNews } from './helpers.ts'

const context = await setupTestContext(t)
const env = { NOTIFICATIONS_HEARTBEAT_MS: '200', NOTIFICATIONS_STREAM_POLL_MS: '60000', NOTIFICATIONS_FANOUT_INTERVAL_MS: '100' }
const { app, url } = await startListeningApp(t, context, { env })
const minter = tokenMinter(app, testConfig({ PUBLIC_URL: url }))
const db = context.database.handle.db
const orgA = await createOrg(app, '8120000000001')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const group = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Users only', rights: [{ menu: 'USER_MANAGEMENT', actions: ['view'] }] })
const blind = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', group), orgA.orgId)

interface SseEvent {
  id?: string
  event?: string
  data?: string
  comment?: string
  retry?: string
}

/** Reads a stream's events as they come. */
async function connect(base: string, token: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const response = await fetch(`${base}/v1/notifications/stream`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: abort.signal })
  const events: SseEvent[] = []
  let waiters: (() => void)[] = []
  let ended = false
  let buffer = ''
  void (async () => {
    try {
      const decoder = new TextDecoder()
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: SseEvent = {}
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim()
            else {
              const colon = line.indexOf(':')
              const field = line.slice(0, colon) as keyof SseEvent
              event[field] = line.slice(colon + 1).trimStart()
            }
          }
          events.push(event)
        }
        for (const wake of waiters) wake()
        waiters = []
      }
    } catch {
      // aborted
    }
    ended = true
    for (const wake of waiters) wake()
  })()
  async function until(predicate: (events: SseEvent[]) => boolean, ms = 5000): Promise<SseEvent[]> {
    const deadline = Date.now() + ms
    while (!predicate(events)) {
      if (ended) throw new Error(`stream ended; got ${JSON.stringify(events)}`)
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events)}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return events
  }
  return { response, events, until, close: () => abort.abort(), ended: () => ended }
}

const notifications = (events: SseEvent[]) => events.filter((event) => event.event === 'notification').map((event) => JSON.parse(event.data!) as { id: string; type: string; title: string; read: boolean })

t.test('a new notification arrives live, with heartbeats and the retry hint', async (t) => {
  const stream = await connect(url, superA)
  t.equal(stream.response.status, 200)
  t.match(stream.response.headers.get('content-type'), /^text\/event-stream/)
  t.equal(stream.response.headers.get('cache-control'), 'no-cache, no-transform')
  t.equal(stream.response.headers.get('x-accel-buffering'), 'no')
  await stream.until((events) => events.some((event) => event.retry === '5000'))

  // Through the app's own pump: its fan-out wakes the stream (the poll is a minute here).
  const permit = await insertPermit(db, { nib: '8120000000001' })
  const started = Date.now()
  await db.transaction().execute((trx) => moveStatus(trx, permit.id, 'forwarded', { type: 'permit.forwarded', actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' }))
  app.notifications.wake()
  const events = await stream.until((events) => notifications(events).length === 1)
  const notification = await db.selectFrom('notifications').select('id').where('subject_id', '=', permit.id).executeTakeFirstOrThrow()
  const item = notifications(events)[0]!
  t.match(item, { id: String(notification.id), type: 'permit.forwarded', title: `Permohonan ${permit.reference_number} dikirim ke INATRADE`, read: false })
  t.equal(events.find((event) => event.event === 'notification')!.id, String(notification.id), 'the event id is the notification id')
  t.ok(Date.now() - started < 3000, `arrived in ${Date.now() - started} ms`)

  await stream.until((events) => events.filter((event) => event.comment === 'heartbeat').length >= 2)
  t.pass('heartbeats every 200 ms here')
  stream.close()
})

t.test('Last-Event-ID resumes with what was missed, then live; the rights of the feed apply', async (t) => {
  const before = await permitNews(db, '8120000000001', 'under_review')
  const missed1 = await permitNews(db, '8120000000001', 'approved')
  const missed2 = await permitNews(db, '8120000000001', 'rejected')
  const stream = await connect(url, superA, { 'last-event-id': before.notificationId, 'accept-language': 'en' })
  const events = await stream.until((events) => notifications(events).length === 2)
  t.same(notifications(events).map((item) => item.id), [missed1.notificationId, missed2.notificationId], 'oldest first')
  t.equal(notifications(events)[1]!.title, `Application ${missed2.permit.reference_number} rejected`, 'Accept-Language')

  // The same resume for a user without View on SSM Perizinan: nothing (only the retry hint and heartbeats).
  const blindStream = await connect(url, blind, { 'last-event-id': before.notificationId })
  await blindStream.until((events) => events.filter((event) => event.comment === 'heartbeat').length >= 2)
  t.same(notifications(blindStream.events), [], 'a user without View on SSM Perizinan gets none of them')
  stream.close()
  blindStream.close()
})

t.test('a notification another instance wrote arrives by the poll; more missed than the bound is a gap', async (t) => {
  const { app: polling, url: pollingUrl } = await startListeningApp(t, context, { env: { ...env, NOTIFICATIONS_STREAM_POLL_MS: '200', JOB_WORKERS: 'false' } })
  const pollingMinter = tokenMinter(polling, testConfig({ PUBLIC_URL: pollingUrl }))
  const token = userToken(pollingMinter, orgA.superAdmin.userId, orgA.orgId)
  const stream = await connect(pollingUrl, token)
  await stream.until((events) => events.some((event) => event.retry !== undefined))
  // No pump and no hub on this instance: permitNews's fan-out stands for another instance's.
  const elsewhere = await permitNews(db, '8120000000001', 'forwarded')
  await stream.until((events) => notifications(events).some((item) => item.id === elsewhere.notificationId))
  t.pass('found by polling')
  stream.close()

  const oldest = await permitNews(db, '8120000000001', 'forwarded')
  for (let index = 0; index < 101; index += 1) await permitNews(db, '8120000000001', 'received')
  const resumed = await connect(pollingUrl, token, { 'last-event-id': oldest.notificationId })
  const events = await resumed.until((events) => notifications(events).length === 100)
  t.ok(events.some((event) => event.event === 'gap'), 'a gap event tells the client to read the feed')
  t.ok(events.findIndex((event) => event.event === 'gap') < events.findIndex((event) => event.event === 'notification'), 'before the items')
  resumed.close()
})

t.test('a disconnect ends the stream; app close ends open streams at once', async (t) => {
  const { app: closing, url: closingUrl } = await startListeningApp(t, context, { env: { ...env, JOB_WORKERS: 'false' } })
  const closingMinter = tokenMinter(closing, testConfig({ PUBLIC_URL: closingUrl }))
  const token = userToken(closingMinter, orgA.superAdmin.userId, orgA.orgId)
  const gone = await connect(closingUrl, token)
  await gone.until((events) => events.some((event) => event.retry !== undefined))
  gone.close()
  const open = await connect(closingUrl, token)
  await open.until((events) => events.some((event) => event.retry !== undefined))
  const started = Date.now()
  await closing.close()
  t.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`)
  await open.until(() => open.ended(), 2000).catch(() => undefined)
  t.ok(open.ended(), 'the client saw the end')
})
