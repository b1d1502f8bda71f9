/**
 * Platform operators' view of the job engine: jobs by state and queue, one job, and a retry of a
 * job that failed for good (audited in the retry's transaction). Job payloads are ids only
 * (src/jobs/queues.ts); the view shows identifier fields and nothing else, so a payload that
 * broke the rule would still not show personal data.
 */
import type { Kysely } from 'kysely'
import type { Static } from 'typebox'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../errors/app-error.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { PgBossJobEngine } from '../../jobs/engine.ts'
import { owningQueue, retryAsOperator } from '../../jobs/operator-retry.ts'
import { findJob, listJobs, type JobRow, type JobState } from '../../jobs/store.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import type { OperatorJobSchema } from './jobs-schemas.ts'
import { assertOperator } from './service.ts'

export type OperatorJob = Static<typeof OperatorJobSchema>
export type OperatorJobStateFilter = JobState | 'dead_letter'

const MAX_TEXT = 500

function jobNotFound(): AppError {
  return new AppError('NOT_FOUND', { detail: { en: 'No such job.', id: 'Job tidak ditemukan.' } })
}

/** Identifier fields only (`permitId`, `mailId`…): strings and numbers, nothing nested. */
function idsOnly(data: Record<string, unknown> | null): Record<string, string | number> {
  const shown: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(data ?? {})) {
    if (!/^[a-z][A-Za-z0-9]*Id$/.test(key)) continue
    if (typeof value === 'number' || (typeof value === 'string' && value.length <= 100)) shown[key] = value
  }
  return shown
}

function message(output: Record<string, unknown> | null): string | null {
  const text = output?.message
  return typeof text === 'string' ? text.slice(0, MAX_TEXT) : null
}

function toView(engine: PgBossJobEngine, row: JobRow): OperatorJob {
  const deadLettered = owningQueue(engine, row.name)?.deadLettered ?? false
  const output = row.output
  const deferred =
    output && typeof output.deferredUntil === 'string'
      ? { until: new Date(output.deferredUntil).toISOString(), reason: String(output.reason ?? '').slice(0, MAX_TEXT), continuedBy: typeof output.continuedBy === 'string' ? output.continuedBy : null }
      : null
  return {
    id: row.id,
    queue: row.name as OperatorJob['queue'],
    state: row.state,
    deadLettered,
    data: idsOnly(row.data),
    attempt: row.started_on ? row.retry_count + 1 : row.retry_count,
    maxAttempts: row.retry_limit + 1,
    createdAt: row.created_on.toISOString(),
    runAfter: row.start_after.toISOString(),
    startedAt: row.started_on?.toISOString() ?? null,
    completedAt: row.completed_on?.toISOString() ?? null,
    lastError: deferred ? null : (message(output) ?? (deadLettered ? message(row.source_output) : null)),
    deferred,
    // A dead letter copy names the job that failed; a redriven job (pg-boss keeps only the chain's root) its first job.
    source: row.source_id && row.source_name ? { jobId: row.source_id, queue: row.source_name } : row.source_root_id ? { jobId: row.source_root_id, queue: row.name } : null,
  }
}

export async function listOperatorJobs(
  db: Kysely<Database>,
  engine: PgBossJobEngine,
  principal: Principal,
  query: { state?: OperatorJobStateFilter; queue?: string; limit?: number; cursor?: string },
  requestUrl: string,
) {
  await assertOperator(db, principal)
  const limit = query.limit ?? 20
  const declared = [...engine.policies.values()]
  let queues = query.queue ? [query.queue] : declared.flatMap((queue) => [queue.name, queue.deadLetter])
  let states: JobState[] | undefined = query.state && query.state !== 'dead_letter' ? [query.state] : undefined
  if (query.state === 'dead_letter') {
    const deadLetters = new Set(declared.map((queue) => queue.deadLetter))
    queues = queues.filter((name) => deadLetters.has(name))
    states = ['created', 'retry']
  }
  const rows = queues.length ? await listJobs(db, { queues, states, after: decodeCursor(query.cursor), limit: limit + 1 }) : []
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position, id: row.id }),
    (row) => toView(engine, row),
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getOperatorJob(db: Kysely<Database>, engine: PgBossJobEngine, principal: Principal, id: string): Promise<OperatorJob> {
  await assertOperator(db, principal)
  const row = await findJob(db, id)
  if (!row || !owningQueue(engine, row.name)) throw jobNotFound()
  return toView(engine, row)
}

/** Retries a dead-lettered or failed job; answers the job that will run. */
export async function retryOperatorJob(db: Kysely<Database>, engine: PgBossJobEngine, principal: Principal, id: string, requestId: string): Promise<OperatorJob> {
  const operator = await assertOperator(db, principal)
  return db.transaction().execute(async (trx) => {
    const next = await retryAsOperator(engine, trx, id)
    if (!next) throw jobNotFound()
    await recordAudit(trx, {
      organisationId: null,
      actor: { kind: 'operator', id: operator.id },
      action: 'job.retried',
      targetType: 'job',
      targetId: id,
      after: { queue: next.name, jobId: next.id },
      requestId,
    })
    return toView(engine, next)
  })
}
