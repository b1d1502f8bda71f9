/**
 * The `permit.forward` job: files a submitted permit with INATRADE, exactly once as INATRADE sees
 * it. The idempotency key is the permit's own (`permit:<id>`) and the body is built from the row
 * alone, so every attempt (a retry, a re-run after a crash between INATRADE's answer and our
 * commit, an operator's retry) is the same request, and INATRADE replays its first answer.
 *
 * Failure policy:
 * - INATRADE unreachable, 5xx, timed out, reset, garbage: an event (`retrying`), the error on the
 *   row, then the error is rethrown and the engine retries with backoff; on the last attempt the
 *   permit moves to `forwarding_failed` (the dead letter; an operator retry moves it back).
 * - circuit open: no attempt is made; the job waits until the circuit may close (RetryLater).
 * - INATRADE asked for time (`Retry-After`): the job waits that long (RetryLater), counted on the
 *   permit, so a permanently busy INATRADE still ends in the dead letter (maxDeferredAttempts).
 * - INATRADE refuses the request itself (400: a gateway bug; 409: the key reused with another
 *   body): `forwarding_failed` at once; repeating it cannot help.
 */
import type { Selectable, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PermitsTable } from '../../db/tables/permits.ts'
import { isAppError } from '../../errors/app-error.ts'
import type { BatchJob, Executor, JobContext } from '../../jobs/types.ts'
import { newSpanId } from '../../upstreams/traceparent.ts'
import type { InatradeApplicationInput, InatradeSubmission } from '../../upstreams/index.ts'
import { recordAcknowledgedForwards, recordFailedAttempts, type FailedAttempt } from './forward-batch.ts'
import { lookUpAtInatrade } from './inatrade-lookup.ts'
import { appliedReportEvent, applyInatradeReport } from './inatrade-status.ts'
import { moveStatus, recordEvent, type PermitEventInput } from './journey.ts'
import { CANCEL_QUEUE, callbackUrl, licenceOptions, type JourneyDeps, type PermitJobData } from './journey-deps.ts'

type PermitRow = Selectable<PermitsTable>

export function forwardingKey(permitId: string): string {
  return `permit:${permitId}`
}

/** A child span of the permit's one trace: the trace id is the journey's, the span is this attempt's. */
export function attemptTraceparent(traceId: string): string {
  return `00-${traceId}-${newSpanId()}-01`
}

const NIK = /^[0-9]{16}$/

/** Thrown when the gateway cannot even build the request: not INATRADE's fault, not worth a retry. */
class CannotForward extends Error {
  readonly code = 'CANNOT_FORWARD'
}

/**
 * The person who applies on the organisation's behalf (INATRADE wants a name and NIK): the one
 * the submission recorded, else the submitting user when their NIK is on file, else OSS's first
 * person in charge of the NIB (OSS is the source of truth; its answer is cached briefly).
 */
async function personInCharge(deps: JourneyDeps, permit: PermitRow, traceparent: string): Promise<{ name: string; nik: string }> {
  const recorded = (permit.applicant as unknown as { personInCharge?: { name?: unknown; nik?: unknown } }).personInCharge
  if (typeof recorded?.name === 'string' && typeof recorded.nik === 'string' && NIK.test(recorded.nik)) return { name: recorded.name, nik: recorded.nik }
  if (permit.submitted_by_type === 'user') {
    const user = await deps.db.selectFrom('users').select(['full_name', 'nik']).where('id', '=', permit.submitted_by_id).executeTakeFirst()
    if (user?.nik && NIK.test(user.nik)) return { name: user.full_name, nik: user.nik }
  }
  const lookup = await deps.oss.getBusiness(permit.applicant.nib, { traceparent })
  const person = lookup.found ? lookup.business.personsInCharge.find((candidate) => NIK.test(candidate.nik)) : undefined
  if (!person) throw new CannotForward('OSS lists no person in charge with a NIK for this NIB')
  return { name: person.name, nik: person.nik }
}

export async function applicationInput(deps: JourneyDeps, permit: PermitRow, traceparent: string): Promise<InatradeApplicationInput> {
  return {
    referenceNumber: permit.reference_number,
    permitType: permit.permit_type,
    nib: permit.applicant.nib,
    npwp: permit.applicant.npwp,
    applicant: await personInCharge(deps, permit, traceparent),
    payload: permit.payload,
    callbackUrl: callbackUrl(deps.publicUrl),
  }
}

