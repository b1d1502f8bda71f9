/**
 * The sanction ladders, read from their table (migrations/0013_compliance.sql): the timetable is
 * data an operator's deploy can change, not constants in code. Read per use: a few rows.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'

export interface LadderStep {
  kind: string
  step: number
  code: string
  daysOverdue: number
  blocksSubmissions: boolean
  lastsDays: number | null
  name: { en: string; id: string }
}

export type Ladders = Map<string, LadderStep[]>

export async function readLadders(db: Kysely<Database> | Transaction<Database>): Promise<Ladders> {
  const rows = await db.selectFrom('sanction_ladder').selectAll().orderBy('kind').orderBy('step').execute()
  const ladders: Ladders = new Map()
  for (const row of rows) {
    const steps = ladders.get(row.kind) ?? []
    steps.push({ kind: row.kind, step: row.step, code: row.code, daysOverdue: row.days_overdue, blocksSubmissions: row.blocks_submissions, lastsDays: row.lasts_days, name: row.name })
    ladders.set(row.kind, steps)
  }
  return ladders
}

const DAY_MS = 86_400_000

/** Whole days since the deadline (0 before it and on its last day). */
export function daysOverdue(dueAt: Date, now: Date): number {
  return now.getTime() <= dueAt.getTime() ? 0 : Math.ceil((now.getTime() - dueAt.getTime()) / DAY_MS)
}

/** The highest step whose timetable has come for an obligation `days` overdue (0: none). */
export function stepDue(steps: LadderStep[], days: number): number {
  let reached = 0
  for (const step of steps) if (days > 0 && days >= step.daysOverdue) reached = step.step
  return reached
}
