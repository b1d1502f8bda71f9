/**
 * Permit rules. Every method checks the caller first (src/modules/orgs/authorize.ts): create needs
 * Create on SSM Perizinan (`permits:write` for machine clients), read View (`permits:read`),
 * cancel Delete (`permits:write` for machine clients: the system that submits may withdraw);
 * another organisation's permit is 404. A surveyor's or insurer's machine client reads only the
 * permits naming its organisation, in the partner view.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import { addWorkingDays } from '../../calendar/working-days.ts'
import type { Database } from '../../db/schema.ts'
import { AppError, isAppError } from '../../errors/app-error.ts'
import type { Language } from '../../errors/language.ts'
import { decodeCursor, DEFAULT_PAGE_SIZE, nextLink, toPage } from '../../http/pagination.ts'
import { canonicalSha256, type ReceiptSigner } from '../../identity/receipts.ts'
import { QUEUES } from '../../jobs/queues.ts'
import type { JobEngine } from '../../jobs/types.ts'
import type { Principal } from '../../plugins/auth.ts'
import type { Upstreams } from '../../upstreams/index.ts'
import { newTraceId, parseTraceparent } from '../../upstreams/traceparent.ts'
import type { UpstreamCallContext } from '../../upstreams/types.ts'
import { blockingSanctions } from '../compliance/blocking.ts'
import { referenceNumber } from './reference-number.ts'
import { callerOrganisationId, forbidden, requireOrgRight } from '../orgs/authorize.ts'
import { checksFailed, runPermitChecks } from './checks/index.ts'
import type { CheckResult, PermitCheckContext, PermitTypeSource } from './checks/types.ts'
import { claimedKeyCompletion, completedKeyInsert, idempotencyKeyInFlight, KEY_ERRORS, KeyAnswered, KeyHold, type StoredAnswer } from './idempotency.ts'
import type { EventActor } from './journey.ts'
import { firstEventRows, lockPermit, moveStatus, recordEvent } from './journey.ts'
import type { OrganisationDirectory } from './organisations.ts'
import {
  findPermit,
  findPermitByClientReference,
  insertSubmission,
  listPermitEvents,
  type NewPermit,
  type SubmissionRows,
  listPermits,
  type PermitAudience,
  type PermitListFilter,
} from './repository.ts'
import type { CancelPermit, PermitEventsQuery, PermitListQuery, PermitSubmission } from './schemas.ts'
import { CANCELLABLE } from './status.ts'
import { eventView, ownerView, partnerView, permitEventsUrl, permitUrl, summaryView } from './views.ts'
import { effectiveSurveyorNib } from './checks/business-rules.ts'

export const SUBMIT_OPERATION = 'permits.create'
export const FORWARD_QUEUE = QUEUES.permitForward.name
export const CANCEL_QUEUE = QUEUES.permitCancel.name

export interface PermitDeps {
  db: Kysely<Database>
  upstreams: Upstreams
  types: PermitTypeSource
  jobs: JobEngine
  receipts: ReceiptSigner
  /** Per app: the organisations submissions read, cached briefly (organisations.ts). */
  organisations: OrganisationDirectory
}

const MENU = 'SSM_PERIZINAN'
const SYSTEM: EventActor = { type: 'system' }
/** A NIK as INATRADE takes it (forwarding.ts checks the same). */
const NIK = /^[0-9]{16}$/

export function permitNotFound(): AppError {
  return new AppError('NOT_FOUND', { detail: { en: 'No permit with this id is visible to you.', id: 'Tidak ada izin dengan id ini yang dapat Anda lihat.' } })
}

function actorOf(principal: Principal): EventActor {
  return principal.kind === 'client' ? { type: 'client', id: principal.clientId } : { type: 'user', id: principal.subject }
}

function organisationOf(principal: Principal): string {
  return callerOrganisationId(principal, { en: 'Only members of an organisation work with permits.', id: 'Hanya anggota organisasi yang dapat mengelola izin.' })
}

/** Partners (surveyor, insurer clients) never submit, validate or cancel: the answer of a permit they cannot see. */
function isPartner(principal: Principal): principal is Principal & { client: { kind: 'surveyor' | 'insurer' } } {
  return principal.kind === 'client' && principal.client !== undefined && principal.client.kind !== 'inhouse'
}

async function requireSubmitter(db: Kysely<Database>, principal: Principal): Promise<string> {
  if (isPartner(principal)) throw forbidden('Surveyor and insurer clients do not submit permits.', 'Klien surveyor dan asuransi tidak mengajukan izin.')
  const organisationId = organisationOf(principal)
  await requireOrgRight(db, principal, organisationId, MENU, 'create')
  await refuseWhileSanctioned(db, organisationId)
  return organisationId
}

