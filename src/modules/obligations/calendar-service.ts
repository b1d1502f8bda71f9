/**
 * The obligations calendar feed for calendar apps, which cannot send a bearer token: a person
 * makes a secret feed address (one per user; making another revokes the previous), and the feed
 * is read with that address alone. The secret is 32 random bytes (base64url), kept only as its
 * SHA-256 digest. Every read re-checks the person as a bearer request would: still active, still
 * holding View on Pelaporan Realisasi in their organisation; a disabled user's feed stops at once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Principal } from '../../plugins/auth.ts'
import { wibDateKey } from '../../calendar/working-days.ts'
import { forbidden, userRights } from '../orgs/authorize.ts'
import { holds } from '../orgs/menu-catalogue.ts'
import { obligationsCalendar } from './calendar-feed.ts'
import { feedObligations, findActiveFeedToken, findFeedTokenByDigest, replaceFeedToken, revokeFeedToken } from './feed-token-repository.ts'
import type { CalendarFeed, CalendarFeedStatus } from './schemas.ts'
import { REPORTS_MENU, requireReportsRight } from './service.ts'

export const FEED_PATH = '/v1/obligations.ics'
/** Submitted obligations stay in the feed while their deadline is less than this old; open ones always. */
const SUBMITTED_HISTORY_DAYS = 365
const DAY_MS = 86_400_000

export interface CalendarDeps {
  db: Kysely<Database>
  /** Business time (the sandbox clock): what due and overdue are measured against. */
  now: () => Date
  publicUrl: string
  reminderDays: number
}

function digestOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function invalidFeedToken(): AppError {
  return new AppError('INVALID_FEED_TOKEN', {
    detail: {
      en: 'This calendar feed address is unknown, revoked, or its owner can no longer sign in. Create a new one (POST /v1/me/calendar-feed) and subscribe again.',
      id: 'Alamat kalender ini tidak dikenal, sudah dicabut, atau pemiliknya tidak lagi dapat masuk. Buat alamat baru (POST /v1/me/calendar-feed) lalu berlangganan lagi.',
    },
  })
}

/** Feed addresses belong to people: a machine client reads GET /v1/obligations instead. */
function requirePerson(principal: Principal): string {
  if (principal.kind !== 'user') {
    throw forbidden(
      'Calendar feed addresses are for people; a machine client reads GET /v1/obligations.',
      'Alamat kalender hanya untuk pengguna; klien mesin membaca GET /v1/obligations.',
    )
  }
  return principal.subject
}

/** A new feed address for the caller, revoking the previous one. The secret is answered this once. */
export async function createCalendarFeed(deps: CalendarDeps, principal: Principal): Promise<CalendarFeed> {
  const userId = requirePerson(principal)
  await requireReportsRight(deps.db, principal, 'view')
  const token = randomBytes(32).toString('base64url')
  const created = await replaceFeedToken(deps.db, userId, digestOf(token), new Date())
  return { url: `${deps.publicUrl}${FEED_PATH}?token=${token}`, createdAt: created.createdAt.toISOString() }
}

/** Whether the caller has a working feed address; never the address. */
export async function calendarFeedStatus(deps: CalendarDeps, principal: Principal): Promise<CalendarFeedStatus> {
  const active = await findActiveFeedToken(deps.db, requirePerson(principal))
  return { active: Boolean(active), createdAt: active?.createdAt.toISOString() ?? null }
}

/** Revokes the caller's feed address (allowed without the menu right: giving up access always is). */
export async function revokeCalendarFeed(deps: CalendarDeps, principal: Principal): Promise<void> {
  const revoked = await revokeFeedToken(deps.db, requirePerson(principal), new Date())
  if (!revoked) {
    throw new AppError('NOT_FOUND', { detail: { en: 'You have no active calendar feed address.', id: 'Anda tidak memiliki alamat kalender yang aktif.' } })
  }
}

/** The organisation of the token's owner, when the token is active and its owner may still read obligations. */
async function feedOwnerOrganisation(db: Kysely<Database>, token: string | undefined): Promise<string> {
  if (!token) throw invalidFeedToken()
  const digest = digestOf(token)
  const found = await findFeedTokenByDigest(db, digest)
  // Found by its unique digest; compared again in constant time so no code path compares secrets with ===.
  if (!found || !timingSafeEqual(Buffer.from(found.tokenSha256, 'hex'), Buffer.from(digest, 'hex')) || found.revokedAt) throw invalidFeedToken()
  const user = found.user
  if (user.status !== 'active' || !user.organisation_id) throw invalidFeedToken()
  // The same rights a bearer request would have now (src/modules/orgs/authorize.ts).
  if (!holds(await userRights(db, user), REPORTS_MENU, 'view')) {
    throw forbidden(
      'The owner of this calendar feed no longer holds the right "view" on the menu Realisation Reports.',
      'Pemilik alamat kalender ini tidak lagi memiliki hak "view" pada menu Pelaporan Realisasi.',
    )
  }
  return user.organisation_id
}

export async function renderCalendarFeed(deps: CalendarDeps, token: string | undefined): Promise<string> {
  const organisationId = await feedOwnerOrganisation(deps.db, token)
  const now = deps.now()
  const since = wibDateKey(new Date(now.getTime() - SUBMITTED_HISTORY_DAYS * DAY_MS))
  const [rows, organisation] = await Promise.all([
    feedObligations(deps.db, organisationId, since),
    deps.db.selectFrom('organisations').select('name').where('id', '=', organisationId).executeTakeFirst(),
  ])
  return obligationsCalendar({ rows, now, reminderDays: deps.reminderDays, publicUrl: deps.publicUrl, organisationName: organisation?.name ?? '' })
}