type FailureKind = 'transient' | 'deferred' | 'circuit_open' | 'refused'

function classify(deps: JourneyDeps, error: unknown, attempt: number): { kind: FailureKind; code: string; detail: string; retryAfterMs?: number } {
  if (error instanceof CannotForward) return { kind: 'refused', code: error.code, detail: error.message }
  if (!isAppError(error)) return { kind: 'transient', code: 'UNEXPECTED', detail: error instanceof Error ? error.message : String(error) }
  const detail = typeof error.detail === 'string' ? error.detail : (error.detail?.en ?? error.message)
  const retryAfterMs = error.retryAfter === undefined ? undefined : error.retryAfter * 1000
  if (error.code === 'UPSTREAM_UNAVAILABLE' && deps.inatradeBreaker() === 'open') return { kind: 'circuit_open', code: error.code, detail, retryAfterMs: retryAfterMs ?? 30_000 }
  // INATRADE's own Retry-After (a 503/429); timeouts carry the client's default hint, not INATRADE's.
  if (error.code === 'UPSTREAM_UNAVAILABLE' && retryAfterMs !== undefined && attempt < deps.maxDeferredAttempts) return { kind: 'deferred', code: error.code, detail, retryAfterMs }
  // Garbage or an over-large body is retried too: the key makes it safe, and a proxy's error page is transient.
  if (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UPSTREAM_TIMEOUT' || error.code === 'UPSTREAM_BAD_RESPONSE') return { kind: 'transient', code: error.code, detail, retryAfterMs }
  return { kind: 'refused', code: error.code, detail }
}

async function inTransaction<T>(executor: Executor, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return executor.isTransaction ? work(executor as Transaction<Database>) : executor.transaction().execute(work)
}

/**
 * A batch of forward jobs: the permits read in one query, sent to INATRADE side by side, the
 * acknowledged ones recorded in one transaction (forward-batch.ts); anything unusual (a cancel
 * meanwhile, another acknowledgement status, a failure) the careful one-permit way. Returns one
 * outcome per job for the engine: undefined done, RetryLater waits, another error is retried.
 */
export async function forwardPermits(deps: JourneyDeps, jobs: BatchJob<PermitJobData>[]): Promise<unknown[]> {
  const outcomes: unknown[] = jobs.map(() => undefined)
  const rows = await deps.db
    .selectFrom('permits')
    .selectAll()
    .where('id', 'in', [...new Set(jobs.map((job) => job.data.permitId))])
    .execute()
  const permits = new Map(rows.map((row) => [row.id, row]))
  const breakerOpen = deps.inatradeBreaker() === 'open'
  const sent: Sent[] = []
  const failed: Failed[] = []
  const forwarding = new Set<string>()
  await Promise.all(
    jobs.map(async ({ data, job }, index) => {
      const permit = permits.get(data.permitId)
      if (!permit) {
        deps.log.warn({ permitId: data.permitId, jobId: job.id }, 'permit.forward: no such permit')
        return
      }
      // Cancelled before it left, or already forwarded (a duplicate or re-run job): nothing to send.
      if (permit.status !== 'submitted' || forwarding.has(permit.id)) return
      forwarding.add(permit.id)
      if (breakerOpen) {
        outcomes[index] = deps.retryLater(new Date(Date.now() + 30_000), 'INATRADE circuit open')
        return
      }
      const attempt = permit.forwarding_attempts + 1
      const traceparent = attemptTraceparent(permit.trace_id)
      const started = performance.now()
      try {
        const input = await applicationInput(deps, permit, traceparent)
        const submission = await deps.inatrade.submitApplication(input, { idempotencyKey: forwardingKey(permit.id), traceparent })
        sent.push({ index, permit, attempt, latencyMs: Math.round(performance.now() - started), submission })
      } catch (error) {
        failed.push({ index, judged: judgeFailure(deps, permit, job, attempt, Math.round(performance.now() - started), error) })
      }
    }),
  )
  await recordFailures(deps, failed.map((failure) => failure.judged))
  for (const { index, judged } of failed) outcomes[index] = judged.outcome
  const careful = await recordAcknowledged(deps, sent)
  for (const forward of careful) {
    try {
      await recordSuccess(deps, forward.permit, forward.attempt, forward.latencyMs, forward.submission)
    } catch (error) {
      outcomes[forward.index] = error
    }
  }
  // A replayed answer: an earlier attempt filed the application and its answer was lost (or the
  // gateway died before recording it), so INATRADE's callbacks since found no permit here and were
  // refused. Ask INATRADE where it is now rather than wait for the reconciliation's period.
  const replayed = sent.filter((forward) => forward.submission.replayed && outcomes[forward.index] === undefined)
  await Promise.all(replayed.map((forward) => lookUpAtInatrade(deps, forward.permit.id, forward.submission.inatradeId, attemptTraceparent(forward.permit.trace_id))))
  return outcomes
}

/** One forward job: the batch path with a batch of one (tests and the engine's one-job callers). */
export async function forwardPermit(deps: JourneyDeps, data: PermitJobData, job: JobContext): Promise<void> {
  const [outcome] = await forwardPermits(deps, [{ data, job }])
  if (outcome !== undefined) throw outcome
}

interface Failed {
  index: number
  judged: JudgedFailure
}

interface Sent {
  index: number
  permit: PermitRow
  attempt: number
  latencyMs: number
  submission: InatradeSubmission
}

function forwardedEvent(attempt: number, latencyMs: number, submission: InatradeSubmission): PermitEventInput {
  return {
    type: 'permit.forwarded',
    actor: { type: 'system', id: 'forwarding' },
    hop: 'inatrade',
    outcome: 'succeeded',
    detail: { attempt, latencyMs, inatradeId: submission.inatradeId, inatradeStatus: submission.status, replayed: submission.replayed },
  }
}

/** Records, in one transaction, the forwards INATRADE acknowledged as RECEIVED; returns the others. */
async function recordAcknowledged(deps: JourneyDeps, sent: Sent[]): Promise<Sent[]> {
  const received = sent.filter((forward) => forward.submission.status === 'RECEIVED')
  const moved = await deps.db.transaction().execute((trx) =>
    recordAcknowledgedForwards(
      trx,
      received.map(({ permit, attempt, latencyMs, submission }) => ({
        permitId: permit.id,
        inatradeId: submission.inatradeId,
        attempt,
        events: [
          forwardedEvent(attempt, latencyMs, submission),
          appliedReportEvent({ status: submission.status, occurredAt: submission.receivedAt }, { kind: 'acknowledgement' }),
        ],
      })),
    ),
  )
  // One line per batch: each permit's own record of it is its `permit.forwarded` event.
  if (moved.size > 0) deps.log.info({ permitIds: [...moved], count: moved.size }, 'permits forwarded to INATRADE')
  return sent.filter((forward) => !moved.has(forward.permit.id))
}

async function recordSuccess(deps: JourneyDeps, permit: PermitRow, attempt: number, latencyMs: number, submission: InatradeSubmission): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const moved = await moveStatus(trx, permit.id, 'forwarded', forwardedEvent(attempt, latencyMs, submission), {
      inatrade_id: submission.inatradeId,
      forwarding_attempts: attempt,
      last_forwarding_error: null,
    })
    if (moved.moved) {
      // INATRADE's acknowledgement says where it is (RECEIVED): applied like any report of it.
      await applyInatradeReport(trx, permit.id, { status: submission.status, occurredAt: submission.receivedAt }, { kind: 'acknowledgement' }, licenceOptions(deps))
      return
    }
    // Cancelled while the request was on the wire: INATRADE holds an application the holder no
    // longer wants. Keep its id and withdraw it there too.
    await trx.updateTable('permits').set({ inatrade_id: submission.inatradeId, forwarding_attempts: attempt, updated_at: new Date() }).where('id', '=', permit.id).execute()
    await recordEvent(trx, permit.id, {
      type: 'permit.forwarded',
      actor: { type: 'system', id: 'forwarding' },
      hop: 'inatrade',
      outcome: 'ignored',
      detail: { attempt, latencyMs, inatradeId: submission.inatradeId, reason: 'cancelled_meanwhile', currentStatus: moved.reason === 'not_allowed' ? moved.current : null },
    })
    if (moved.reason === 'not_allowed' && moved.current === 'cancelled') {
      await deps.jobs.send(trx, CANCEL_QUEUE, { permitId: permit.id }, { singletonKey: `permit-cancel:${permit.id}` })
    }
  })
  deps.log.info({ permitId: permit.id, inatradeId: submission.inatradeId, attempt, latencyMs }, 'permit forwarded to INATRADE')
}

