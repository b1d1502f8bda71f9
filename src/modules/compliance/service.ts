/**
 * Compliance: an organisation reads its own standing (View on Pelaporan Realisasi, machine
 * clients `reports:read`); platform operators see every organisation's, apply a ladder step by
 * hand (an unreported profile change, say), lift or waive a sanction, waive an obligation, and
 * run the evaluation now. Every operator action records who, when and why (audit log), and is
 * told to the organisation (feed and webhook).
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { SanctionsTable } from '../../db/tables/compliance.ts'
import { AppError } from '../../errors/app-error.ts'
import { DEFAULT_PAGE_SIZE } from '../../http/pagination.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { Principal } from '../../plugins/auth.ts'
import { recordAudit } from '../audit/repository.ts'
import { requireReportsRight } from '../obligations/service.ts'
import { notFound, requireOperator } from '../orgs/authorize.ts'
import { evaluateCompliance } from './evaluation.ts'
import { readLadders, type Ladders } from './ladder.ts'
import type { ApplySanction, OperatorComplianceQuery, Sanction } from './schemas.ts'
import { applySanctionStep, tellSanctionEnded } from './sanctions.ts'

type Db = Kysely<Database> | Transaction<Database>
type SanctionRow = Selectable<SanctionsTable>

export interface ComplianceDeps {
  db: Kysely<Database>
  jobs: Pick<JobEngine, 'send' | 'wake'>
  now: () => Date
  reminderDays: number
}

const HOW_TO_CLEAR = {
  blocked: {
    en: 'New permit applications are refused. Submit the overdue realisation reports (GET /v1/obligations?status=overdue), then ask the INSW contact centre to lift the sanction.',
    id: 'Permohonan izin baru ditolak. Sampaikan laporan realisasi yang terlambat (GET /v1/obligations?status=overdue), lalu minta pusat kontak INSW mencabut sanksi.',
  },
  warned: {
    en: 'Submit the overdue realisation reports (GET /v1/obligations?status=overdue) to stop further sanctions.',
    id: 'Sampaikan laporan realisasi yang terlambat (GET /v1/obligations?status=overdue) untuk menghentikan sanksi berikutnya.',
  },
}

export function sanctionView(row: SanctionRow, ladders: Ladders): Sanction {
  const step = ladders.get(row.kind)?.find((s) => s.step === row.step)
  return {
    id: row.id,
    kind: row.kind,
    step: row.step,
    code: row.code,
    name: step?.name ?? { en: row.code, id: row.code },
    blocksSubmissions: row.blocks_submissions,
    status: row.status,
    reason: row.reason,
    obligationId: row.obligation_id,
    appliedBy: row.applied_by_type,
    appliedAt: row.applied_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    endReason: row.end_reason,
  }
}

export async function standingOf(db: Db, organisationId: string, now: Date) {
  const [sanctions, overdue, ladders] = await Promise.all([
    db.selectFrom('sanctions').selectAll().where('organisation_id', '=', organisationId).orderBy('applied_at', 'desc').orderBy('id').limit(200).execute(),
    db.selectFrom('obligations').select((eb) => eb.fn.countAll<number>().as('n')).where('organisation_id', '=', organisationId).where('status', '=', 'due').where('due_at', '<', now).executeTakeFirstOrThrow(),
    readLadders(db),
  ])
  const active = sanctions.filter((row) => row.status === 'active')
  const blocked = active.some((row) => row.blocks_submissions)
  const overdueObligations = Number(overdue.n)
  const standing = blocked ? 'blocked' : active.length > 0 || overdueObligations > 0 ? 'warned' : 'good'
  return {
    organisationId,
    standing: standing as 'good' | 'warned' | 'blocked',
    submissionsBlocked: blocked,
    howToClear: standing === 'good' ? null : HOW_TO_CLEAR[standing],
    overdueObligations,
    activeSanctions: active.map((row) => sanctionView(row, ladders)),
    recentlyEnded: sanctions.filter((row) => row.status !== 'active').slice(0, 20).map((row) => sanctionView(row, ladders)),
  }
}

export async function ownCompliance(deps: ComplianceDeps, principal: Principal) {
  const organisationId = await requireReportsRight(deps.db, principal, 'view')
  return standingOf(deps.db, organisationId, deps.now())
}

export async function operatorStanding(deps: ComplianceDeps, principal: Principal, organisationId: string) {
  await requireOperator(deps.db, principal)
  const exists = await deps.db.selectFrom('organisations').select('id').where('id', '=', organisationId).executeTakeFirst()
  if (!exists) throw notFound()
  return standingOf(deps.db, organisationId, deps.now())
}

export async function operatorList(deps: ComplianceDeps, principal: Principal, query: OperatorComplianceQuery) {
  await requireOperator(deps.db, principal)
  const now = deps.now()
  const rows = await deps.db
    .selectFrom('organisations as o')
    .select((eb) => [
      'o.id',
      'o.name',
      'o.nib',
      eb.selectFrom('obligations as b').select((e) => e.fn.countAll<number>().as('n')).whereRef('b.organisation_id', '=', 'o.id').where('b.status', '=', 'due').where('b.due_at', '<', now).as('overdue'),
      eb.selectFrom('sanctions as s').select((e) => e.fn.countAll<number>().as('n')).whereRef('s.organisation_id', '=', 'o.id').where('s.status', '=', 'active').as('active'),
      eb.exists(eb.selectFrom('sanctions as s').select('s.id').whereRef('s.organisation_id', '=', 'o.id').where('s.status', '=', 'active').where('s.blocks_submissions', '=', true)).as('blocked'),
    ])
    .where((eb) =>
      eb.or([
        eb.exists(eb.selectFrom('sanctions as s').select('s.id').whereRef('s.organisation_id', '=', 'o.id').where('s.status', '=', 'active')),
        eb.exists(eb.selectFrom('obligations as b').select('b.id').whereRef('b.organisation_id', '=', 'o.id').where('b.status', '=', 'due').where('b.due_at', '<', now)),
      ]),
    )
    .$if(query.blocked !== undefined, (q) =>
      q.where((eb) => {
        const blocking = eb.exists(eb.selectFrom('sanctions as s').select('s.id').whereRef('s.organisation_id', '=', 'o.id').where('s.status', '=', 'active').where('s.blocks_submissions', '=', true))
        return query.blocked ? blocking : eb.not(blocking)
      }),
    )
    // Most active sanctions first, then most overdue reports.
    .orderBy(sql`active`, 'desc')
    .orderBy(sql`overdue`, 'desc')
    .orderBy('o.name')
    .limit(query.limit ?? DEFAULT_PAGE_SIZE)
    .execute()
  const items = rows.map((row) => ({ organisationId: row.id, name: row.name, nib: row.nib, overdueObligations: Number(row.overdue ?? 0), activeSanctions: Number(row.active ?? 0), submissionsBlocked: Boolean(row.blocked) }))
  return { items, next: null }
}

export async function applySanction(deps: ComplianceDeps, principal: Principal, organisationId: string, body: ApplySanction, requestId: string) {
  const operator = await requireOperator(deps.db, principal)
  const now = deps.now()
  const ladders = await readLadders(deps.db)
  const step = ladders.get(body.kind)?.find((s) => s.step === body.step)
  if (!step) {
    throw new AppError('VALIDATION_FAILED', {
      detail: { en: 'No such step in the sanction timetable.', id: 'Langkah tersebut tidak ada dalam jadwal sanksi.' },
      errors: [{ pointer: '/step', in: 'body', detail: `ladders and steps: ${[...ladders].map(([kind, steps]) => `${kind} 1-${steps.length}`).join(', ')}`, reason: 'unknown_step' }],
    })
  }
  const row = await deps.db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('organisations').select('id').where('id', '=', organisationId).executeTakeFirst()
    if (!exists) throw notFound()
    const id = (await applySanctionStep(trx, deps.jobs, { organisationId, obligationId: null, step, reason: body.reason, appliedBy: { type: 'operator', id: operator.id }, at: now }))!
    const row = await trx.selectFrom('sanctions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    await recordAudit(trx, { organisationId, actor: { kind: 'operator', id: operator.id }, action: 'sanction.applied', targetType: 'sanction', targetId: row.id, after: { kind: body.kind, step: body.step, reason: body.reason }, requestId })
    return row
  })
  deps.jobs.wake(QUEUES.webhookDeliver.name)
  return sanctionView(row, ladders)
}

export async function endSanction(deps: ComplianceDeps, principal: Principal, sanctionId: string, how: 'lifted' | 'waived', reason: string, requestId: string) {
  const operator = await requireOperator(deps.db, principal)
  const now = deps.now()
  const ladders = await readLadders(deps.db)
  const row = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('sanctions')
      .set({ status: how, ended_at: now, ended_by: operator.id, end_reason: reason })
      .where('id', '=', sanctionId)
      .where('status', '=', 'active')
      .returningAll()
      .executeTakeFirst()
    if (!row) {
      const existing = await trx.selectFrom('sanctions').select('status').where('id', '=', sanctionId).executeTakeFirst()
      if (!existing) throw notFound()
      throw new AppError('CONFLICT', { detail: { en: `The sanction is already ${existing.status}.`, id: `Sanksi sudah berstatus ${existing.status}.` } })
    }
    await tellSanctionEnded(trx, deps.jobs, row, ladders.get(row.kind)?.find((s) => s.step === row.step), how, reason, now)
    await recordAudit(trx, { organisationId: row.organisation_id, actor: { kind: 'operator', id: operator.id }, action: `sanction.${how}`, targetType: 'sanction', targetId: row.id, after: { reason }, requestId })
    return row
  })
  deps.jobs.wake(QUEUES.webhookDeliver.name)
  return sanctionView(row, ladders)
}

export async function waiveObligation(deps: ComplianceDeps, principal: Principal, obligationId: string, reason: string, requestId: string) {
  const operator = await requireOperator(deps.db, principal)
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('obligations')
      .set({ status: 'waived', waived_reason: reason, waived_by: operator.id, waived_at: now })
      .where('id', '=', obligationId)
      .where('status', '=', 'due')
      .returningAll()
      .executeTakeFirst()
    if (!row) {
      const existing = await trx.selectFrom('obligations').select('status').where('id', '=', obligationId).executeTakeFirst()
      if (!existing) throw notFound()
      throw new AppError('CONFLICT', { detail: { en: `The obligation is already ${existing.status}.`, id: `Kewajiban sudah berstatus ${existing.status}.` } })
    }
    await recordAudit(trx, { organisationId: row.organisation_id, actor: { kind: 'operator', id: operator.id }, action: 'obligation.waived', targetType: 'obligation', targetId: row.id, after: { reason }, requestId })
    return { id: row.id, status: 'waived' as const, waivedReason: reason, waivedAt: now.toISOString() }
  })
}

export async function runEvaluation(deps: ComplianceDeps, principal: Principal) {
  await requireOperator(deps.db, principal)
  const now = deps.now()
  const result = await evaluateCompliance(deps, now, deps.reminderDays)
  return { businessTime: now.toISOString(), ...result }
}
