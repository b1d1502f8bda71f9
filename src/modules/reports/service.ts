/**
 * Realisation reports: one per period of an issued permit, submitted once (`Idempotency-Key` as
 * for permits), amended by new versions that keep every earlier one, each version forwarded to
 * INATRADE by a job enqueued in the transaction that stores it. Rights: Pelaporan Realisasi
 * (Create to submit and amend, View to read; machine clients `reports:write` / `reports:read`)
 * in the permit's organisation; another organisation's permit is 404.
 *
 * Submitting meets the obligation (late or not) and so stops its sanction ladder: the daily
 * evaluation only escalates obligations still `due`. Sanctions already applied stay until an
 * operator lifts them (src/modules/compliance).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { RealisationLine } from '../../db/tables/compliance.ts'
import { AppError, isAppError } from '../../errors/app-error.ts'
import { canonicalSha256 } from '../../identity/receipts.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { Principal } from '../../plugins/auth.ts'
import { notFound } from '../orgs/authorize.ts'
import { answerOfKey, completedKeyInsert, KeyAnswered, type IdempotencyScope, type StoredAnswer } from '../permits/idempotency.ts'
import { referenceNumber } from '../permits/reference-number.ts'
import { findObligationForPeriod, openPeriods } from '../obligations/repository.ts'
import { requireReportsRight } from '../obligations/service.ts'
import { checkLines, permittedLines } from './line-checks.ts'
import { currentLinesOfPermit, currentVersions, findReport, findReportForPeriod, lockIssuedPermit, reportsOfPermit, versionsOf, type ReportRow, type VersionRow } from './repository.ts'
import type { AmendRealisationReport, SubmitRealisationReport } from './schemas.ts'
import { reportUrl, reportView, versionView } from './views.ts'

export const REPORT_FORWARD_QUEUE = QUEUES.reportForward.name

export interface ReportDeps {
  db: Kysely<Database>
  jobs: Pick<JobEngine, 'send'>
  /** Business time (the sandbox clock when moved). */
  now: () => Date
}

export type ReportAnswer = StoredAnswer & { replayed: boolean }

function submitter(principal: Principal) {
  return principal.kind === 'client' ? { type: 'client' as const, id: principal.clientId } : { type: 'user' as const, id: principal.subject }
}

function permitNotIssued(status: string): AppError {
  return new AppError('PERMIT_NOT_ISSUED', {
    detail: { en: `Reports are for issued licences; this permit is ${status}.`, id: `Laporan hanya untuk izin yang telah terbit; izin ini berstatus ${status}.` },
  })
}

function linesRefused(code: 'VALIDATION_FAILED' | 'OVER_REALISATION', errors: AppError['errors']): AppError {
  return new AppError(code, {
    detail:
      code === 'OVER_REALISATION'
        ? { en: 'The realised quantities would exceed what the permit allows; nothing was stored.', id: 'Jumlah realisasi akan melebihi kuota izin; tidak ada yang disimpan.' }
        : { en: 'The report lines do not fit the permit; nothing was stored.', id: 'Baris laporan tidak sesuai dengan izin; tidak ada yang disimpan.' },
    errors,
  })
}

/** Runs `work` in a transaction that first replays a key's answer, and stores the answer with the work. */
async function idempotent(deps: ReportDeps, scope: IdempotencyScope | undefined, work: (trx: Transaction<Database>) => Promise<StoredAnswer>): Promise<ReportAnswer> {
  try {
    const answer = await deps.db.transaction().execute(async (trx) => {
      if (scope) {
        const stored = await answerOfKey(trx, scope)
        if (stored) throw new KeyAnswered(stored)
      }
      const answer = await work(trx)
      // A concurrent request with the same key committed first: this one stores nothing and replays it.
      if (scope && !(await completedKeyInsert(trx, scope, answer).executeTakeFirst())) throw new KeyRace()
      return answer
    })
    return { ...answer, replayed: false }
  } catch (error) {
    if (error instanceof KeyAnswered) return { ...error.answer, replayed: true }
    // A refusal first reads the key: a retry that raced its first request (and so found the report
    // already there, or lost the key insert) replays the first answer instead of a new verdict.
    if (scope && (error instanceof KeyRace || isAppError(error))) {
      const stored = await answerOfKey(deps.db, scope)
      if (stored) return { ...stored, replayed: true }
    }
    throw error
  }
}

