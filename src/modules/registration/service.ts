/**
 * Registration: run the check pipeline on a submitted form, store what passes with its tracking
 * number, and answer public tracking without personal data.
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { CheckResult, PostalAddress } from '../../db/tables/registration.ts'
import { AppError, type FieldError } from '../../errors/app-error.ts'
import type { Language } from '../../errors/language.ts'
import type { Principal } from '../../plugins/auth.ts'
import type { Upstreams } from '../../upstreams/index.ts'
import type { UpstreamCallContext } from '../../upstreams/types.ts'
import { runChecks } from './checks/index.ts'
import { digitsOf, normaliseMobile } from './checks/shape.ts'
import type { CheckContext, NormalisedForm, UploadedDocument } from './checks/types.ts'
import { queueMail } from '../identity/accounts/repository.ts'
import * as repo from './repository.ts'
import type { RegistrationForm } from './schemas.ts'
import { generateTrackingNumber, normaliseTrackingNumber, TRACKING_NUMBER_PATTERN } from './tracking-number.ts'

export interface RenderedCheck {
  step: string
  status: CheckResult['status']
  reason: string | null
  errors: FieldError[]
}

export function renderChecks(results: CheckResult[], language: Language): RenderedCheck[] {
  return results.map((result) => ({
    step: result.step,
    status: result.status,
    reason: result.reason?.[language] ?? null,
    errors: result.errors.map((error) => ({ pointer: error.pointer, in: 'body' as const, detail: error.detail[language], reason: error.reason })),
  }))
}

function normalise(form: RegistrationForm): NormalisedForm {
  return {
    nib: form.nibKind === 'none' || form.nib === undefined ? null : digitsOf(form.nib),
    npwp: form.npwpKind === 'none' || form.npwp === undefined ? null : digitsOf(form.npwp),
    identityNumber: form.applicant.identityType === 'nik' ? digitsOf(form.applicant.identityNumber) : form.applicant.identityNumber.trim().toUpperCase(),
    mobile: normaliseMobile(form.contact.mobile) ?? form.contact.mobile,
    email: form.contact.email.trim(),
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505'
}

/**
 * The steps that compare the form with OSS and DJP KSWP records. Their precise findings (whether a
 * NIK is a person in charge, a taxpayer's standing) are not an anonymous caller's to learn: the
 * caller is told only that the data do not match; operators see the findings; the contact address
 * gets a reference to quote to the helpdesk (see `storeRefusal`).
 */
const RECORD_STEPS: ReadonlySet<string> = new Set(['oss', 'djp'])

const RECORDS_MISMATCH = {
  en: 'the data do not match the OSS/DJP records: check the NIB, the NPWP, and the applicant\'s NIK and full name as registered in OSS; a reference was mailed to the contact address',
  id: 'data tidak sesuai dengan data OSS/DJP: periksa NIB, NPWP, serta NIK dan nama lengkap pemohon sebagaimana terdaftar di OSS; nomor referensi telah dikirim ke alamat email kontak',
}

/** The one answer to a submission that does not match the records, whatever the mismatch. */
export function recordsMismatch(language: Language): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: { en: 'The data do not match the OSS/DJP records.', id: 'Data tidak sesuai dengan data OSS/DJP.' },
    errors: [{ pointer: '/form', in: 'body', detail: RECORDS_MISMATCH[language], reason: 'records_mismatch' }],
  })
}

function checksFailed(failedSteps: CheckResult[], language: Language): AppError {
  const rendered = renderChecks(failedSteps, language)
  const names = failedSteps.map((step) => step.step).join(', ')
  return new AppError('VALIDATION_FAILED', {
    detail: {
      en: `The registration did not pass these checks: ${names}. Each invalid field is listed in errors.`,
      id: `Pendaftaran tidak lolos pemeriksaan: ${names}. Setiap isian yang tidak valid tercantum di errors.`,
    },
    errors: rendered.flatMap((check) => check.errors),
  })
}

function duplicateRegistration(step: CheckResult, language: Language): AppError {
  const [error] = renderChecks([step], language).flatMap((check) => check.errors)
  return new AppError('CONFLICT', {
    detail: step.reason ?? { en: 'This organisation is already registered or waiting for review.', id: 'Organisasi ini sudah terdaftar atau sedang menunggu pemeriksaan.' },
    errors: error ? [error] : undefined,
  })
}

