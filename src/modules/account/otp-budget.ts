/**
 * Limits on sending one-time codes by SMS. Each code costs money and lands on someone's phone, so
 * one user may not ask for codes faster than every `resendIntervalSeconds` nor more than
 * `perUserPerHour` an hour, and one number receives at most `perNumberPerDay` a day whoever asks
 * (many accounts cannot flood one phone). Counted from `mobile_verifications`, one row per code sent.
 * Over a limit: `429 RATE_LIMITED` with `Retry-After`, and nothing is sent or changed.
 */
import { sql, type Transaction } from 'kysely'
import type { OneTimeCodeLimits } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

function tooMany(retryAfterMs: number, detail: { en: string; id: string }): AppError {
  return new AppError('RATE_LIMITED', { retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)), detail })
}

/** Codes sent since `since` to one user or one number, newest first; no more than `limit` are needed to judge a budget. */
function recentSends(trx: Transaction<Database>, column: 'user_id' | 'mobile', value: string, since: Date, limit: number) {
  return trx
    .selectFrom('mobile_verifications')
    .select('created_at')
    .where(column, '=', value)
    .where('created_at', '>', since)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute()
}

/** Throws 429 when another code for this user and number would exceed a limit. Call inside the transaction that sends it. */
export async function assertOneTimeCodeBudget(trx: Transaction<Database>, userId: string, mobile: string, limits: OneTimeCodeLimits, now = new Date()) {
  // Serialise concurrent requests of one user and for one number, so two cannot both pass.
  await sql`select pg_advisory_xact_lock(hashtext(${`otp-user:${userId}`}))`.execute(trx)
  await sql`select pg_advisory_xact_lock(hashtext(${`otp-number:${mobile}`}))`.execute(trx)

  const byUser = await recentSends(trx, 'user_id', userId, new Date(now.getTime() - HOUR_MS), limits.perUserPerHour)
  const latest = byUser[0]?.created_at
  const interval = limits.resendIntervalSeconds * 1000
  if (latest && now.getTime() - latest.getTime() < interval) {
    const wait = latest.getTime() + interval - now.getTime()
    throw tooMany(wait, {
      en: `A code was sent just now: ask for a new one in ${Math.ceil(wait / 1000)} s.`,
      id: `Kode baru saja dikirim: minta kode baru dalam ${Math.ceil(wait / 1000)} detik.`,
    })
  }
  if (byUser.length >= limits.perUserPerHour) {
    const oldestCounted = byUser[limits.perUserPerHour - 1]!.created_at
    throw tooMany(oldestCounted.getTime() + HOUR_MS - now.getTime(), {
      en: `At most ${limits.perUserPerHour} codes an hour: try again later.`,
      id: `Maksimal ${limits.perUserPerHour} kode per jam: coba lagi nanti.`,
    })
  }

  const toNumber = await recentSends(trx, 'mobile', mobile, new Date(now.getTime() - DAY_MS), limits.perNumberPerDay)
  if (toNumber.length >= limits.perNumberPerDay) {
    const oldestCounted = toNumber[limits.perNumberPerDay - 1]!.created_at
    throw tooMany(oldestCounted.getTime() + DAY_MS - now.getTime(), {
      en: `This number has received the most codes allowed for a day (${limits.perNumberPerDay}): try again later.`,
      id: `Nomor ini sudah menerima jumlah kode maksimal per hari (${limits.perNumberPerDay}): coba lagi nanti.`,
    })
  }
}