interface JudgedFailure extends FailedAttempt {
  /** The dead letter: the permit moves to `forwarding_failed` with this event. */
  givesUp?: PermitEventInput
  /** The job's outcome: undefined settled, RetryLater wait, the error retry. */
  outcome: unknown
  log: Record<string, unknown>
}

/** What a failed attempt means for its permit and its job (nothing written yet). */
function judgeFailure(deps: JourneyDeps, permit: PermitRow, job: JobContext, attempt: number, latencyMs: number, error: unknown): JudgedFailure {
  const failure = classify(deps, error, attempt)
  const retryAt = failure.retryAfterMs === undefined ? undefined : new Date(Date.now() + failure.retryAfterMs)
  const lastAttempt = failure.kind === 'transient' && job.isLastAttempt
  const givesUp = failure.kind === 'refused' || lastAttempt
  const system = { type: 'system' as const, id: 'forwarding' }
  let outcome: unknown = error
  if (failure.kind === 'refused') outcome = undefined
  else if ((failure.kind === 'deferred' || failure.kind === 'circuit_open') && retryAt) outcome = deps.retryLater(retryAt, `INATRADE: ${failure.detail}`)
  return {
    permitId: permit.id,
    lastError: `${failure.code}: ${failure.detail}`.slice(0, 500),
    event: {
      type: 'permit.forwarding_attempted',
      actor: system,
      hop: 'inatrade',
      outcome: givesUp ? 'failed' : 'retrying',
      detail: {
        attempt,
        jobAttempt: job.retryCount + 1,
        latencyMs,
        errorCode: failure.code,
        error: failure.detail.slice(0, 300),
        next: givesUp ? 'dead_letter' : failure.kind === 'transient' ? 'backoff' : 'retry_after',
        ...(retryAt && !givesUp && failure.kind !== 'transient' ? { nextAttemptAt: retryAt.toISOString() } : {}),
      },
    },
    ...(givesUp
      ? {
          givesUp: {
            type: 'permit.forwarding_failed',
            actor: system,
            hop: 'inatrade' as const,
            outcome: 'failed' as const,
            detail: { attempts: attempt, errorCode: failure.code, reason: failure.detail.slice(0, 300), retryable: failure.kind !== 'refused' },
          },
        }
      : {}),
    // The engine retries with backoff; on the last attempt a returned error fails the job into the dead letter.
    outcome,
    log: { permitId: permit.id, attempt, errorCode: failure.code, kind: failure.kind, givesUp },
  }
}

