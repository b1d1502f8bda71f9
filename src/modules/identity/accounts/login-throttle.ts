/**
 * Sign-in lockout that stops the guesser, not the account's owner.
 *
 * Why not lock the account: anyone who knows a username could then keep its owner out by typing
 * wrong passwords on purpose, and a locked account answering differently tells a guesser which
 * usernames exist. Instead, as Auth0's brute-force protection and Azure AD's smart lockout do:
 *
 * - Failures are counted per (username as typed, source). The source is the client's IP address;
 *   an IPv6 address counts by its /64, which one subscriber usually holds whole. Five failures in a
 *   row from one source lock that source out of that username for 5 minutes, then 10, 20… up to a
 *   day; a source and its growing lock are forgotten a day after its last failure or lock. The owner
 *   signing in from anywhere else is not affected.
 * - A distributed attack (a few guesses each from many addresses) is slowed by an account-wide
 *   signal: once failures for a username came from {@link UNDER_ATTACK_SOURCES} or more sources in
 *   the last hour, a single failure locks a source. A clean source (one without failures for that
 *   username, such as the owner at home or at the office) still has its password checked, so a
 *   correct sign-in from a clean source always works, even during an attack.
 * - Counters are kept for unknown usernames as for real ones, and a locked source's password is
 *   still hashed (against a dummy), so neither the answer nor its timing tells whether a username
 *   exists or is locked.
 */
import { isIP } from 'node:net'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../../db/schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Failures in a row from one source that lock it out of a username. */
export const LOCKOUT_THRESHOLD = 5
/** Distinct failing sources within {@link UNDER_ATTACK_WINDOW_MS} that mark a username as under a distributed attack. */
export const UNDER_ATTACK_SOURCES = 10
export const UNDER_ATTACK_WINDOW_MS = 60 * 60 * 1000
/** A source's failures and lockouts are forgotten this long after its last failure or the end of its lock. */
export const FORGET_AFTER_MS = 24 * 60 * 60 * 1000
const BASE_LOCK_MS = 5 * 60 * 1000
const MAX_LOCK_MS = 24 * 60 * 60 * 1000

/** 5 minutes, then 10, 20, 40… up to a day: each lockout lasts twice the previous one. */
export function lockDuration(previousLockouts: number): number {
  return Math.min(BASE_LOCK_MS * 2 ** previousLockouts, MAX_LOCK_MS)
}

export function usernameKey(username: string): string {
  return username.trim().toLowerCase()
}

/** The source a failure is counted against: an IPv4 address, or the /64 of an IPv6 address. */
export function loginSource(ip: string | undefined): string {
  if (!ip) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (isIP(ip) !== 6) return ip
  const [head = '', tail = ''] = ip.toLowerCase().split('::')
  const headGroups = head ? head.split(':') : []
  const tailGroups = ip.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups]
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/** When the source's lock on this username ends, if it is locked now. */
export async function sourceLockedUntil(db: Db, username: string, source: string, now = new Date()): Promise<Date | undefined> {
  const row = await db
    .selectFrom('login_failures')
    .select('locked_until')
    .where('username', '=', username)
    .where('source', '=', source)
    .executeTakeFirst()
  return row?.locked_until && row.locked_until > now ? row.locked_until : undefined
}

/** Counts a failure of the source; locks it when its threshold is reached. Returns the lock's end, if this failure locked it. */
export async function recordLoginFailure(db: Db, username: string, source: string, now = new Date()): Promise<Date | undefined> {
  const stale = new Date(now.getTime() - FORGET_AFTER_MS)
  const row = await db
    .insertInto('login_failures')
    .values({ username, source, failures: 1, lockouts: 0, last_failure_at: now })
    .onConflict((oc) =>
      oc.columns(['username', 'source']).doUpdateSet({
        failures: sql<number>`case when greatest(login_failures.last_failure_at, coalesce(login_failures.locked_until, login_failures.last_failure_at)) < ${stale} then 1 else login_failures.failures + 1 end`,
        lockouts: sql<number>`case when greatest(login_failures.last_failure_at, coalesce(login_failures.locked_until, login_failures.last_failure_at)) < ${stale} then 0 else login_failures.lockouts end`,
        last_failure_at: now,
      }),
    )
    .returning(['failures', 'lockouts'])
    .executeTakeFirstOrThrow()
  const threshold = (await failingSources(db, username, now)) >= UNDER_ATTACK_SOURCES ? 1 : LOCKOUT_THRESHOLD
  if (row.failures < threshold) return undefined
  const lockedUntil = new Date(now.getTime() + lockDuration(row.lockouts))
  await db
    .updateTable('login_failures')
    .set((eb) => ({ failures: 0, lockouts: eb('lockouts', '+', 1), locked_until: lockedUntil }))
    .where('username', '=', username)
    .where('source', '=', source)
    .execute()
  return lockedUntil
}

/** How many sources failed on this username recently: the account-wide signal of a distributed attack. */
async function failingSources(db: Db, username: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('login_failures')
    .select((eb) => eb.fn.countAll<string>().as('sources'))
    .where('username', '=', username)
    .where('last_failure_at', '>', new Date(now.getTime() - UNDER_ATTACK_WINDOW_MS))
    .executeTakeFirstOrThrow()
  return Number(row.sources)
}

/** A success clears the source's record; other sources (a guesser elsewhere) stay counted and locked. */
export async function recordLoginSuccess(db: Db, username: string, source: string): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', username).where('source', '=', source).execute()
}

/** Drops records a day past their last failure and their lock; called periodically. */
export async function forgetOldLoginFailures(db: Db, now = new Date()): Promise<number> {
  const stale = new Date(now.getTime() - FORGET_AFTER_MS)
  const result = await db
    .deleteFrom('login_failures')
    .where('last_failure_at', '<', stale)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', stale)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
