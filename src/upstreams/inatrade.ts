import { Type, type Static } from 'typebox'
import { AppError } from '../errors/app-error.ts'
import type { UpstreamClient } from './http-client.ts'
import { responseReader, UpstreamTimestamp } from './response-schema.ts'
import { gatewayRequestRejected, unexpectedStatus, upstreamErrorCode } from './upstream-errors.ts'
import type { UpstreamCallContext, UpstreamResponse } from './types.ts'

export { signCallbackBody, verifyCallbackSignature } from './callback-signature.ts'

export const InatradeApplicationStatusSchema = Type.Union([
  Type.Literal('RECEIVED'),
  Type.Literal('UNDER_REVIEW'),
  Type.Literal('APPROVED'),
  Type.Literal('REJECTED'),
  // Withdrawn at the applicant's request before a decision (POST …/cancel).
  Type.Literal('CANCELLED'),
])
export type InatradeApplicationStatus = Static<typeof InatradeApplicationStatusSchema>

export const InatradeLicenceSchema = Type.Object({
  number: Type.String(),
  issuedAt: UpstreamTimestamp(),
  validUntil: UpstreamTimestamp(),
})
export type InatradeLicence = Static<typeof InatradeLicenceSchema>

const SubmissionReceiptSchema = Type.Object({
  inatradeId: Type.String({ minLength: 1 }),
  referenceNumber: Type.String(),
  status: InatradeApplicationStatusSchema,
  receivedAt: UpstreamTimestamp(),
})

export const InatradeApplicationSchema = Type.Object({
  inatradeId: Type.String({ minLength: 1 }),
  referenceNumber: Type.String(),
  status: InatradeApplicationStatusSchema,
  history: Type.Array(
    Type.Object({ status: InatradeApplicationStatusSchema, at: UpstreamTimestamp(), reason: Type.Optional(Type.String()) }),
  ),
  licence: Type.Optional(InatradeLicenceSchema),
})
export type InatradeApplication = Static<typeof InatradeApplicationSchema>

const CancellationSchema = Type.Object({
  inatradeId: Type.String({ minLength: 1 }),
  status: Type.Literal('CANCELLED'),
  cancelledAt: UpstreamTimestamp(),
})

const ReportReceiptSchema = Type.Object({
  receiptNumber: Type.String({ minLength: 1 }),
  receivedAt: UpstreamTimestamp(),
})

/** Body of INATRADE's status callback; verify the signature on the raw body before reading it. */
export const InatradeCallbackEventSchema = Type.Object({
  event: Type.Literal('application.status_changed'),
  inatradeId: Type.String({ minLength: 1 }),
  referenceNumber: Type.String(),
  status: InatradeApplicationStatusSchema,
  occurredAt: UpstreamTimestamp(),
  reason: Type.Optional(Type.String()),
  licence: Type.Optional(InatradeLicenceSchema),
})
export type InatradeCallbackEvent = Static<typeof InatradeCallbackEventSchema>

export interface InatradeApplicationInput {
  referenceNumber: string
  permitType: string
  nib: string
  npwp: string
  applicant: { name: string; nik: string }
  payload: Record<string, unknown>
  /** Where INATRADE posts `application.status_changed` events. */
  callbackUrl: string
}

export interface InatradeRealisationReportInput {
  reportNumber: string
  nib: string
  licenceNumber: string
  period: { year: number; month: number }
  lines: Record<string, unknown>[]
}

/** Every INATRADE write carries the gateway's idempotency key, so its retries are safe. */
export interface IdempotentCallContext extends UpstreamCallContext {
  idempotencyKey: string
}

export interface InatradeSubmission {
  inatradeId: string
  status: InatradeApplicationStatus
  receivedAt: string
  /** INATRADE already had this key and body (200 instead of 202): no second application exists. */
  replayed: boolean
}

export interface InatradeReportReceipt {
  receiptNumber: string
  receivedAt: string
  replayed: boolean
}

/** What INATRADE answered a cancellation: withdrawn, too late (its decision stands), or unknown. */
export type InatradeCancellation =
  | { outcome: 'cancelled'; cancelledAt: string }
  | { outcome: 'already_decided'; status?: 'APPROVED' | 'REJECTED' }
  | { outcome: 'not_found' }

export type InatradeApplicationLookup = { found: true; application: InatradeApplication } | { found: false }

export interface InatradeAdapter {
  /**
   * Files an application. Throws `AppError`: `CONFLICT` when the key was already used with a
   * different body, `INTERNAL_ERROR` when INATRADE refuses what the gateway sent (a gateway bug),
   * and the client's upstream errors (`isTransientUpstreamError` tells which to retry later).
   */
  submitApplication(input: InatradeApplicationInput, ctx: IdempotentCallContext): Promise<InatradeSubmission>
  getApplication(inatradeId: string, ctx?: UpstreamCallContext): Promise<InatradeApplicationLookup>
  /** Withdraws an application before INATRADE decides; safe to repeat with the same key. */
  cancelApplication(inatradeId: string, ctx: IdempotentCallContext): Promise<InatradeCancellation>
  submitRealisationReport(input: InatradeRealisationReportInput, ctx: IdempotentCallContext): Promise<InatradeReportReceipt>
}

