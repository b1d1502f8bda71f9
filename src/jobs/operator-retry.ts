/**
 * An operator's retry of a job that failed for good, in the caller's transaction (the operator
 * route audits it in the same one). The queue's `onOperatorRetry` hook runs first, in that
 * transaction too, so the job and the record it works on come back together (a permit leaves
 * `forwarding_failed` as its forwarding job is queued again), or neither does.
 *
 * - A job waiting in a dead letter queue is redriven (pg-boss `redrive`) to its source queue.
 * - A failed job of a work queue: its dead letter copy, if pg-boss made one, is redriven (so the
 *   dead letter queue keeps no stale copy); otherwise pg-boss `retry` gives it one more attempt.
 * Anything else (waiting, running, completed, cancelled) is not retryable: 409.
 */
import { fromKysely, type KyselyTransactionLike } from 'pg-boss'
import { AppError } from '../errors/app-error.ts'
import type { PgBossJobEngine } from './engine.ts'
import { findDeadLetterCopy, findJob, findRedriven, type JobRow } from './store.ts'
import type { Executor } from './types.ts'

function notRetryable(job: JobRow, why: string): AppError {
  return new AppError('CONFLICT', {
    detail: { en: `Job ${job.id} (${job.state}) cannot be retried: ${why}.`, id: `Job ${job.id} (${job.state}) tidak dapat diulang: ${why}.` },
  })
}

/** The queue a job belongs to, or the queue whose dead letter queue holds it; undefined for anything else in pg-boss's table. */
export function owningQueue(engine: PgBossJobEngine, name: string): { queue: string; deadLettered: boolean } | undefined {
  if (engine.policies.has(name)) return { queue: name, deadLettered: false }
  for (const policy of engine.policies.values()) if (policy.deadLetter === name) return { queue: policy.name, deadLettered: true }
  return undefined
}

/** Retries job `id`; returns the job that will run (a new id after a redrive), or undefined when there is no such job. */
export async function retryAsOperator(engine: PgBossJobEngine, trx: Executor, id: string): Promise<JobRow | undefined> {
  const job = await findJob(trx, id, { forUpdate: true })
  const owner = job && owningQueue(engine, job.name)
  if (!job || !owner) return undefined
  const db = fromKysely(trx as unknown as KyselyTransactionLike)
  const hook = engine.hooks(owner.queue)?.onOperatorRetry

  let deadLetterCopy: JobRow | undefined
  if (owner.deadLettered) {
    if (job.state !== 'created' && job.state !== 'retry') throw notRetryable(job, 'it is no longer waiting in the dead letter queue')
    deadLetterCopy = job
  } else {
    if (job.state !== 'failed') throw notRetryable(job, 'only failed or dead-lettered jobs are retried')
    deadLetterCopy = await findDeadLetterCopy(trx, engine.policies.get(owner.queue)!.deadLetter, job.id)
  }

  if (!deadLetterCopy && (await findRedriven(trx, owner.queue, job.id))) throw notRetryable(job, 'it was retried already')
  await hook?.((deadLetterCopy ?? job).data ?? {}, trx)
  if (!deadLetterCopy) {
    await engine.boss.retry(job.name, job.id, { db })
    return findJob(trx, job.id)
  }
  const moved = await engine.boss.redrive(deadLetterCopy.name, { ids: [deadLetterCopy.id], destination: owner.queue, limit: 1, db })
  // Not moved: the source queue already has a job waiting with the same singletonKey (which will do the work).
  if (moved === 0) throw notRetryable(deadLetterCopy, 'a job with the same key is already waiting')
  return findRedriven(trx, owner.queue, deadLetterCopy.source_root_id ?? deadLetterCopy.source_id ?? deadLetterCopy.id)
}
