/**
 * The obligations calendar feed: a person's secret feed address (created, rotated, revoked), the
 * iCalendar it serves (one all-day VEVENT per obligation with a stable UID and an alarm), every
 * read re-checking the owner, the secret kept only as a digest and never written to the log.
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { buildTestApp, captureLogs, setupTestContext } from '../helpers/app.ts'
import { issuePermit } from '../helpers/compliance.ts'
import { api, createActiveUser, createGroup, createOrg } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const logs = captureLogs()
const app = await buildTestApp(t, context, { logs })
await app.ready()
const db = context.database.handle.db
const minter = tokenMinter(app)
const org = await createOrg(app, '8120000000001')
const admin = minter.forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid org:read org:admin reports:read' })
const wib = (local: string) => new Date(`${local}+07:00`)

// A reporter: a non-admin whose group holds View on Pelaporan Realisasi.
const reportersGroup = await createGroup(app, admin, org.orgId, { level: 'non_admin', name: 'Pelapor', rights: [{ menu: 'PELAPORAN_REALISASI', actions: ['view'] }] })
const reporterId = await createActiveUser(app, context, admin, org.orgId, 'non_admin', reportersGroup)
const reporter = minter.forUser(reporterId, { orgId: org.orgId, scope: 'openid reports:read' })

const steel = await issuePermit(app, db, { nib: '8120000000001', permitType: 'PI-BAJA', issuedAt: wib('2026-10-20T10:00:00'), validUntil: wib('2027-01-10T10:00:00') })

t.afterEach(async () => {
  await app.businessClock.setOffset(0)
})

async function createFeed(token: string): Promise<{ url: string; token: string }> {
  const response = await api(app, token, 'POST', '/v1/me/calendar-feed')
  if (response.statusCode !== 201) throw new Error(`feed not created: ${response.statusCode} ${response.body}`)
  const url = new URL(response.json().url as string)
  return { url: `${url.pathname}${url.search}`, token: url.searchParams.get('token')! }
}

const fetchFeed = (url: string) => app.inject({ method: 'GET', url })

interface ParsedEvent {
  [property: string]: string | ParsedEvent[] | undefined
  alarms?: ParsedEvent[]
}

/** TEXT values' escapes (RFC 5545 section 3.3.11). */
const unescapeText = (value: string) => value.replace(/\\([\\;,nN])/g, (_, char: string) => (char === 'n' || char === 'N' ? '\n' : char))

/** Enough of RFC 5545 for the assertions: unfolded lines, VEVENTs and their VALARMs, `NAME;PARAMS` as keys. */
function parseEvents(ics: string): ParsedEvent[] {
  const lines = ics.replace(/\r\n[ \t]/g, '').split('\r\n')
  const events: ParsedEvent[] = []
  let event: ParsedEvent | undefined
  let alarm: ParsedEvent | undefined
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') event = { alarms: [] }
    else if (line === 'END:VEVENT') {
      events.push(event!)
      event = undefined
    } else if (line === 'BEGIN:VALARM') alarm = {}
    else if (line === 'END:VALARM') {
      event!.alarms!.push(alarm!)
      alarm = undefined
    } else if (event) {
      const colon = line.indexOf(':')
      ;(alarm ?? event)[line.slice(0, colon)] = unescapeText(line.slice(colon + 1))
    }
  }
  return events
}