/**
 * The failed attempts of a batch in one transaction (forward-batch.ts): the attempt and its event
 * for every permit, then the dead letter move for those that give up.
 */
async function recordFailures(deps: JourneyDeps, failures: JudgedFailure[]): Promise<void> {
  if (failures.length === 0) return
  await deps.db.transaction().execute(async (trx) => {
    await recordFailedAttempts(trx, failures)
    for (const failure of failures) if (failure.givesUp) await moveStatus(trx, failure.permitId, 'forwarding_failed', failure.givesUp)
  })
  for (const failure of failures) deps.log.warn(failure.log, 'permit forwarding attempt failed')
}

/**
 * The engine's operator retry of a dead-lettered forward job: the permit leaves
 * `forwarding_failed` and goes back to `submitted`, in the operator's transaction.
 */
export async function operatorRetryForward(data: PermitJobData, executor: Executor, operatorId?: string): Promise<void> {
  await inTransaction(executor, async (trx) => {
    await moveStatus(trx, data.permitId, 'submitted', {
      type: 'permit.forwarding_retried',
      actor: { type: 'operator', id: operatorId ?? null },
      hop: 'gateway',
      outcome: 'succeeded',
      detail: { reason: 'operator retry of the dead-lettered forwarding job' },
    }, { last_forwarding_error: null })
  })
}
