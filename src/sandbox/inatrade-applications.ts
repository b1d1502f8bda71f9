/**
 * INATRADE's side of a permit application: received, reviewed by an officer, decided by the
 * Director General, each step announced to the gateway by a signed callback. The pace and the
 * outcome come from the applicant's sandbox identity, read once when the application arrives.
 */
import { randomInt, randomUUID } from 'node:crypto'
import type { SandboxIdentity } from './fixtures.ts'
import type { CallbackSender } from './inatrade-callbacks.ts'
import type { ApplicationBody } from './inatrade-schemas.ts'
import type { Scheduler } from './scheduler.ts'

export type ApplicationStatus = 'RECEIVED' | 'UNDER_REVIEW' | 'APPROVED' | 'REJECTED' | 'CANCELLED'

export const DEFAULT_STEP_DELAYS_MS: readonly [number, number] = [2000, 3000]
export const NOT_IN_OSS_REASON = 'NIB tidak terdaftar di OSS'
export const DEFAULT_REJECTION_REASON = 'Permohonan ditolak oleh verifikator: persyaratan tidak lengkap'

export interface Licence {
  number: string
  issuedAt: string
  validUntil: string
}

export interface HistoryEntry {
  status: ApplicationStatus
  at: string
  reason?: string
}

interface Plan {
  outcome: 'APPROVED' | 'REJECTED'
  reason?: string
  stepDelaysMs: readonly number[]
}

export interface Application {
  inatradeId: string
  referenceNumber: string
  nib: string
  callbackUrl: string
  status: ApplicationStatus
  history: HistoryEntry[]
  licence?: Licence
  plan: Plan
  /** The tail of this application's callbacks: each waits for the previous, so they arrive in order. */
  callbacks: Promise<unknown>
}

/**
 * Numbers that look like INATRADE's. They start at a random point and survive resets, so that a
 * restarted sandbox does not hand out a number the gateway's database already holds.
 */
export class Sequence {
  #next: number

  constructor(start = randomInt(1, 900_000)) {
    this.#next = start
  }

  next(): number {
    return this.#next++
  }
}

export function formatNumber(prefix: string, year: number, n: number): string {
  return `${prefix}/${year}/${String(n).padStart(6, '0')}`
}

function planFor(identity: SandboxIdentity | undefined): Plan {
  const section = identity?.inatrade
  const inOss = identity?.oss?.found === true
  // Without an explicit outcome, INATRADE does what the real one would: refuse an NIB OSS lacks.
  const outcome = section?.outcome ?? (inOss ? 'APPROVED' : 'REJECTED')
  const reason = outcome === 'REJECTED'
    ? section?.rejectionReason ?? (inOss ? DEFAULT_REJECTION_REASON : NOT_IN_OSS_REASON)
    : undefined
  return { outcome, reason, stepDelaysMs: section?.stepDelaysMs ?? DEFAULT_STEP_DELAYS_MS }
}

export interface ApplicationDeskOptions {
  scheduler: Scheduler
  callbacks: CallbackSender
  licences: Sequence
}

export class ApplicationDesk {
  readonly #options: ApplicationDeskOptions
  readonly #applications = new Map<string, Application>()

  constructor(options: ApplicationDeskOptions) {
    this.#options = options
  }

  get(inatradeId: string): Application | undefined {
    return this.#applications.get(inatradeId)
  }

  /** Forgets every application; the caller cancels the scheduler's timers. */
  clear(): void {
    this.#applications.clear()
  }

  receive(body: ApplicationBody, identity: SandboxIdentity | undefined): Application {
    const application: Application = {
      inatradeId: randomUUID(),
      referenceNumber: body.referenceNumber,
      nib: body.nib,
      callbackUrl: body.callbackUrl,
      status: 'RECEIVED',
      history: [{ status: 'RECEIVED', at: new Date().toISOString() }],
      plan: planFor(identity),
      callbacks: Promise.resolve(),
    }
    this.#applications.set(application.inatradeId, application)
    const [toReview = 0, toDecision = 0] = application.plan.stepDelaysMs
    // A cancelled application leaves the timetable: its pending steps find it CANCELLED and stop.
    this.#options.scheduler.schedule(toReview, () => {
      if (application.status === 'CANCELLED') return
      this.#advance(application, 'UNDER_REVIEW')
      this.#options.scheduler.schedule(toDecision, () => this.#decide(application))
    })
    return application
  }

  /**
   * Withdraws an application at the applicant's request. Idempotent: cancelling a cancelled
   * application answers the same. After a decision it is too late (`already_decided`). No
   * callback is sent for it: the caller asked, and has the answer.
   */
  cancel(inatradeId: string): { kind: 'not_found' } | { kind: 'already_decided'; status: ApplicationStatus } | { kind: 'cancelled'; application: Application } {
    const application = this.#applications.get(inatradeId)
    if (!application) return { kind: 'not_found' }
    if (application.status === 'APPROVED' || application.status === 'REJECTED') return { kind: 'already_decided', status: application.status }
    if (application.status !== 'CANCELLED') {
      application.status = 'CANCELLED'
      application.history.push({ status: 'CANCELLED', at: new Date().toISOString() })
    }
    return { kind: 'cancelled', application }
  }

  #decide(application: Application): void {
    if (application.status === 'CANCELLED') return
    const { outcome, reason } = application.plan
    if (outcome === 'APPROVED') {
      const issued = new Date()
      const validUntil = new Date(issued)
      validUntil.setUTCFullYear(validUntil.getUTCFullYear() + 1)
      application.licence = {
        number: formatNumber('IT.INATRADE', issued.getUTCFullYear(), this.#options.licences.next()),
        issuedAt: issued.toISOString(),
        validUntil: validUntil.toISOString(),
      }
    }
    this.#advance(application, outcome, reason)
  }

  #advance(application: Application, status: ApplicationStatus, reason?: string): void {
    const at = new Date().toISOString()
    application.status = status
    application.history.push(reason ? { status, at, reason } : { status, at })
    const payload = {
      event: 'application.status_changed',
      inatradeId: application.inatradeId,
      referenceNumber: application.referenceNumber,
      status,
      occurredAt: at,
      ...(reason ? { reason } : {}),
      ...(application.licence && status === 'APPROVED' ? { licence: application.licence } : {}),
    }
    const { callbacks, scheduler } = this.#options
    const signal = scheduler.signal
    application.callbacks = application.callbacks.then(() => callbacks.deliver(application.callbackUrl, payload, signal))
  }
}

/** The public view (`GET /inatrade/v1/applications/{id}`). */
export function applicationView(application: Application): Record<string, unknown> {
  return {
    inatradeId: application.inatradeId,
    referenceNumber: application.referenceNumber,
    status: application.status,
    history: application.history,
    ...(application.licence ? { licence: application.licence } : {}),
  }
}