t.test('a person creates a feed address; the feed has one all-day event per obligation with an alarm', async (t) => {
  await app.businessClock.setOffset(wib('2026-11-01T12:00:00').getTime() - Date.now())
  const created = await api(app, reporter, 'POST', '/v1/me/calendar-feed')
  t.equal(created.statusCode, 201)
  const body = created.json()
  t.match(body.url, /^http:\/\/gateway\.test\/v1\/obligations\.ics\?token=[A-Za-z0-9_-]{43}$/)
  t.ok(Date.parse(body.createdAt))
  const status = await api(app, reporter, 'GET', '/v1/me/calendar-feed')
  t.same(status.json(), { active: true, createdAt: body.createdAt })
  t.notMatch(status.body, /token/)

  const url = new URL(body.url as string)
  const feed = await fetchFeed(`${url.pathname}${url.search}`)
  t.equal(feed.statusCode, 200)
  t.equal(feed.headers['content-type'], 'text/calendar; charset=utf-8')
  t.equal(feed.headers['cache-control'], 'private, max-age=300')
  t.match(feed.body, /^BEGIN:VCALENDAR\r\n/)
  t.match(feed.body, /\r\nX-WR-CALNAME:Realisation reports · /)
  t.match(feed.body, /\r\nX-WR-TIMEZONE:Asia\/Jakarta\r\n/)
  t.match(feed.body, /\r\nBEGIN:VTIMEZONE\r\nTZID:Asia\/Jakarta\r\n/)

  const obligations = (await api(app, reporter, 'GET', '/v1/obligations?limit=100')).json().items as { id: string; dueDate: string; period: string }[]
  const events = parseEvents(feed.body)
  t.equal(events.length, obligations.length)
  t.equal(events.length, 4)
  for (const [index, obligation] of obligations.entries()) {
    const event = events[index]!
    t.equal(event.UID, `${obligation.id}@insw-gateway`)
    t.equal(event['DTSTART;VALUE=DATE'], obligation.dueDate.replaceAll('-', ''))
    t.equal(event.SUMMARY, `Realisation report due: ${steel.reference_number} ${obligation.period}`)
    t.equal(event.alarms!.length, 1)
    t.match(event.alarms![0], { ACTION: 'DISPLAY', TRIGGER: '-P2DT15H' }, '3 days before the due date, at 09:00')
  }
  // The first deadline moved off a Sunday: the description says so.
  t.equal(events[0]!['DTSTART;VALUE=DATE'], '20261116')
  t.match(events[0]!.DESCRIPTION, /The rule gives 2026-11-15; moved to the next working day because it falls on a weekend/)
  t.match(events[0]!.DESCRIPTION, new RegExp(`/v1/permits/${steel.id}/realisation-reports`))
})

t.test('submitted obligations are marked and lose their alarm; waived ones are left out; overdue ones say so', async (t) => {
  const { url } = await createFeed(reporter)
  const [first, second, third] = await db.selectFrom('obligations').select(['id', 'period']).where('permit_id', '=', steel.id).orderBy('due_at').execute()
  await db.updateTable('obligations').set({ status: 'submitted', submitted_at: wib('2026-11-10T10:00:00') }).where('id', '=', first!.id).execute()
  await db.updateTable('obligations').set({ status: 'waived', waived_reason: 'test', waived_by: 'operator', waived_at: new Date() }).where('id', '=', second!.id).execute()
  t.teardown(() => db.updateTable('obligations').set({ status: 'due', submitted_at: null, waived_reason: null, waived_by: null, waived_at: null }).where('permit_id', '=', steel.id).execute())
  await app.businessClock.setOffset(wib('2027-01-20T09:00:00').getTime() - Date.now())
  const events = parseEvents((await fetchFeed(url)).body)
  t.same(events.slice(0, 2).map((event) => event.UID), [`${first!.id}@insw-gateway`, `${third!.id}@insw-gateway`])
  t.equal(events.length, 3)
  t.notOk(events.some((event) => event.UID === `${second!.id}@insw-gateway`), 'the waived one is not in the feed')
  t.equal(events[0]!.SUMMARY, `Realisation report submitted: ${steel.reference_number} ${first!.period}`)
  t.same(events[0]!.alarms, [])
  t.equal(events[1]!.SUMMARY, `Realisation report overdue: ${steel.reference_number} ${third!.period}`)
})

t.test('creating another address revokes the previous one; a revoked or unknown address is a 401 problem', async (t) => {
  const old = await createFeed(reporter)
  const current = await createFeed(reporter)
  t.not(old.token, current.token)
  const refused = await fetchFeed(old.url)
  t.equal(refused.statusCode, 401)
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(refused.json(), { code: 'INVALID_FEED_TOKEN', instance: '/v1/obligations.ics' })
  t.notMatch(refused.body, old.token, 'the problem does not echo the secret')
  t.equal((await fetchFeed(current.url)).statusCode, 200)

  t.equal((await api(app, reporter, 'DELETE', '/v1/me/calendar-feed')).statusCode, 204)
  t.equal((await fetchFeed(current.url)).json().code, 'INVALID_FEED_TOKEN')
  t.same((await api(app, reporter, 'GET', '/v1/me/calendar-feed')).json(), { active: false, createdAt: null })
  const again = await api(app, reporter, 'DELETE', '/v1/me/calendar-feed')
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'NOT_FOUND')

  t.equal((await fetchFeed(`/v1/obligations.ics?token=${'A'.repeat(43)}`)).json().code, 'INVALID_FEED_TOKEN')
  t.equal((await fetchFeed('/v1/obligations.ics')).json().code, 'INVALID_FEED_TOKEN')
})

