/**
 * Platform operators screen registrations. Approval, in one transaction: lock the registration,
 * create the organisation (profile from OSS), its super admin with a generated username, the
 * activation tokens and the mail; record the decision. Concurrent approvals queue on the row lock:
 * the first wins, the others see it decided and get 409. Two registrations for one NIB cannot both
 * become organisations (organisations.nib is unique).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { RegistrationStatus } from '../../db/tables/registration.ts'
import { AppError } from '../../errors/app-error.ts'
import type { Language } from '../../errors/language.ts'
import { decodeCursor, nextLink, toPage } from '../../http/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import type { Upstreams } from '../../upstreams/index.ts'
import type { OssBusiness } from '../../upstreams/oss.ts'
import { generateOneTimeToken } from '../identity/accounts/one-time-token.ts'
import { insertOneTimeToken, insertUser, queueMail } from '../identity/accounts/repository.ts'
import { nextUsername } from '../identity/accounts/username.ts'
import * as registrations from '../registration/repository.ts'
import { registrationNotFound, renderChecks } from '../registration/service.ts'
import { normaliseTrackingNumber } from '../registration/tracking-number.ts'
import type { OperatorRegistration } from './schemas.ts'
import { grantAllMenus } from '../menus/service.ts'
import { registrationApprovedTexts } from '../notifications/catalogue.ts'
import { insertNotification } from '../notifications/repository.ts'

/** Activation links live three days: approval is announced within a day, people read mail late. */
export const ACTIVATION_TOKEN_TTL_MS = 72 * 60 * 60 * 1000

/** Operators are people with the platform_operator level; the scope alone is only a ceiling. */
export async function assertOperator(db: Kysely<Database>, principal: Principal): Promise<{ id: string; username: string }> {
  const user =
    principal.kind === 'user'
      ? await db.selectFrom('users').select(['id', 'username', 'level', 'status']).where('id', '=', principal.subject).executeTakeFirst()
      : undefined
  if (!user || user.level !== 'platform_operator' || user.status !== 'active') {
    throw new AppError('FORBIDDEN', { detail: { en: 'Only platform operators may screen registrations.', id: 'Hanya operator platform yang dapat memeriksa pendaftaran.' } })
  }
  return { id: user.id, username: user.username }
}

export async function listRegistrations(
  db: Kysely<Database>,
  principal: Principal,
  query: { status?: RegistrationStatus; limit?: number; cursor?: string },
  requestUrl: string,
) {
  await assertOperator(db, principal)
  const limit = query.limit ?? 20
  const rows = await registrations.listRegistrations(db, { status: query.status, after: decodeCursor(query.cursor), limit })
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.position, id: row.id }),
    (row) => ({
      trackingNumber: row.tracking_number,
      status: row.status,
      traderType: row.trader_type,
      nib: row.nib,
      organisationName: row.organisation_name,
      applicantName: row.applicant_name,
      submittedAt: row.created_at.toISOString(),
      decidedAt: row.decided_at?.toISOString() ?? null,
    }),
    (cursor) => nextLink(requestUrl, cursor),
  )
}

export async function getRegistration(db: Kysely<Database>, principal: Principal, rawTrackingNumber: string, language: Language): Promise<OperatorRegistration> {
  await assertOperator(db, principal)
  const row = await registrations.findByTrackingNumber(db, normaliseTrackingNumber(rawTrackingNumber))
  if (!row) throw registrationNotFound()
  const [document, history, superAdmin] = await Promise.all([
    registrations.findDocumentMeta(db, row.id),
    registrations.listEvents(db, row.id),
    row.user_id ? db.selectFrom('users').select(['id', 'username']).where('id', '=', row.user_id).executeTakeFirst() : undefined,
  ])
  return {
    trackingNumber: row.tracking_number,
    status: row.status,
    form: {
      purpose: row.purpose,
      userType: row.user_type,
      traderType: row.trader_type,
      nibKind: row.nib_kind,
      nib: row.nib,
      npwpKind: row.npwp_kind,
      npwp: row.npwp,
      organisationName: row.organisation_name,
      businessTypes: row.business_types,
      address: row.address,
      applicant: { fullName: row.applicant_name, position: row.applicant_position, identityType: row.identity_type, identityNumber: row.identity_number },
      contact: { email: row.email, mobile: row.mobile },
      termsAcceptedAt: row.terms_accepted_at.toISOString(),
    },
    checks: renderChecks(row.checks, language),
    ossProfile: row.oss_profile,
    powerOfAttorney: document
      ? { fileName: document.file_name, sizeBytes: document.size_bytes, sha256: document.sha256, url: `/v1/registrations/${row.tracking_number}/power-of-attorney` }
      : null,
    organisationId: row.organisation_id,
    superAdmin: superAdmin ? { userId: superAdmin.id, username: superAdmin.username } : null,
    decisionReason: row.decision_reason,
    submittedAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    history: history.map((event) => ({ event: event.event, actor: event.actor_username ?? null, reason: event.reason, at: event.occurred_at.toISOString() })),
  }
}