/** A frozen or barred organisation applies for nothing new: the problem says why and how to clear it. */
async function refuseWhileSanctioned(db: Kysely<Database>, organisationId: string): Promise<void> {
  const blocking = await blockingSanctions(db, organisationId)
  if (blocking.length === 0) return
  const why = blocking.map((sanction) => `${sanction.code} (${sanction.reason})`).join('; ')
  throw new AppError('SUBMISSIONS_BLOCKED', {
    detail: {
      en: `New applications are refused while these sanctions are active: ${why}. Submit the overdue realisation reports (GET /v1/obligations?status=overdue), then ask the INSW contact centre to lift them; GET /v1/compliance shows where you stand.`,
      id: `Permohonan baru ditolak selama sanksi berikut aktif: ${why}. Sampaikan laporan realisasi yang terlambat (GET /v1/obligations?status=overdue), lalu minta pusat kontak INSW mencabutnya; GET /v1/compliance menunjukkan status Anda.`,
    },
  })
}

/** Who reads: the organisation (View), or a partner reading the permits that name it. */
async function requireReader(db: Kysely<Database>, principal: Principal): Promise<PermitAudience> {
  if (isPartner(principal)) return { kind: principal.client.kind, organisationId: principal.client.organisation.id }
  const organisationId = organisationOf(principal)
  await requireOrgRight(db, principal, organisationId, MENU, 'view')
  return { kind: 'owner', organisationId }
}

/** `PRM-<year>-<10 base32 characters>`: 50 random bits, unguessable and easy to read out. */
export function newReferenceNumber(now: Date): string {
  return referenceNumber('PRM', now)
}

/** The forwarding job of a new permit, enqueued in its transaction (the one place that names the queue). */
export const forwardingSingletonKey = (permitId: string): string => `permit:${permitId}`

export async function enqueueForwarding(trx: Transaction<Database>, jobs: JobEngine, permitId: string): Promise<void> {
  await jobs.send(trx, FORWARD_QUEUE, { permitId }, { singletonKey: forwardingSingletonKey(permitId) })
}

/** Tells INATRADE of a cancellation (the inatrade module's worker), in the cancel's transaction. */
export async function enqueueInatradeCancel(trx: Transaction<Database>, jobs: JobEngine, permitId: string): Promise<void> {
  await jobs.send(trx, CANCEL_QUEUE, { permitId }, { singletonKey: `permit-cancel:${permitId}` })
}

function duplicateClientReference(existingId: string): AppError {
  const url = permitUrl(existingId)
  return new AppError('CONFLICT', {
    detail: {
      en: `Your organisation already submitted a permit with this clientReference: ${existingId} (${url}).`,
      id: `Organisasi Anda sudah mengajukan izin dengan clientReference ini: ${existingId} (${url}).`,
    },
    headers: { location: url },
  })
}

interface PipelineInput {
  organisationId: string
  body: PermitSubmission
  upstreamContext?: UpstreamCallContext
  now: Date
  beforeUpstreamCall?: () => Promise<void>
}

async function runPipeline(deps: PermitDeps, input: PipelineInput): Promise<PermitCheckContext> {
  const organisation = await deps.organisations.submitting(input.organisationId)
  if (!organisation) throw permitNotFound()
  const context: PermitCheckContext = {
    submission: input.body,
    organisation,
    types: deps.types,
    organisations: deps.organisations,
    upstreams: deps.upstreams,
    upstreamContext: input.upstreamContext,
    beforeUpstreamCall: input.beforeUpstreamCall,
    now: input.now,
    results: [],
  }
  const outcome = await runPermitChecks(context)
  if (outcome.upstreamError) throw outcome.upstreamError
  return context
}

function checkResultsView(results: CheckResult[], language: Language) {
  return results.map((result) => ({
    step: result.step as 'shape' | 'oss' | 'djp_kswp' | 'business_rules',
    status: result.status,
    reason: result.reason ? result.reason[language] : null,
    errors: result.errors.map((error) => ({ pointer: error.pointer, in: 'body' as const, detail: error.detail[language], reason: `${result.step}.${error.reason}` })),
  }))
}

export interface ValidateInput {
  principal: Principal
  body: PermitSubmission
  language: Language
  upstreamContext?: UpstreamCallContext
}

