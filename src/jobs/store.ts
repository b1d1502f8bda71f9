/**
 * Reads of pg-boss's job table for the operator view and for tests, in the gateway's own list
 * convention (newest first, keyset cursor). pg-boss's API reads one queue at a time and has no
 * "by state across queues"; its table (`pgboss.job`, partitioned by queue name) is plain SQL.
 */
import { sql } from 'kysely'
import type { Cursor } from '../http/pagination.ts'
import { JOBS_SCHEMA } from './engine.ts'
import type { Executor } from './types.ts'

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed'

export interface JobRow {
  id: string
  name: string
  state: JobState
  data: Record<string, unknown> | null
  retry_count: number
  retry_limit: number
  singleton_key: string | null
  start_after: Date
  created_on: Date
  started_on: Date | null
  completed_on: Date | null
  output: Record<string, unknown> | null
  dead_letter: string | null
  source_name: string | null
  source_id: string | null
  source_root_id: string | null
  source_output: Record<string, unknown> | null
  position: string
}

const job = sql.table(`${JOBS_SCHEMA}.job`)
const columns = sql`id, name, state::text as state, data, retry_count, retry_limit, singleton_key, start_after, created_on, started_on,
  completed_on, output, dead_letter, source_name, source_id::text as source_id, source_root_id::text as source_root_id, source_output,
  created_on::text as position`

export interface JobFilter {
  /** Queue names to look in (the declared queues and their dead letter queues). */
  queues: string[]
  states?: JobState[]
  after?: Cursor
  limit: number
}

export async function listJobs(db: Executor, filter: JobFilter): Promise<JobRow[]> {
  const conditions = [sql`name = any(${filter.queues}::text[])`]
  if (filter.states) conditions.push(sql`state::text = any(${filter.states}::text[])`)
  if (filter.after) conditions.push(sql`(created_on, id) < (${filter.after.at}::timestamptz, ${filter.after.id}::uuid)`)
  const result = await sql<JobRow>`select ${columns} from ${job} where ${sql.join(conditions, sql` and `)}
    order by created_on desc, id desc limit ${filter.limit}`.execute(db)
  return result.rows
}

export async function findJob(db: Executor, id: string, options: { forUpdate?: boolean } = {}): Promise<JobRow | undefined> {
  const lock = options.forUpdate ? sql`for update` : sql``
  const result = await sql<JobRow>`select ${columns} from ${job} where id = ${id}::uuid ${lock}`.execute(db)
  return result.rows[0]
}

/** The copy of a failed job waiting in a dead letter queue, if pg-boss made one. */
export async function findDeadLetterCopy(db: Executor, deadLetter: string, sourceId: string): Promise<JobRow | undefined> {
  const result = await sql<JobRow>`select ${columns} from ${job}
    where name = ${deadLetter} and source_id = ${sourceId}::uuid and state::text in ('created', 'retry') limit 1`.execute(db)
  return result.rows[0]
}

/** The newest job of `queue` descended from `rootId` (what a redrive just created). */
export async function findRedriven(db: Executor, queue: string, rootId: string): Promise<JobRow | undefined> {
  const result = await sql<JobRow>`select ${columns} from ${job}
    where name = ${queue} and source_root_id = ${rootId}::uuid order by created_on desc limit 1`.execute(db)
  return result.rows[0]
}

/** Jobs of a queue not yet settled: waiting (now or later), waiting to be retried, or running. */
export async function countUnsettled(db: Executor, queue: string, options: { includeDeferred?: boolean } = {}): Promise<number> {
  const due = options.includeDeferred === false ? sql`and (state = 'active' or start_after <= now())` : sql``
  const result = await sql<{ count: number | string }>`select count(*) as count from ${job}
    where name = ${queue} and state::text in ('created', 'retry', 'active') ${due}`.execute(db)
  return Number(result.rows[0]?.count ?? 0)
}
