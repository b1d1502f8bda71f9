/**
 * Permit rows as the API shows them: the owner's full view, the reduced partner view of a
 * surveyor or insurer named on the permit, list summaries and events.
 */
import { slaState } from '../../calendar/working-days.ts'
import type { PermitStatus } from '../../db/tables/permits.ts'
import type { PermitEventRow, PermitRow, PermitViewRow } from './repository.ts'

export const permitUrl = (id: string): string => `/v1/permits/${id}`
export const permitEventsUrl = (id: string): string => `/v1/permits/${id}/events`

const DECIDED: readonly PermitStatus[] = ['approved', 'issued', 'rejected', 'cancelled']

/** The SLA clock stops at the decision: a decided permit shows where it stood then. */
export function slaOf(row: Pick<PermitRow, 'submitted_at' | 'due_at' | 'decided_at' | 'status' | 'status_changed_at'>, now: Date) {
  const at = DECIDED.includes(row.status) ? (row.decided_at ?? row.status_changed_at) : now
  return slaState(row.submitted_at, row.due_at, at)
}

export function ownerView(row: PermitViewRow, now: Date = new Date()) {
  return {
    view: 'owner' as const,
    id: row.id,
    referenceNumber: row.reference_number,
    permitType: row.permit_type,
    clientReference: row.client_reference,
    status: row.status,
    statusUrl: permitUrl(row.id),
    eventsUrl: permitEventsUrl(row.id),
    // Field by field: the row also keeps the person in charge (a NIK), which is not the API's to show.
    applicant: { nib: row.applicant.nib, npwp: row.applicant.npwp, name: row.applicant.name, address: row.applicant.address },
    payload: row.payload,
    surveyorNib: row.surveyor_nib,
    insurerNib: row.insurer_nib,
    documents: row.documents,
    submittedAt: row.submitted_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    sla: slaOf(row, now),
    inatradeId: row.inatrade_id,
    licence: row.licence,
    decisionReason: row.decision_reason,
    forwarding: { attempts: row.forwarding_attempts, lastError: row.last_forwarding_error },
    traceId: row.trace_id,
    receipt: row.receipt,
  }
}

/** See PermitPartnerView in schemas.ts for what a partner sees and why. */
export function partnerView(row: PermitViewRow, kind: 'surveyor' | 'insurer') {
  return {
    view: kind,
    id: row.id,
    referenceNumber: row.reference_number,
    permitType: row.permit_type,
    status: row.status,
    statusUrl: permitUrl(row.id),
    applicant: { nib: row.applicant.nib, name: row.applicant.name },
    submittedAt: row.submitted_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    licence: row.licence,
  }
}

type SummaryRow = Pick<PermitRow, 'id' | 'reference_number' | 'permit_type' | 'client_reference' | 'status' | 'submitted_at' | 'status_changed_at' | 'due_at' | 'licence'>

export function summaryView(row: SummaryRow, partner: boolean) {
  return {
    id: row.id,
    referenceNumber: row.reference_number,
    permitType: row.permit_type,
    ...(partner ? {} : { clientReference: row.client_reference, dueAt: row.due_at.toISOString() }),
    status: row.status,
    statusUrl: permitUrl(row.id),
    submittedAt: row.submitted_at.toISOString(),
    statusChangedAt: row.status_changed_at.toISOString(),
    licence: row.licence,
  }
}

export function eventView(row: PermitEventRow) {
  return {
    sequence: row.sequence,
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id },
    hop: row.hop,
    outcome: row.outcome,
    statusFrom: row.status_from,
    statusTo: row.status_to,
    detail: row.detail,
    traceId: row.trace_id,
  }
}