type SubmitDeps = { db: Kysely<Database>; upstreams: Upstreams }
type SubmitInput = {
  form: RegistrationForm
  upload?: { content: Buffer; fileName: string | null }
  language: Language
  upstreamContext?: UpstreamCallContext
  /** Called once a refusal (and its mail) is stored. */
  onRefused?: () => void
}

/**
 * Runs the checks and answers, in this order: a malformed form (422, every field: no records are
 * involved); an upstream outage (503/504); a mismatch with the OSS/DJP records (422, generic; the
 * findings are stored as a `refused` registration and mailed); a duplicate (409: told only once the
 * data matched the records); a missing power of attorney (422); otherwise stored for review (202).
 */
export async function submitRegistration(deps: SubmitDeps, input: SubmitInput) {
  const upload = input.upload ? { ...input.upload, sha256: createHash('sha256').update(input.upload.content).digest('hex') } : undefined
  const context: CheckContext = {
    form: input.form,
    normalised: normalise(input.form),
    upload,
    db: deps.db,
    upstreams: deps.upstreams,
    upstreamContext: input.upstreamContext,
    results: [],
  }
  const outcome = await runChecks(context)
  const failedSteps = outcome.results.filter((result) => result.status === 'failed')
  const shape = failedSteps.find((step) => step.step === 'shape')
  if (shape) throw checksFailed([shape], input.language)
  if (outcome.upstreamError) throw outcome.upstreamError
  if (failedSteps.some((step) => RECORD_STEPS.has(step.step))) {
    await storeRefusal(deps.db, context, outcome.results, upload)
    input.onRefused?.()
    throw recordsMismatch(input.language)
  }
  const duplicate = failedSteps.find((step) => step.step === 'duplicates')
  if (duplicate) throw duplicateRegistration(duplicate, input.language)
  if (failedSteps.length) throw checksFailed(failedSteps, input.language)
  return storeForReview(deps.db, context, outcome.results, upload, input.language)
}

function registrationRow(context: CheckContext, checks: CheckResult[]): repo.NewRegistration {
  const { form, normalised } = context
  // The OSS profile as seen now, kept for the operator; the persons in charge's NIKs stay in OSS.
  const ossProfile = context.oss ? { ...context.oss, personsInCharge: context.oss.personsInCharge.map(({ name, position }) => ({ name, position })) } : null
  return {
    trackingNumber: generateTrackingNumber(),
    purpose: form.purpose,
    userType: form.userType,
    traderType: form.traderType,
    nibKind: form.nibKind,
    nib: normalised.nib,
    npwpKind: form.npwpKind,
    npwp: normalised.npwp,
    organisationName: form.organisationName.trim(),
    businessTypes: form.businessTypes,
    address: form.address as PostalAddress,
    applicantName: form.applicant.fullName.trim(),
    applicantPosition: form.applicant.position.trim(),
    identityType: form.applicant.identityType,
    identityNumber: normalised.identityNumber,
    email: normalised.email,
    mobile: normalised.mobile,
    checks,
    ossProfile,
  }
}

function documentDetails(upload: UploadedDocument | undefined) {
  return { document: upload ? { sha256: upload.sha256, sizeBytes: upload.content.length } : null }
}

/**
 * The findings go where operators read them (a `refused` registration); the contact address only
 * learns that the data did not match, with a reference for the helpdesk. The address is whatever
 * the caller typed, so mailing the precise findings there would turn registration back into the
 * anonymous lookup it must not be (is this NIK a person in charge of that NIB?). The upload is not kept.
 */
async function storeRefusal(db: Kysely<Database>, context: CheckContext, checks: CheckResult[], upload: UploadedDocument | undefined) {
  await db.transaction().execute(async (trx) => {
    const row = await repo.insertRegistration(trx, { ...registrationRow(context, checks), status: 'refused' })
    await repo.insertEvent(trx, { registrationId: row.id, event: 'refused', actorUserId: null, details: documentDetails(upload) })
    await queueMail(trx, refusalMail(context, row.tracking_number))
  })
}

