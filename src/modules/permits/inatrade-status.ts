/**
 * What INATRADE says about an application, applied to its permit: the one function behind both
 * the callback route and the reconciliation job, so a lost callback and a polled answer end in
 * exactly the same state and events.
 *
 * Rules, under the permit's row lock (so a callback and a reconciliation take turns):
 * - a status the permit already has: nothing moves (a callback's repeat is recorded as ignored);
 * - a status behind the permit's (a late UNDER_REVIEW after APPROVED): recorded, never applied;
 * - a status the transition table refuses (APPROVED for a permit the gateway shows cancelled):
 *   recorded as ignored, never applied, and logged by the caller;
 * - APPROVED: the licence is stored and, in the same transaction, the licence document is
 *   generated and the permit moves on to `issued` (see issueLicence for why not a later job).
 */
import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { InatradeApplicationStatus, InatradeLicence } from '../../upstreams/index.ts'
import { storeLicenceDocument, type LicenceOptions } from './document.ts'
import { lockPermit, moveStatus, recordEvent, type EventActor, type PermitEventInput } from './journey.ts'
import { fromInatradeStatus, isBehind } from './status.ts'

export interface InatradeReport {
  status: InatradeApplicationStatus
  /** When INATRADE says the change happened. */
  occurredAt?: string
  reason?: string
  licence?: InatradeLicence
}

/** Where the report came from: a callback, a poll, or INATRADE's answer to the submission itself. */
export type ReportSource = { kind: 'callback'; deliveryId: string } | { kind: 'reconciliation' } | { kind: 'acknowledgement' }

/** Also the `outcome` of an inatrade_callback_deliveries row. */
export type ApplyOutcome = 'applied' | 'recorded_late' | 'duplicate_status'

export interface ApplyResult {
  outcome: ApplyOutcome
  /** Why it was not applied, for logs and events. */
  note?: 'same_status' | 'behind' | 'not_allowed'
}

const INATRADE: EventActor = { type: 'upstream', id: 'inatrade' }
const SYSTEM: EventActor = { type: 'system', id: 'reconciliation' }

function actorOf(source: ReportSource): EventActor {
  return source.kind === 'reconciliation' ? SYSTEM : INATRADE
}

function sourceDetail(source: ReportSource): Record<string, unknown> {
  return source.kind === 'callback' ? { via: 'callback', deliveryId: source.deliveryId } : { via: source.kind }
}

function reportDetail(report: InatradeReport, source: ReportSource): Record<string, unknown> {
  return { ...sourceDetail(source), inatradeStatus: report.status, ...(report.occurredAt ? { inatradeOccurredAt: report.occurredAt } : {}) }
}

/** The event of a report that moves the permit (the batch of forwards writes the very same one). */
export function appliedReportEvent(report: InatradeReport, source: ReportSource): PermitEventInput {
  return {
    type: source.kind === 'reconciliation' ? 'permit.reconciled' : 'permit.status_changed',
    actor: actorOf(source),
    hop: 'inatrade',
    outcome: 'succeeded',
    detail: { ...reportDetail(report, source), ...(report.reason ? { reason: report.reason } : {}), ...(report.licence ? { licenceNumber: report.licence.number } : {}) },
  }
}

export async function applyInatradeReport(
  trx: Transaction<Database>,
  permitId: string,
  report: InatradeReport,
  source: ReportSource,
  licenceOptions: LicenceOptions,
): Promise<ApplyResult> {
  const permit = await lockPermit(trx, permitId)
  if (!permit) throw new Error(`permit ${permitId} vanished under a report`)
  const reported = fromInatradeStatus(report.status)
  const detail = reportDetail(report, source)
  const ignored = async (note: ApplyResult['note'], outcome: ApplyOutcome): Promise<ApplyResult> => {
    // Reconciliation polls the same answer again and again: only callbacks leave a trace of a no-op.
    if (source.kind !== 'reconciliation' || note !== 'same_status') {
      await recordEvent(trx, permitId, {
        type: 'permit.callback_ignored',
        actor: actorOf(source),
        hop: 'inatrade',
        outcome: 'ignored',
        detail: { ...detail, reason: note, currentStatus: permit.status },
      })
    }
    return { outcome, note }
  }

  if (reported === permit.status) {
    // An approval whose document was not generated yet (it always is in the same transaction; a
    // permit left `approved` by an older version or by hand is finished here).
    if (permit.status === 'approved') await issueLicence(trx, permitId, source, licenceOptions)
    return ignored('same_status', 'duplicate_status')
  }
  if (isBehind(reported, permit.status)) return ignored('behind', 'recorded_late')

  const decided = reported === 'approved' || reported === 'rejected'
  const moved = await moveStatus(
    trx,
    permitId,
    reported,
    appliedReportEvent(report, source),
    {
      ...(report.reason && reported === 'rejected' ? { decision_reason: report.reason } : {}),
      ...(report.licence ? { licence: JSON.stringify(report.licence) } : {}),
      ...(decided ? { decided_at: report.occurredAt ? new Date(report.occurredAt) : new Date() } : {}),
    },
  )
  if (!moved.moved) return ignored('not_allowed', 'recorded_late')
  if (reported === 'approved') await issueLicence(trx, permitId, source, licenceOptions)
  return { outcome: 'applied' }
}

/**
 * approved → issued with the licence document, in the transaction that stored the approval.
 * Why not a follow-up job: the document is a pure function of the permit row (a few ms of
 * pdf-lib, no upstream call), and doing it here means no permit is ever `approved` without its
 * document, nothing depends on a second queue, and a failure rolls the approval back so INATRADE
 * retries the callback (or the reconciliation asks again) instead of leaving a half-issued permit.
 */
export async function issueLicence(trx: Transaction<Database>, permitId: string, source: ReportSource, licenceOptions: LicenceOptions): Promise<void> {
  const permit = await lockPermit(trx, permitId)
  if (!permit?.licence || permit.status !== 'approved') return
  const stored = await storeLicenceDocument(trx, permit, licenceOptions)
  await moveStatus(trx, permitId, 'issued', {
    type: 'permit.document_issued',
    actor: { type: 'system', id: 'gateway' },
    hop: 'gateway',
    outcome: 'succeeded',
    detail: { licenceNumber: stored.licenceNumber, sha256: stored.sha256, ...sourceDetail(source) },
  })
  await licenceOptions.onIssued?.(trx, permit)
}