export function createInatradeAdapter(client: UpstreamClient): InatradeAdapter {
  // Checked, not cleaned: submitApplication copies the four fields it returns (a backlog's drain reads thousands a second).
  const submissionReader = responseReader('inatrade', 'application receipt', SubmissionReceiptSchema, { clean: false })
  const applicationReader = responseReader('inatrade', 'application', InatradeApplicationSchema)
  const reportReader = responseReader('inatrade', 'realisation report receipt', ReportReceiptSchema)
  const cancellationReader = responseReader('inatrade', 'cancellation', CancellationSchema)

  return {
    async submitApplication(input, { idempotencyKey, ...ctx }) {
      requireIdempotencyKey(idempotencyKey)
      const operation = 'an application submission'
      const response = await client.request({ method: 'POST', path: '/inatrade/v1/applications', body: input, idempotencyKey, ctx })
      if (response.status !== 200 && response.status !== 202) throw writeFailure(operation, response)
      const receipt = submissionReader.read(response.body)
      if (receipt.referenceNumber !== input.referenceNumber) {
        throw new AppError('UPSTREAM_BAD_RESPONSE', { detail: 'INATRADE acknowledged an application with a different reference number' })
      }
      return { inatradeId: receipt.inatradeId, status: receipt.status, receivedAt: receipt.receivedAt, replayed: isReplay(response) }
    },

    async getApplication(inatradeId, ctx) {
      const response = await client.request({ method: 'GET', path: `/inatrade/v1/applications/${encodeURIComponent(inatradeId)}`, ctx })
      switch (response.status) {
        case 200: {
          const application = applicationReader.read(response.body)
          if (application.inatradeId !== inatradeId) {
            throw new AppError('UPSTREAM_BAD_RESPONSE', { detail: 'INATRADE answered with a different application' })
          }
          return { found: true, application }
        }
        case 404:
          // A 404 without INATRADE's error code is a wrong route or base URL, not an unknown id.
          if (upstreamErrorCode(response) === 'APPLICATION_NOT_FOUND') return { found: false }
          throw unexpectedStatus('inatrade', 'an application look-up', response)
        case 400:
          throw gatewayRequestRejected('inatrade', 'an application look-up', response)
        default:
          throw unexpectedStatus('inatrade', 'an application look-up', response)
      }
    },

    async cancelApplication(inatradeId, { idempotencyKey, ...ctx }) {
      requireIdempotencyKey(idempotencyKey)
      const operation = 'an application cancellation'
      const response = await client.request({ method: 'POST', path: `/inatrade/v1/applications/${encodeURIComponent(inatradeId)}/cancel`, idempotencyKey, ctx })
      switch (response.status) {
        case 200: {
          const answer = cancellationReader.read(response.body)
          if (answer.inatradeId !== inatradeId) throw new AppError('UPSTREAM_BAD_RESPONSE', { detail: 'INATRADE cancelled a different application' })
          return { outcome: 'cancelled', cancelledAt: answer.cancelledAt }
        }
        case 404:
          if (upstreamErrorCode(response) === 'APPLICATION_NOT_FOUND') return { outcome: 'not_found' }
          throw unexpectedStatus('inatrade', operation, response)
        case 409: {
          if (upstreamErrorCode(response) !== 'ALREADY_DECIDED') throw writeFailure(operation, response)
          const status = (response.body as { status?: unknown }).status
          return { outcome: 'already_decided', status: status === 'APPROVED' || status === 'REJECTED' ? status : undefined }
        }
        default:
          throw writeFailure(operation, response)
      }
    },

    async submitRealisationReport(input, { idempotencyKey, ...ctx }) {
      requireIdempotencyKey(idempotencyKey)
      const operation = 'a realisation report'
      const response = await client.request({ method: 'POST', path: '/inatrade/v1/realisation-reports', body: input, idempotencyKey, ctx })
      if (response.status !== 200 && response.status !== 202) throw writeFailure(operation, response)
      const receipt = reportReader.read(response.body)
      return { receiptNumber: receipt.receiptNumber, receivedAt: receipt.receivedAt, replayed: isReplay(response) }
    },
  }
}

/** A repeated key with the same body: `200` instead of `202`, and `Idempotent-Replayed: true`. */
function isReplay(response: UpstreamResponse): boolean {
  return response.status === 200 || response.headers['idempotent-replayed'] === 'true'
}

/** INATRADE keeps keys of at most this many characters. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 255

function requireIdempotencyKey(key: string | undefined): void {
  if (typeof key !== 'string' || key.trim() === '') {
    // Without a key a retried write could file twice; refuse before anything leaves the gateway.
    throw new AppError('INTERNAL_ERROR', { detail: 'INATRADE writes need an idempotency key; the gateway called without one' })
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new AppError('INTERNAL_ERROR', { detail: `INATRADE idempotency keys are at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters; the gateway built a longer one` })
  }
}

function writeFailure(operation: string, response: UpstreamResponse): AppError {
  if (response.status === 409) {
    const code = upstreamErrorCode(response) ?? 'CONFLICT'
    return new AppError('CONFLICT', {
      detail:
        code === 'IDEMPOTENCY_KEY_REUSED'
          ? `INATRADE already holds ${operation} under this idempotency key with different content`
          : `INATRADE refused ${operation} as conflicting (${code})`,
    })
  }
  if (response.status === 400) return gatewayRequestRejected('inatrade', operation, response)
  return unexpectedStatus('inatrade', operation, response)
}
