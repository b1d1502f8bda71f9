/**
 * Obligations as their organisation sees them: rights on the Pelaporan Realisasi menu (View;
 * machine clients `reports:read`) in the caller's own organisation, checked first.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { DEFAULT_PAGE_SIZE, decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { endOfWibDate, wibDateKey } from '../../calendar/working-days.ts'
import { AppError } from '../../errors/app-error.ts'
import { callerOrganisationId, notFound, requireOrgRight } from '../orgs/authorize.ts'
import { daysOverdue, readLadders, type Ladders } from '../compliance/ladder.ts'
import { permitUrl } from '../permits/views.ts'
import { listObligations, type ObligationRow } from './repository.ts'
import type { Obligation, ObligationListQuery } from './schemas.ts'

export const REPORTS_MENU = 'PELAPORAN_REALISASI'
const DAY_MS = 86_400_000

export interface ObligationDeps {
  db: Kysely<Database>
  now: () => Date
}

/** The caller's organisation, or 403 for a caller outside any (an operator). */
function callerOrganisation(principal: Principal): string {
  return callerOrganisationId(principal, { en: 'Only members of an organisation have reporting obligations.', id: 'Hanya anggota organisasi yang memiliki kewajiban pelaporan.' })
}

export async function requireReportsRight(db: Kysely<Database>, principal: Principal, action: 'view' | 'create'): Promise<string> {
  const organisationId = callerOrganisation(principal)
  await requireOrgRight(db, principal, organisationId, REPORTS_MENU, action)
  return organisationId
}

export function obligationState(row: Pick<ObligationRow, 'status' | 'due_at'>, now: Date): Obligation['status'] {
  if (row.status !== 'due') return row.status
  return row.due_at.getTime() < now.getTime() ? 'overdue' : 'due'
}

export function obligationView(row: ObligationRow, ladders: Ladders, now: Date): Obligation {
  const status = obligationState(row, now)
  const reports = `${permitUrl(row.permit_id)}/realisation-reports`
  return {
    id: row.id,
    permitId: row.permit_id,
    kind: row.kind as Obligation['kind'],
    rule: row.rule as Obligation['rule'],
    period: row.period,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    dueDate: row.due_date,
    dueAt: row.due_at.toISOString(),
    nominalDueDate: row.nominal_due_date,
    movedBecause: row.moved_because,
    status,
    daysOverdue: status === 'overdue' ? daysOverdue(row.due_at, now) : 0,
    reportId: row.report_id,
    submittedAt: row.submitted_at?.toISOString() ?? null,
    waivedReason: row.waived_reason,
    sanctionStep: row.sanction_step,
    ladder: (ladders.get(row.kind) ?? []).map((step) => ({
      step: step.step,
      code: step.code,
      name: step.name,
      daysOverdue: step.daysOverdue,
      // The day on which `daysOverdue` whole days have passed since the deadline.
      appliesOn: wibDateKey(new Date(endOfWibDate(row.due_date).getTime() + step.daysOverdue * DAY_MS)),
      blocksSubmissions: step.blocksSubmissions,
      lastsDays: step.lastsDays,
    })),
    links: { permit: permitUrl(row.permit_id), reports, ...(row.report_id ? { report: `${reports}/${row.report_id}` } : {}) },
  }
}

export async function listOwnObligations(deps: ObligationDeps, principal: Principal, query: ObligationListQuery, requestUrl: string) {
  const organisationId = await requireReportsRight(deps.db, principal, 'view')
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const now = deps.now()
  const [rows, ladders] = await Promise.all([
    listObligations(deps.db, { organisationId, now, status: query.status, permitId: query.permitId, kind: query.kind, dueFrom: query.dueFrom, dueTo: query.dueTo, cursor: decodeCursor(query.cursor), limit }),
    readLadders(deps.db),
  ])
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), (row) => obligationView(row, ladders, now), (cursor) => nextLink(requestUrl, cursor))
}

/**
 * A surveyor's month without any verification under the permit: nothing to push, so it says so
 * (a nil report), which meets the obligation. Other kinds report nil with an empty realisation
 * report (POST /v1/permits/{id}/realisation-reports, `lines: []`), which INATRADE receives.
 */
export async function reportNilMonth(deps: ObligationDeps, principal: Principal, obligationId: string): Promise<Obligation> {
  const organisationId = await requireReportsRight(deps.db, principal, 'create')
  const row = await deps.db.selectFrom('obligations').selectAll().where('id', '=', obligationId).executeTakeFirst()
  if (!row || row.organisation_id !== organisationId) throw notFound()
  if (row.kind !== 'surveyor_report') {
    throw new AppError('CONFLICT', {
      detail: { en: 'Report a nil period with an empty realisation report (POST /v1/permits/{id}/realisation-reports, "lines": []).', id: 'Laporkan periode nihil dengan laporan realisasi kosong (POST /v1/permits/{id}/realisation-reports, "lines": []).' },
    })
  }
  const now = deps.now()
  const updated = await deps.db.updateTable('obligations').set({ status: 'submitted', submitted_at: now }).where('id', '=', obligationId).where('status', '=', 'due').returningAll().executeTakeFirst()
  if (!updated) throw new AppError('CONFLICT', { detail: { en: `The obligation is already ${row.status}.`, id: `Kewajiban sudah berstatus ${row.status}.` } })
  return obligationView(updated, await readLadders(deps.db), now)
}