/** The submission's pipeline as a dry run: no row, no job, no key. */
export async function validatePermit(deps: PermitDeps, input: ValidateInput) {
  const organisationId = await requireSubmitter(deps.db, input.principal)
  const context = await runPipeline(deps, { organisationId, body: input.body, upstreamContext: input.upstreamContext, now: new Date() })
  const checks = checkResultsView(context.results, input.language)
  return { valid: checks.every((check) => check.status === 'passed' || check.status === 'skipped'), checks }
}

export interface SubmitInput {
  principal: Principal
  body: PermitSubmission
  idempotencyKey?: string
  language: Language
  /** The caller's `traceparent`: the journey joins its trace. */
  traceparent?: string
  upstreamContext?: UpstreamCallContext
}

export interface SubmitAnswer extends StoredAnswer {
  replayed: boolean
}

export async function submitPermit(deps: PermitDeps, input: SubmitInput): Promise<SubmitAnswer> {
  const organisationId = await requireSubmitter(deps.db, input.principal)
  const submissionSha256 = canonicalSha256(input.body)
  const key = input.idempotencyKey
    ? new KeyHold(deps.db, { organisationId, operation: SUBMIT_OPERATION, key: input.idempotencyKey, requestSha256: submissionSha256 })
    : undefined
  try {
    return await acceptSubmission(deps, input, organisationId, submissionSha256, key)
  } catch (error) {
    if (error instanceof KeyAnswered) return { ...error.answer, replayed: true }
    if (!key || (isAppError(error) && KEY_ERRORS.has(error.code))) throw error
    // A failure (422, 503, 409 clientReference) of a request whose key already answered it is the
    // retry of an accepted submission: it replays that answer, never a new verdict.
    let earlier: StoredAnswer | undefined
    try {
      earlier = await key.afterFailure()
    } catch (keyError) {
      if (isAppError(keyError) && KEY_ERRORS.has(keyError.code)) throw keyError
      throw error
    }
    if (earlier) return { ...earlier, replayed: true }
    throw error
  }
}

/** Statements that met the key, at most: the first, the one after the claim, one after a lost claim. */
const STORE_ATTEMPTS = 3

async function acceptSubmission(deps: PermitDeps, input: SubmitInput, organisationId: string, submissionSha256: string, key: KeyHold | undefined): Promise<SubmitAnswer> {
  const { body, principal } = input
  // clientReference uniqueness is the insert's (a unique index): no extra query on the hot path.
  const context = await runPipeline(deps, { organisationId, body, upstreamContext: input.upstreamContext, now: new Date(), beforeUpstreamCall: key && (() => key.claim()) })
  if (!context.results.every((result) => result.status === 'passed' || result.status === 'skipped')) throw checksFailed(context.results, input.language)
  const type = context.type!
  const organisation = context.organisation

  const now = new Date()
  const permitId = randomUUID()
  const traceId = parseTraceparent(input.traceparent)?.traceId ?? newTraceId()
  const dueAt = addWorkingDays(now, type.slaWorkingDays)
  const receivedAt = now.toISOString()
  const receipt = await deps.receipts.sign({ permitId, orgId: organisationId, clientReference: body.clientReference, submissionSha256, receivedAt }, now)
  const accepted = {
    permit: {
      id: permitId,
      referenceNumber: newReferenceNumber(now),
      permitType: type.code,
      clientReference: body.clientReference,
      status: 'submitted' as const,
      statusUrl: permitUrl(permitId),
      eventsUrl: permitEventsUrl(permitId),
      submittedAt: receivedAt,
      dueAt: dueAt.toISOString(),
    },
    receipt,
  }
  const answer: StoredAnswer = {
    status: 202,
    headers: { location: accepted.permit.statusUrl, 'content-type': 'application/json; charset=utf-8' },
    // Built field by field above, so plain JSON is the contract's shape; these bytes are what a replay answers.
    body: JSON.stringify(accepted),
  }
  // Who INATRADE is told applies (forwarding.ts reads it first, so forwarding needs no query and no
  // OSS call): OSS's first person in charge with a NIK, from the look-up the pipeline just did; a
  // submitting user's own NIK replaces it in the insert (repository.ts). Personal data: never logged.
  const person = context.oss?.personsInCharge.find((candidate) => NIK.test(candidate.nik))
  const permit: NewPermit = {
    id: permitId,
    organisation_id: organisationId,
    reference_number: accepted.permit.referenceNumber,
    permit_type: type.code,
    client_reference: body.clientReference,
    applicant: {
      nib: organisation.nib!,
      npwp: (organisation.npwp ?? context.oss?.npwp)!,
      name: organisation.name,
      address: organisation.address,
      ...(person ? { personInCharge: { name: person.name, nik: person.nik } } : {}),
    },
    payload: body.payload,
    surveyor_nib: effectiveSurveyorNib(body) ?? null,
    surveyor_organisation_id: context.surveyorOrganisationId ?? null,
    insurer_nib: body.insurerNib ?? null,
    insurer_organisation_id: context.insurerOrganisationId ?? null,
    documents: body.documents ?? [],
    submission_sha256: submissionSha256,
    receipt,
    trace_id: traceId,
    submitted_by_type: principal.kind,
    submitted_by_id: principal.kind === 'client' ? principal.clientId : principal.subject,
    submitted_at: now,
    due_at: dueAt,
    status_changed_at: now,
    updated_at: now,
  }
  // The journey starts with the look-ups that admitted it (hops OSS and DJP KSWP), then the submission.
  const events = firstEventRows({ id: permitId, organisation_id: organisationId, trace_id: traceId, status: 'submitted' }, [
    { type: 'permit.oss_checked', actor: SYSTEM, hop: 'oss', outcome: 'succeeded', detail: { nib: organisation.nib, businessType: type.businessType }, occurredAt: context.endedAt?.oss },
    { type: 'permit.kswp_checked', actor: SYSTEM, hop: 'djp_kswp', outcome: 'succeeded', detail: { status: 'VALID' }, occurredAt: context.endedAt?.djp_kswp },
    {
      type: 'permit.submitted',
      actor: actorOf(principal),
      hop: 'gateway',
      outcome: 'succeeded',
      detail: { checks: Object.fromEntries(context.results.map((result) => [result.step, result.status])), referenceNumber: accepted.permit.referenceNumber },
      occurredAt: now,
    },
  ], now)
  const rows = { permit, events, submitterUserId: principal.kind === 'user' ? principal.subject : undefined }

  for (let attempt = 1; ; attempt++) {
    if (await storeSubmission(deps, rows, key, answer, now)) {
      // The forward queue does not NOTIFY (src/jobs/queues.ts): this instance's workers start now, others at their poll.
      deps.jobs.wake(FORWARD_QUEUE)
      return { ...answer, replayed: false }
    }
    // The key exists (or our claim was lost): the claim replays it (KeyAnswered), refuses (422/409)
    // or takes it over, and the permit is stored again under the claimed key.
    if (!key || attempt === STORE_ATTEMPTS) throw idempotencyKeyInFlight()
    key.claimed = false
    await key.claim()
  }
}

