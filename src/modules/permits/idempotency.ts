/**
 * `Idempotency-Key` with Stripe's semantics, per organisation and operation:
 * - an accepted request stores its answer in the same transaction as the permit and its job: either
 *   all three commit or none does. When every look-up of the pipeline is cached (the steady state)
 *   the key is written only then, already `completed`, in the statement that inserts the permit
 *   (`completedKeyInsert`: on a conflict nothing of the permit is inserted, and the request reads
 *   the key as below). Before a slow upstream call the request first claims the key (a row
 *   `in_flight`, committed at once so a concurrent retry sees it: `claimIdempotencyKey`) and
 *   completes it with the permit (`claimedKeyCompletion`);
 * - the same key and the same body (compared by the SHA-256 of its RFC 8785 canonical JSON) then
 *   answers the stored answer byte for byte, with `Idempotent-Replayed: true`;
 * - the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`;
 * - while the first is in flight, a retry is `409 IDEMPOTENCY_KEY_IN_FLIGHT` with `Retry-After`; a
 *   holder that crashed loses the key when its lock (`locked_until`) passes;
 * - a request that fails (a refused check, an upstream outage, a duplicate clientReference) stores
 *   nothing and frees the key: only an accepted submission is worth replaying, and the client may
 *   retry a failure with the same key once it fixed the cause. A failure first reads the key
 *   (`answerOfKey`): the retry of an accepted request replays its answer, never a new verdict;
 * - keys are kept 24 hours, then swept (`sweepIdempotencyKeys`, scheduled by the job engine).
 */
import type { FastifyReply } from 'fastify'
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { IdempotencyKeysTable } from '../../db/tables/permits.ts'
import { AppError } from '../../errors/app-error.ts'

type Db = Kysely<Database> | Transaction<Database>

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000
/** Longer than any submission takes (upstream look-ups retry for at most ~10 s). */
export const IN_FLIGHT_LOCK_MS = 60_000
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1

export interface IdempotencyScope {
  organisationId: string
  operation: string
  key: string
  /** SHA-256 (hex) of the canonical request body. */
  requestSha256: string
}

export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

export type IdempotencyClaim = { kind: 'proceed' } | { kind: 'replay'; answer: StoredAnswer }

function keyReused(): AppError {
  return new AppError('IDEMPOTENCY_KEY_REUSED', {
    detail: {
      en: 'This Idempotency-Key was used with a different request body; use a new key for a new request.',
      id: 'Idempotency-Key ini telah dipakai dengan badan permintaan yang berbeda; gunakan kunci baru untuk permintaan baru.',
    },
    errors: [{ pointer: '/idempotency-key', in: 'header', detail: 'already used with another body', reason: 'idempotency_key_reused' }],
  })
}

export function idempotencyKeyInFlight(): AppError {
  return new AppError('IDEMPOTENCY_KEY_IN_FLIGHT', {
    detail: {
      en: 'The first request with this Idempotency-Key is still being processed; retry after the time in Retry-After.',
      id: 'Permintaan pertama dengan Idempotency-Key ini masih diproses; ulangi setelah waktu pada Retry-After.',
    },
    retryAfter: IN_FLIGHT_RETRY_AFTER_SECONDS,
  })
}

const where = (scope: IdempotencyScope) => ({ organisation_id: scope.organisationId, operation: scope.operation, key: scope.key })

type KeyRow = Selectable<IdempotencyKeysTable>

function findKey(db: Db, scope: IdempotencyScope): Promise<KeyRow | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('organisation_id', '=', scope.organisationId).where('operation', '=', scope.operation).where('key', '=', scope.key).executeTakeFirst()
}

/**
 * What an existing, unexpired key row means for this request: a replay of its answer, 422 (another
 * body), 409 (its holder is still at work), or `free` (in flight, but its holder's lock passed).
 */
function judge(row: KeyRow, scope: IdempotencyScope, now: Date): { kind: 'replay'; answer: StoredAnswer } | { kind: 'free' } {
  if (row.request_sha256 !== scope.requestSha256) throw keyReused()
  if (row.state === 'completed' && row.response_status !== null && row.response_body !== null) {
    return { kind: 'replay', answer: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body } }
  }
  if (row.locked_until.getTime() > now.getTime()) throw idempotencyKeyInFlight()
  return { kind: 'free' }
}

/**
 * For a request that failed without holding the key: the stored answer when the key already
 * answered this body (the retry of an accepted request replays it); throws 422 for another body,
 * 409 while another request holds it; undefined when the key is free, so the failure stands.
 */
export async function answerOfKey(db: Db, scope: IdempotencyScope, now: Date = new Date()): Promise<StoredAnswer | undefined> {
  const row = await findKey(db, scope)
  if (!row || row.expires_at.getTime() <= now.getTime()) return undefined
  const verdict = judge(row, scope, now)
  return verdict.kind === 'replay' ? verdict.answer : undefined
}