t.test('the secret is stored only as its SHA-256 digest, one active per user', async (t) => {
  const { token } = await createFeed(reporter)
  const rows = await db.selectFrom('calendar_feed_tokens').selectAll().where('user_id', '=', reporterId).execute()
  const active = rows.filter((row) => row.revoked_at === null)
  t.equal(active.length, 1)
  t.equal(active[0]!.token_sha256, createHash('sha256').update(token).digest('hex'))
  t.notOk(JSON.stringify(rows).includes(token), 'no column holds the secret itself')
})

t.test('a user who loses the right gets 403; a disabled user\'s feed stops (401)', async (t) => {
  const groupId = await createGroup(app, admin, org.orgId, { level: 'non_admin', name: 'Pelapor sementara', rights: [{ menu: 'PELAPORAN_REALISASI', actions: ['view'] }] })
  const userId = await createActiveUser(app, context, admin, org.orgId, 'non_admin', groupId)
  const { url } = await createFeed(minter.forUser(userId, { orgId: org.orgId, scope: 'openid reports:read' }))
  t.equal((await fetchFeed(url)).statusCode, 200)

  const revoke = await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/groups/${groupId}`, { rights: [{ menu: 'PELAPORAN_REALISASI', enabled: false, actions: ['view'] }] })
  t.equal(revoke.statusCode, 200, revoke.body)
  const forbidden = await fetchFeed(url)
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().code, 'FORBIDDEN')
  await api(app, admin, 'PATCH', `/v1/orgs/${org.orgId}/groups/${groupId}`, { rights: [{ menu: 'PELAPORAN_REALISASI', actions: ['view'] }] })
  t.equal((await fetchFeed(url)).statusCode, 200)

  const disabled = await api(app, admin, 'POST', `/v1/orgs/${org.orgId}/users/${userId}/disable`)
  t.equal(disabled.statusCode, 200, disabled.body)
  const refused = await fetchFeed(url)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'INVALID_FEED_TOKEN')
})

t.test('a machine client cannot have a feed address; a person needs reports:read and the View right', async (t) => {
  const inhouse = org.clients.find((client) => client.kind === 'inhouse')!
  const client = minter.forClient(inhouse.clientId, { orgId: org.orgId, scope: 'reports:read' })
  const refused = await api(app, client, 'POST', '/v1/me/calendar-feed')
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'FORBIDDEN')
  t.equal((await api(app, client, 'GET', '/v1/me/calendar-feed')).statusCode, 403)
  const noScope = await api(app, minter.forUser(reporterId, { orgId: org.orgId, scope: 'openid permits:read' }), 'POST', '/v1/me/calendar-feed')
  t.equal(noScope.statusCode, 403)
  t.equal(noScope.json().code, 'INSUFFICIENT_SCOPE')
  const noRightGroup = await createGroup(app, admin, org.orgId, { level: 'non_admin', name: 'Tanpa pelaporan', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
  const noRightUser = await createActiveUser(app, context, admin, org.orgId, 'non_admin', noRightGroup)
  const noRight = await api(app, minter.forUser(noRightUser, { orgId: org.orgId, scope: 'openid reports:read' }), 'POST', '/v1/me/calendar-feed')
  t.equal(noRight.statusCode, 403)
  t.equal(noRight.json().code, 'FORBIDDEN')
})

t.test('the secret never reaches the log: the access line masks token=', async (t) => {
  const { url, token } = await createFeed(reporter)
  await fetchFeed(url)
  await fetchFeed(`${url}x`) // refused: the error path logs too
  t.notOk(logs.text().includes(token), 'no log line holds the secret')
  const lines = logs.lines().filter((line) => typeof line.url === 'string' && (line.url as string).startsWith('/v1/obligations.ics?'))
  t.ok(lines.length >= 2)
  for (const line of lines) t.match(line.url, /^\/v1\/obligations\.ics\?token=%5BRedacted%5D/)
})