/**
 * The accepted submission in one transaction: the key (written completed, or the claim completed),
 * the permit and its first events in one statement, then the forwarding job: BEGIN, that
 * statement, the job, COMMIT. False, with nothing stored, when the statement met the key.
 */
async function storeSubmission(deps: PermitDeps, rows: Omit<SubmissionRows, 'onlyIf' | 'job'>, key: KeyHold | undefined, answer: StoredAnswer, now: Date): Promise<boolean> {
  const guard = (db: Kysely<Database> | Transaction<Database>) =>
    key && (key.claimed ? claimedKeyCompletion(db, key.scope, answer) : completedKeyInsert(db, key.scope, answer, now))
  try {
    // Preferably one statement with the job folded in (one round trip, no BEGIN/COMMIT); else a
    // transaction around the statement and the job's own insert.
    const job = await deps.jobs.insertStatement(FORWARD_QUEUE, { permitId: rows.permit.id }, { singletonKey: forwardingSingletonKey(rows.permit.id) })
    if (job) return await insertSubmission(deps.db, { ...rows, onlyIf: guard(deps.db), job })
    return await deps.db.transaction().execute(async (trx) => {
      if (!(await insertSubmission(trx, { ...rows, onlyIf: guard(trx) }))) return false
      await enqueueForwarding(trx, deps.jobs, rows.permit.id)
      return true
    })
  } catch (error) {
    // Another request with the same clientReference committed first.
    if ((error as { code?: string }).code === '23505') {
      const winner = await findPermitByClientReference(deps.db, rows.permit.organisation_id, rows.permit.client_reference)
      if (winner) throw duplicateClientReference(winner.id)
    }
    throw error
  }
}

export async function getPermit(deps: Pick<PermitDeps, 'db'>, principal: Principal, permitId: string) {
  const audience = await requireReader(deps.db, principal)
  const row = await findPermit(deps.db, permitId)
  if (!row) throw permitNotFound()
  if (audience.kind === 'owner') {
    if (row.organisation_id !== audience.organisationId) throw permitNotFound()
    return ownerView(row)
  }
  const named = audience.kind === 'surveyor' ? row.surveyor_organisation_id : row.insurer_organisation_id
  if (named !== audience.organisationId) throw permitNotFound()
  return partnerView(row, audience.kind)
}