function alreadyDecided(status: string): AppError {
  return new AppError('CONFLICT', {
    detail: { en: `This registration is already ${status.replace('_', ' ')}.`, id: `Pendaftaran ini sudah berstatus ${status}.` },
  })
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505'
}

/** The organisation row from the OSS profile; without an NIB, from the form. */
export function organisationProfileFromOss(business: OssBusiness) {
  return {
    name: business.name,
    legal_form: business.legalForm,
    address: JSON.stringify(business.address),
    business_types: business.businessTypes,
    kbli: JSON.stringify(business.kbli),
    oss_last_changed_at: business.lastChangedAt,
  }
}

export interface ActivationLinks {
  verifyEmailUrl: (token: string) => string
  setPasswordUrl: (token: string) => string
}

export async function approveRegistration(
  deps: { db: Kysely<Database>; upstreams: Upstreams; links: ActivationLinks },
  principal: Principal,
  rawTrackingNumber: string,
  note: string | undefined,
) {
  const { db } = deps
  const operator = await assertOperator(db, principal)
  const trackingNumber = normaliseTrackingNumber(rawTrackingNumber)
  const current = await registrations.findByTrackingNumber(db, trackingNumber)
  if (!current) throw registrationNotFound()
  if (current.status !== 'pending_review') throw alreadyDecided(current.status)
  // The OSS call happens before the transaction: no row lock is held across an HTTP request.
  let business: OssBusiness | undefined
  if (current.nib) {
    deps.upstreams.oss.invalidate(current.nib)
    const lookup = await deps.upstreams.oss.getBusiness(current.nib)
    if (!lookup.found) {
      throw new AppError('CONFLICT', { detail: { en: 'OSS no longer knows this NIB; reject the registration.', id: 'NIB ini tidak lagi terdaftar di OSS; tolak pendaftaran ini.' } })
    }
    business = lookup.business
  }
  const verify = generateOneTimeToken()
  const setPassword = generateOneTimeToken()
  try {
    return await db.transaction().execute(async (trx) => {
      const registration = await registrations.lockByTrackingNumber(trx, trackingNumber)
      if (!registration) throw registrationNotFound()
      if (registration.status !== 'pending_review') throw alreadyDecided(registration.status)
      const now = new Date()
      const organisation = await trx
        .insertInto('organisations')
        .values(
          business
            ? { nib: business.nib, npwp: registration.npwp ?? business.npwp, ...organisationProfileFromOss(business), oss_synced_at: now }
            : {
                nib: null,
                npwp: registration.npwp,
                name: registration.organisation_name,
                address: JSON.stringify(registration.address),
                business_types: registration.business_types.map((type) => type.toUpperCase()),
              },
        )
        .returning(['id', 'name', 'nib'])
        .executeTakeFirstOrThrow()
      // The new super admin starts with every menu so they can build their team at once; an
      // operator narrows the set later (PUT /v1/orgs/{orgId}/menus).
      await grantAllMenus(trx, organisation.id)
      const username = await nextUsername(trx)
      const user = await insertUser(trx, {
        organisationId: organisation.id,
        username,
        email: registration.email,
        fullName: registration.applicant_name,
        level: 'super_admin',
        status: 'pending_verification',
      })
      const expiresAt = new Date(now.getTime() + ACTIVATION_TOKEN_TTL_MS)
      await insertOneTimeToken(trx, { hash: verify.hash, userId: user.id, purpose: 'verify_email', expiresAt })
      await insertOneTimeToken(trx, { hash: setPassword.hash, userId: user.id, purpose: 'set_password', expiresAt })
      await trx.insertInto('account_contacts').values({ user_id: user.id, mobile: registration.mobile }).execute()
      await queueMail(trx, {
        to: registration.email,
        template: 'registration-approved',
        subject: 'INSW: pendaftaran disetujui / registration approved',
        text: [
          '*Pesan dari INSW / This is a message from INSW*',
          '',
          `Username : ${username}`,
          `Organisasi / Organisation : ${organisation.name}`,
          '',
          'Terima kasih telah menggunakan INSW. Verifikasi email Anda dengan membuka tautan berikut:',
          'Thank you for using INSW. Please verify your email by opening this link:',
          `Verify email : ${deps.links.verifyEmailUrl(verify.token)}`,
          '',
          'Lalu buat kata sandi Anda (min. 8 karakter dengan angka, huruf besar, huruf kecil dan tanda baca):',
          'Then set your password (at least 8 characters with a digit, upper- and lower-case letters and punctuation):',
          `Set password : ${deps.links.setPasswordUrl(setPassword.token)}`,
          '',
          'Kedua tautan berlaku 72 jam dan hanya sekali pakai. / Both links are valid for 72 hours, once.',
          '',
          '*Jangan membalas email ini. / Do not reply to this e-mail.*',
        ].join('\n'),
      })
      await trx
        .updateTable('registrations')
        .set({ status: 'approved', organisation_id: organisation.id, user_id: user.id, decided_by: operator.id, decided_at: now, decision_reason: note ?? null, updated_at: now })
        .where('id', '=', registration.id)
        .execute()
      await insertNotification(trx, {
        organisationId: organisation.id,
        // Every member reads it (today the super admin alone).
        menuCode: null,
        type: 'registration.approved',
        subjectType: 'registration',
        subjectId: trackingNumber,
        source: `registration_approved:${registration.id}`,
        ...registrationApprovedTexts({ trackingNumber, organisation: organisation.name, username }),
        data: { trackingNumber, organisationId: organisation.id, superAdminUsername: username },
        occurredAt: now,
      })
      await registrations.insertEvent(trx, {
        registrationId: registration.id,
        event: 'approved',
        actorUserId: operator.id,
        reason: note ?? null,
        details: { organisationId: organisation.id, superAdminUserId: user.id, username, tokenId: principal.tokenId ?? null },
      })
      return { trackingNumber, status: 'approved' as const, organisation, superAdmin: { userId: user.id, username, email: user.email } }
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('CONFLICT', {
        detail: { en: 'An organisation with this NIB already exists; reject this registration.', id: 'Organisasi dengan NIB ini sudah ada; tolak pendaftaran ini.' },
      })
    }
    throw error
  }
}

export async function rejectRegistration(db: Kysely<Database>, principal: Principal, rawTrackingNumber: string, reason: string) {
  const operator = await assertOperator(db, principal)
  const trackingNumber = normaliseTrackingNumber(rawTrackingNumber)
  return db.transaction().execute(async (trx) => {
    const registration = await registrations.lockByTrackingNumber(trx, trackingNumber)
    if (!registration) throw registrationNotFound()
    if (registration.status !== 'pending_review') throw alreadyDecided(registration.status)
    const now = new Date()
    await trx
      .updateTable('registrations')
      .set({ status: 'rejected', decided_by: operator.id, decided_at: now, decision_reason: reason, updated_at: now })
      .where('id', '=', registration.id)
      .execute()
    await registrations.insertEvent(trx, { registrationId: registration.id, event: 'rejected', actorUserId: operator.id, reason, details: { tokenId: principal.tokenId ?? null } })
    await queueMail(trx, {
      to: registration.email,
      template: 'registration-rejected',
      subject: 'INSW: pendaftaran ditolak / registration rejected',
      text: [
        `Pendaftaran ${trackingNumber} untuk ${registration.organisation_name} ditolak. / The registration was rejected.`,
        '',
        `Alasan / Reason: ${reason}`,
        '',
        'Perbaiki data lalu daftar kembali. / Correct the data and register again.',
      ].join('\n'),
    })
    return { trackingNumber, status: 'rejected' as const, reason }
  })
}