class KeyRace extends Error {}

/** The permit of the caller's organisation, issued, under its lock; the lines checked against it. */
async function checkedPermit(trx: Transaction<Database>, organisationId: string, permitId: string, lines: RealisationLine[], except?: string) {
  const permit = await lockIssuedPermit(trx, permitId)
  if (!permit || permit.organisation_id !== organisationId) throw notFound()
  if (permit.status !== 'issued' || !permit.licence) throw permitNotIssued(permit.status)
  const verdict = checkLines(permittedLines(permit.payload), await currentLinesOfPermit(trx, permitId, except), lines)
  if (verdict.invalid.length > 0) throw linesRefused('VALIDATION_FAILED', verdict.invalid)
  if (verdict.over.length > 0) throw linesRefused('OVER_REALISATION', verdict.over)
  return permit
}

async function answerFor(trx: Transaction<Database>, report: ReportRow, version: VersionRow): Promise<StoredAnswer> {
  const late = (await lateReports(trx, [report])).has(report.id)
  const location = reportUrl(report.permit_id, report.id)
  return { status: 202, headers: { location, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(reportView(report, version, late)) }
}

/** The reports whose obligation was met after its deadline (one query for the lot). */
async function lateReports(db: Kysely<Database> | Transaction<Database>, reports: ReportRow[]): Promise<Set<string>> {
  if (reports.length === 0) return new Set()
  const late = await db
    .selectFrom('obligations')
    .select('id')
    .where('id', 'in', reports.map((report) => report.obligation_id))
    .whereRef('submitted_at', '>', 'due_at')
    .execute()
  const obligations = new Set(late.map((row) => row.id))
  return new Set(reports.filter((report) => obligations.has(report.obligation_id)).map((report) => report.id))
}

async function enqueueForward(trx: Transaction<Database>, deps: ReportDeps, reportId: string, version: number) {
  await deps.jobs.send(trx, REPORT_FORWARD_QUEUE, { reportId, version }, { singletonKey: `report:${reportId}:${version}` })
}

export async function submitReport(deps: ReportDeps, principal: Principal, permitId: string, body: SubmitRealisationReport, key: string | undefined): Promise<ReportAnswer> {
  const organisationId = await requireReportsRight(deps.db, principal, 'create')
  const scope = key ? { organisationId, operation: 'realisation-report', key, requestSha256: canonicalSha256({ permitId, body }) } : undefined
  return idempotent(deps, scope, async (trx) => {
    await checkedPermit(trx, organisationId, permitId, body.lines as RealisationLine[])
    const obligation = await findObligationForPeriod(trx, permitId, organisationId, body.period)
    if (!obligation) {
      const open = await openPeriods(trx, permitId, organisationId)
      throw new AppError('VALIDATION_FAILED', {
        detail: { en: 'The permit owes no report for this period.', id: 'Izin ini tidak memiliki kewajiban laporan untuk periode ini.' },
        errors: [{ pointer: '/period', in: 'body', detail: `periods still owed: ${open.join(', ') || 'none'}`, reason: 'period_unknown' }],
      })
    }
    const existing = await findReportForPeriod(trx, permitId, body.period)
    if (existing) {
      throw new AppError('REPORT_ALREADY_SUBMITTED', {
        detail: { en: `Report ${existing.report_number} covers this period: amend it with a new version.`, id: `Laporan ${existing.report_number} sudah mencakup periode ini: ubah dengan versi baru.` },
        headers: { location: `${reportUrl(permitId, existing.id)}/versions` },
      })
    }
    const now = deps.now()
    const report = await trx
      .insertInto('realisation_reports')
      .values({ organisation_id: organisationId, permit_id: permitId, obligation_id: obligation.id, report_number: referenceNumber('RR', now), period: body.period, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
    const by = submitter(principal)
    const version = await trx
      .insertInto('realisation_report_versions')
      .values({ report_id: report.id, version: 1, lines: JSON.stringify(body.lines), submitted_by_type: by.type, submitted_by_id: by.id, submitted_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
    // Met (late or not): the evaluation stops escalating it.
    await trx.updateTable('obligations').set({ status: 'submitted', report_id: report.id, submitted_at: now }).where('id', '=', obligation.id).where('status', '!=', 'waived').execute()
    await enqueueForward(trx, deps, report.id, 1)
    return answerFor(trx, report, version)
  })
}

export async function amendReport(deps: ReportDeps, principal: Principal, permitId: string, reportId: string, body: AmendRealisationReport, key: string | undefined): Promise<ReportAnswer> {
  const organisationId = await requireReportsRight(deps.db, principal, 'create')
  const scope = key ? { organisationId, operation: 'realisation-report-amendment', key, requestSha256: canonicalSha256({ permitId, reportId, body }) } : undefined
  return idempotent(deps, scope, async (trx) => {
    await checkedPermit(trx, organisationId, permitId, body.lines as RealisationLine[], reportId)
    const report = await findReport(trx, permitId, reportId)
    if (!report) throw notFound()
    const now = deps.now()
    const next = report.current_version + 1
    const by = submitter(principal)
    const version = await trx
      .insertInto('realisation_report_versions')
      .values({ report_id: report.id, version: next, lines: JSON.stringify(body.lines), amendment_reason: body.reason, submitted_by_type: by.type, submitted_by_id: by.id, submitted_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
    const updated = await trx.updateTable('realisation_reports').set({ current_version: next, updated_at: now }).where('id', '=', report.id).returningAll().executeTakeFirstOrThrow()
    await enqueueForward(trx, deps, report.id, next)
    return answerFor(trx, updated, version)
  })
}

async function readableReport(deps: Pick<ReportDeps, 'db'>, principal: Principal, permitId: string, reportId: string) {
  const organisationId = await requireReportsRight(deps.db, principal, 'view')
  const report = await findReport(deps.db, permitId, reportId)
  if (!report || report.organisation_id !== organisationId) throw notFound()
  return report
}

export async function getReport(deps: Pick<ReportDeps, 'db'>, principal: Principal, permitId: string, reportId: string) {
  const report = await readableReport(deps, principal, permitId, reportId)
  const current = (await currentVersions(deps.db, [report])).get(report.id)!
  return reportView(report, current, (await lateReports(deps.db, [report])).has(report.id))
}

export async function listVersions(deps: Pick<ReportDeps, 'db'>, principal: Principal, permitId: string, reportId: string) {
  const report = await readableReport(deps, principal, permitId, reportId)
  return { items: (await versionsOf(deps.db, report.id)).map(versionView), next: null }
}

export async function listReports(deps: Pick<ReportDeps, 'db'>, principal: Principal, permitId: string) {
  const organisationId = await requireReportsRight(deps.db, principal, 'view')
  const permit = await deps.db.selectFrom('permits').select('organisation_id').where('id', '=', permitId).executeTakeFirst()
  if (!permit || permit.organisation_id !== organisationId) throw notFound()
  const reports = await reportsOfPermit(deps.db, permitId)
  const [current, late] = await Promise.all([currentVersions(deps.db, reports), lateReports(deps.db, reports)])
  return { items: reports.map((report) => reportView(report, current.get(report.id)!, late.has(report.id))), next: null }
}