/** Claims the key for this request, or says what to answer instead (a replay), or throws 422/409. */
export async function claimIdempotencyKey(db: Kysely<Database>, scope: IdempotencyScope, now: Date = new Date()): Promise<IdempotencyClaim> {
  const id = where(scope)
  // Three rounds at most: a row may vanish (released, swept) or be taken over between two statements.
  for (let round = 0; round < 3; round++) {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        ...id,
        request_sha256: scope.requestSha256,
        state: 'in_flight',
        locked_until: new Date(now.getTime() + IN_FLIGHT_LOCK_MS),
        created_at: now,
        expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      })
      .onConflict((oc) => oc.columns(['organisation_id', 'operation', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted) return { kind: 'proceed' }

    const row = await findKey(db, scope)
    if (!row) continue
    if (row.expires_at.getTime() <= now.getTime()) {
      // Expired but not swept yet: as good as absent.
      await db.deleteFrom('idempotency_keys').where('organisation_id', '=', id.organisation_id).where('operation', '=', id.operation).where('key', '=', id.key).where('expires_at', '<=', now).execute()
      continue
    }
    const verdict = judge(row, scope, now)
    if (verdict.kind === 'replay') return verdict
    // The holder crashed (or gave up without releasing): take the key over, if nobody else just did.
    const taken = await db
      .updateTable('idempotency_keys')
      .set({ locked_until: new Date(now.getTime() + IN_FLIGHT_LOCK_MS) })
      .where('organisation_id', '=', id.organisation_id)
      .where('operation', '=', id.operation)
      .where('key', '=', id.key)
      .where('state', '=', 'in_flight')
      .where('locked_until', '=', row.locked_until)
      .returning('key')
      .executeTakeFirst()
    if (taken) return { kind: 'proceed' }
  }
  throw idempotencyKeyInFlight()
}

/**
 * The key written with its answer by the statement that stores the work (no claim before): one
 * row when the key was free, none when it exists (then nothing else is stored, and the caller
 * reads the key with `claimIdempotencyKey`). A key expired but not yet swept also conflicts: it
 * is dealt with there.
 */
export function completedKeyInsert(trx: Db, scope: IdempotencyScope, answer: StoredAnswer, now: Date = new Date()) {
  return trx
    .insertInto('idempotency_keys')
    .values({
      ...where(scope),
      request_sha256: scope.requestSha256,
      state: 'completed',
      response_status: answer.status,
      response_headers: JSON.stringify(answer.headers),
      response_body: answer.body,
      // Not in flight: the lock means nothing for a completed key, the column wants a time.
      locked_until: now,
      created_at: now,
      expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    })
    .onConflict((oc) => oc.columns(['organisation_id', 'operation', 'key']).doNothing())
    .returning(sql<number>`1`.as('stored'))
}

/**
 * Completes the key this request claimed, in the statement that stores the work: one row while
 * it is still in flight, none when it is gone or completed meanwhile (a holder whose lock passed
 * lost it to a retry that finished first), and then nothing else is stored.
 */
export function claimedKeyCompletion(trx: Db, scope: IdempotencyScope, answer: StoredAnswer) {
  const id = where(scope)
  return trx
    .updateTable('idempotency_keys')
    .set({ state: 'completed', response_status: answer.status, response_headers: JSON.stringify(answer.headers), response_body: answer.body })
    .where('organisation_id', '=', id.organisation_id)
    .where('operation', '=', id.operation)
    .where('key', '=', id.key)
    .where('state', '=', 'in_flight')
    .where('request_sha256', '=', scope.requestSha256)
    .returning(sql<number>`1`.as('stored'))
}

/** Thrown by a key claim inside the pipeline when the key already answered this body: the request replays it. */
export class KeyAnswered extends Error {
  readonly answer: StoredAnswer
  constructor(answer: StoredAnswer) {
    super('the Idempotency-Key already answered this request')
    this.answer = answer
  }
}

export const KEY_ERRORS = new Set(['IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED'])

/**
 * How a request holds its Idempotency-Key. In the steady state (every look-up
 * cached) it never claims it: the statement that stores the permit writes the key `completed`, so
 * an accepted submission is one transaction. It claims the key (`in_flight`, committed at once)
 * only before a slow step: an upstream call, so a retry sent meanwhile is 409; or after that
 * statement met the key, to replay, refuse or take it over.
 * The submission (service.ts) is its user: claim() is its pipeline's beforeUpstreamCall.
 */
export class KeyHold {
  claimed = false
  readonly #db: Kysely<Database>
  readonly scope: IdempotencyScope

  constructor(db: Kysely<Database>, scope: IdempotencyScope) {
    this.#db = db
    this.scope = scope
  }

  /** Throws KeyAnswered for a replay, 422/409 as claimIdempotencyKey does. */
  async claim(): Promise<void> {
    if (this.claimed) return
    const claim = await claimIdempotencyKey(this.#db, this.scope)
    if (claim.kind === 'replay') throw new KeyAnswered(claim.answer)
    this.claimed = true
  }

  /** After a failure: frees a claimed key; else returns the key's earlier answer to this body, if any. */
  async afterFailure(): Promise<StoredAnswer | undefined> {
    if (!this.claimed) return answerOfKey(this.#db, this.scope)
    await releaseIdempotencyKey(this.#db, this.scope)
    return undefined
  }
}

/** Frees a key whose request failed, so the client may retry with it. */
export async function releaseIdempotencyKey(db: Db, scope: IdempotencyScope): Promise<void> {
  const id = where(scope)
  await db
    .deleteFrom('idempotency_keys')
    .where('organisation_id', '=', id.organisation_id)
    .where('operation', '=', id.operation)
    .where('key', '=', id.key)
    .where('state', '=', 'in_flight')
    .execute()
}

/** Deletes keys past their 24 hours; returns how many. For a periodic job (e.g. every hour). */
export async function sweepIdempotencyKeys(db: Db, now: Date = new Date()): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** The answer as stored: the first time and on every replay, the same status, headers and bytes. */
export function sendStored(reply: FastifyReply, answer: StoredAnswer & { replayed: boolean }) {
  reply.code(answer.status).headers(answer.headers)
  if (answer.replayed) reply.header('idempotent-replayed', 'true')
  return reply.send(answer.body)
}