/** In both languages; names no finding, only where the data come from and the reference. */
function refusalMail(context: CheckContext, reference: string) {
  return {
    to: context.normalised.email,
    template: 'registration-refused',
    subject: 'INSW: data pendaftaran tidak sesuai / registration data do not match',
    text: [
      `Pendaftaran INSW untuk ${context.form.organisationName.trim()} tidak dapat diproses: data tidak sesuai dengan data OSS/DJP. / The INSW registration could not be processed: the data do not match the OSS/DJP records.`,
      '',
      `Nomor referensi / Reference: ${reference}`,
      '',
      'Periksa NIB, NPWP, nama dan NIK penanggung jawab (di OSS bila perlu) lalu daftar kembali; layanan bantuan INSW dapat menjelaskan rinciannya dengan nomor referensi ini. Bila Anda tidak mengajukan pendaftaran ini, abaikan email ini. / Check the NIB, the NPWP and the person in charge\'s name and NIK (at OSS if needed) and register again; the INSW helpdesk can explain the details given this reference. If you did not submit this registration, ignore this mail.',
    ].join('\n'),
  }
}

async function storeForReview(db: Kysely<Database>, context: CheckContext, checks: CheckResult[], upload: UploadedDocument | undefined, language: Language) {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await repo.insertRegistration(trx, registrationRow(context, checks))
      if (upload) await repo.insertDocument(trx, { registrationId: row.id, content: upload.content, sha256: upload.sha256, fileName: upload.fileName })
      await repo.insertEvent(trx, { registrationId: row.id, event: 'submitted', actorUserId: null, details: documentDetails(upload) })
      return {
        trackingNumber: row.tracking_number,
        status: row.status,
        statusUrl: `/v1/registrations/${row.tracking_number}`,
        checks: renderChecks(checks, language),
      }
    })
  } catch (error) {
    // Two submissions for one NIB at the same moment: the partial unique index lets only one in.
    if (isUniqueViolation(error)) {
      throw new AppError('CONFLICT', {
        detail: { en: 'A registration for this NIB or NPWP is already waiting for review.', id: 'Pendaftaran untuk NIB atau NPWP ini sedang menunggu pemeriksaan.' },
      })
    }
    throw error
  }
}

/** Public tracking: status and check results only. Undefined for an unknown number. */
export async function trackRegistration(db: Kysely<Database>, rawTrackingNumber: string, language: Language) {
  const trackingNumber = normaliseTrackingNumber(rawTrackingNumber)
  if (!TRACKING_NUMBER_PATTERN.test(trackingNumber)) return undefined
  const row = await repo.findByTrackingNumber(db, trackingNumber)
  // A refused submission's number was never handed out; its findings are for operators only.
  if (!row || row.status === 'refused') return undefined
  return {
    trackingNumber: row.tracking_number,
    status: row.status,
    submittedAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    decisionReason: row.status === 'rejected' ? row.decision_reason : null,
    checks: renderChecks(row.checks, language),
  }
}

export function registrationNotFound(): AppError {
  return new AppError('NOT_FOUND', {
    detail: { en: 'No registration has this tracking number.', id: 'Tidak ada pendaftaran dengan nomor pelacakan ini.' },
  })
}

/**
 * The power of attorney, for platform operators and the super admin of the organisation the
 * registration became. Everyone else gets 404, not 403: the document's existence is not theirs to know.
 */
export async function readPowerOfAttorney(db: Kysely<Database>, principal: Principal, rawTrackingNumber: string) {
  const registration = await repo.findByTrackingNumber(db, normaliseTrackingNumber(rawTrackingNumber))
  const user = principal.kind === 'user' ? await db.selectFrom('users').select(['level', 'status', 'organisation_id']).where('id', '=', principal.subject).executeTakeFirst() : undefined
  const allowed =
    registration &&
    user?.status === 'active' &&
    (user.level === 'platform_operator' || (user.level === 'super_admin' && user.organisation_id !== null && user.organisation_id === registration.organisation_id))
  if (!registration || !allowed) throw registrationNotFound()
  const document = await repo.findDocument(db, registration.id)
  if (!document) {
    throw new AppError('NOT_FOUND', { detail: { en: 'This registration has no uploaded power of attorney.', id: 'Pendaftaran ini tidak memiliki surat kuasa yang diunggah.' } })
  }
  return { content: Buffer.from(document.content), sha256: document.sha256, trackingNumber: registration.tracking_number }
}
