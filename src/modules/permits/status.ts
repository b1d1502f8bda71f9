/**
 * The one transition table of a permit's status. The service asks `canMove` before it writes, and
 * the repository writes with `update … where status in (predecessorsOf(to))`, so two writers that
 * race (a callback and a reconciliation, an operator retry and a cancel) cannot both move a permit
 * or move it backwards: whoever loses updates no row.
 */
import type { PermitStatus } from '../../db/tables/permits.ts'

export type { PermitStatus }

export const PERMIT_STATUSES = [
  'submitted',
  'forwarded',
  'received',
  'under_review',
  'approved',
  'issued',
  'rejected',
  'cancelled',
  'forwarding_failed',
] as const satisfies readonly PermitStatus[]

/** Allowed next statuses of each status. */
const NEXT: Record<PermitStatus, readonly PermitStatus[]> = {
  // `received` straight from `submitted`: INATRADE's acknowledgement may come back as RECEIVED in the
  // same call that forwards it; `under_review`/`approved` from earlier states: a callback or a
  // reconciliation may report a later step before the gateway recorded the earlier ones.
  submitted: ['forwarded', 'received', 'under_review', 'approved', 'rejected', 'cancelled', 'forwarding_failed'],
  forwarded: ['received', 'under_review', 'approved', 'rejected', 'cancelled'],
  received: ['under_review', 'approved', 'rejected', 'cancelled'],
  under_review: ['approved', 'rejected', 'cancelled'],
  // Approved is a decision: the licence document follows (`issued`); it can no longer be cancelled.
  approved: ['issued'],
  issued: [],
  rejected: [],
  cancelled: [],
  // A dead letter: an operator's retry puts it back in the queue.
  forwarding_failed: ['submitted', 'cancelled'],
}

/** The statuses before a decision: a permit in one of them may be cancelled. */
export const CANCELLABLE: readonly PermitStatus[] = PERMIT_STATUSES.filter((status) => NEXT[status].includes('cancelled'))

/** Final statuses: nothing moves a permit out of them. */
export const FINAL: readonly PermitStatus[] = PERMIT_STATUSES.filter((status) => NEXT[status].length === 0)

export function canMove(from: PermitStatus, to: PermitStatus): boolean {
  return NEXT[from].includes(to)
}

/** Every status that may move to `to`: the `where status in (…)` guard of an update. */
export function predecessorsOf(to: PermitStatus): PermitStatus[] {
  return PERMIT_STATUSES.filter((from) => NEXT[from].includes(to))
}

/** How far along the journey a status is; a callback reporting an earlier rank is recorded, never applied. */
const RANK: Record<PermitStatus, number> = {
  submitted: 0,
  forwarding_failed: 0,
  forwarded: 1,
  received: 2,
  under_review: 3,
  approved: 4,
  rejected: 4,
  cancelled: 4,
  issued: 5,
}

export function isBehind(reported: PermitStatus, current: PermitStatus): boolean {
  return RANK[reported] < RANK[current]
}

/** INATRADE's statuses in the gateway's vocabulary. */
export function fromInatradeStatus(status: 'RECEIVED' | 'UNDER_REVIEW' | 'APPROVED' | 'REJECTED' | 'CANCELLED'): PermitStatus {
  switch (status) {
    case 'RECEIVED':
      return 'received'
    case 'UNDER_REVIEW':
      return 'under_review'
    case 'APPROVED':
      return 'approved'
    case 'REJECTED':
      return 'rejected'
    case 'CANCELLED':
      return 'cancelled'
  }
}