export async function listOrgPermits(deps: Pick<PermitDeps, 'db'>, principal: Principal, query: PermitListQuery, requestUrl: string) {
  const audience = await requireReader(deps.db, principal)
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const now = new Date()
  const filter: PermitListFilter = {
    audience,
    status: query.status as PermitListFilter['status'],
    permitType: query.permitType,
    clientReference: query.clientReference,
    submittedFrom: query.submittedFrom,
    submittedTo: query.submittedTo,
    cursor: decodeCursor(query.cursor),
    limit,
  }
  if (query.sla === 'breached') filter.dueBefore = now
  if (query.sla === 'at_risk') {
    // slaState's rule: not breached, and due by the end of the next working day.
    filter.dueFrom = now
    filter.dueBefore = new Date(addWorkingDays(now, 1).getTime() + 1)
  }
  const rows = await listPermits(deps.db, filter)
  const partner = audience.kind !== 'owner'
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), (row) => summaryView(row, partner), (cursor) => nextLink(requestUrl, cursor))
}

export async function listEvents(deps: Pick<PermitDeps, 'db'>, principal: Principal, permitId: string, query: PermitEventsQuery, requestUrl: string) {
  const audience = await requireReader(deps.db, principal)
  // Events are the applicant's: partners see the status, not the journey.
  if (audience.kind !== 'owner') throw permitNotFound()
  const row = await findPermit(deps.db, permitId)
  if (!row || row.organisation_id !== audience.organisationId) throw permitNotFound()
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const rows = await listPermitEvents(deps.db, permitId, query.cursor === undefined ? 0 : Number(query.cursor), limit)
  const page = rows.slice(0, limit)
  const next = rows.length > limit ? nextLink(requestUrl, String(page.at(-1)!.sequence)) : null
  return { items: page.map(eventView), next }
}

export interface CancelInput {
  principal: Principal
  permitId: string
  body: CancelPermit
}

export async function cancelPermit(deps: Pick<PermitDeps, 'db' | 'jobs'>, input: CancelInput) {
  const { principal } = input
  if (isPartner(principal)) throw permitNotFound()
  const organisationId = organisationOf(principal)
  // Users: Delete on SSM Perizinan. Machine clients: permits:write (the route's scope), which maps to Create.
  await requireOrgRight(deps.db, principal, organisationId, MENU, principal.kind === 'client' ? 'create' : 'delete')
  const reason = input.body.reason ?? null
  return deps.db.transaction().execute(async (trx): Promise<{ statusCode: 200 | 202; body: { permit: ReturnType<typeof ownerView>; cancellation: 'cancelled' | 'requested' } }> => {
    const current = await lockPermit(trx, input.permitId)
    if (!current || current.organisation_id !== organisationId) throw permitNotFound()
    if (!CANCELLABLE.includes(current.status)) {
      throw new AppError('CONFLICT', {
        detail: {
          en: `The permit is ${current.status}: only a permit without a decision (${CANCELLABLE.join(', ')}) can be cancelled.`,
          id: `Izin berstatus ${current.status}: hanya izin yang belum diputus (${CANCELLABLE.join(', ')}) yang dapat dibatalkan.`,
        },
      })
    }
    const now = new Date()
    const event = { actor: actorOf(principal), hop: 'gateway' as const, outcome: 'succeeded' as const, detail: reason ? { reason } : {}, occurredAt: now }
    if (current.inatrade_id !== null) {
      // At INATRADE, INATRADE decides whether it can still be withdrawn (it may have decided a moment
      // ago): the permit.cancel job asks, and moves the permit to `cancelled` once INATRADE confirms.
      // Cancelling here at once could show `cancelled` while INATRADE issues a licence.
      await recordEvent(trx, current.id, { ...event, type: 'permit.cancel_requested' })
      await enqueueInatradeCancel(trx, deps.jobs, current.id)
      return { statusCode: 202, body: { permit: ownerView(current, now), cancellation: 'requested' } }
    }
    // Not at INATRADE: cancelled at once. A forward on the wire right now sees `cancelled` when it
    // returns and withdraws the application itself (forwarding.ts).
    const moved = await moveStatus(trx, current.id, 'cancelled', { ...event, type: 'permit.cancelled' }, { decided_at: now, decision_reason: reason })
    if (!moved.moved) throw new AppError('CONFLICT', { detail: { en: 'The permit changed meanwhile; read it again.', id: 'Izin berubah sementara itu; baca ulang.' } })
    return { statusCode: 200, body: { permit: ownerView(moved.permit, now), cancellation: 'cancelled' } }
  })
}
