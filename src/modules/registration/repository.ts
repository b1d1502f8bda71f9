/** SQL of registrations, their documents and events. Functions take the db (or a transaction) first. */
import { type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { CheckResult, PostalAddress, RegistrationStatus } from '../../db/tables/registration.ts'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface NewRegistration {
  trackingNumber: string
  purpose: string
  userType: string
  traderType: string
  nibKind: string
  nib: string | null
  npwpKind: string
  npwp: string | null
  organisationName: string
  businessTypes: string[]
  address: PostalAddress
  applicantName: string
  applicantPosition: string
  identityType: 'nik' | 'passport'
  identityNumber: string
  email: string
  mobile: string
  checks: CheckResult[]
  ossProfile: Record<string, unknown> | null
  /** Default pending_review; refused for a submission that did not match the OSS/DJP records. */
  status?: RegistrationStatus
}

export async function insertRegistration(db: Db, registration: NewRegistration) {
  return db
    .insertInto('registrations')
    .values({
      tracking_number: registration.trackingNumber,
      purpose: registration.purpose,
      user_type: registration.userType,
      trader_type: registration.traderType,
      nib_kind: registration.nibKind,
      nib: registration.nib,
      npwp_kind: registration.npwpKind,
      npwp: registration.npwp,
      organisation_name: registration.organisationName,
      business_types: registration.businessTypes,
      address: JSON.stringify(registration.address),
      applicant_name: registration.applicantName,
      applicant_position: registration.applicantPosition,
      identity_type: registration.identityType,
      identity_number: registration.identityNumber,
      email: registration.email,
      mobile: registration.mobile,
      terms_accepted_at: new Date(),
      checks: JSON.stringify(registration.checks),
      oss_profile: registration.ossProfile ? JSON.stringify(registration.ossProfile) : null,
      status: registration.status,
    })
    .returning(['id', 'tracking_number', 'status', 'created_at'])
    .executeTakeFirstOrThrow()
}

export async function insertDocument(db: Db, document: { registrationId: string; content: Buffer; sha256: string; fileName: string | null }) {
  await db
    .insertInto('registration_documents')
    .values({
      registration_id: document.registrationId,
      kind: 'power_of_attorney',
      media_type: 'application/pdf',
      file_name: document.fileName,
      size_bytes: document.content.length,
      sha256: document.sha256,
      content: document.content,
    })
    .execute()
}

export async function insertEvent(
  db: Db,
  event: { registrationId: string; event: 'submitted' | 'approved' | 'rejected' | 'refused'; actorUserId: string | null; reason?: string | null; details?: Record<string, unknown> },
) {
  await db
    .insertInto('registration_events')
    .values({
      registration_id: event.registrationId,
      event: event.event,
      actor_user_id: event.actorUserId,
      reason: event.reason ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute()
}

export function findByTrackingNumber(db: Db, trackingNumber: string) {
  return db.selectFrom('registrations').selectAll().where('tracking_number', '=', trackingNumber).executeTakeFirst()
}

/** Locks the row for a decision: concurrent approvals queue here and see the first one's outcome. */
export function lockByTrackingNumber(trx: Transaction<Database>, trackingNumber: string) {
  return trx.selectFrom('registrations').selectAll().where('tracking_number', '=', trackingNumber).forUpdate().executeTakeFirst()
}

export function findDocumentMeta(db: Db, registrationId: string) {
  return db
    .selectFrom('registration_documents')
    .select(['id', 'file_name', 'size_bytes', 'sha256', 'media_type', 'created_at'])
    .where('registration_id', '=', registrationId)
    .where('kind', '=', 'power_of_attorney')
    .executeTakeFirst()
}

export function findDocument(db: Db, registrationId: string) {
  return db
    .selectFrom('registration_documents')
    .selectAll()
    .where('registration_id', '=', registrationId)
    .where('kind', '=', 'power_of_attorney')
    .executeTakeFirst()
}

export function listEvents(db: Db, registrationId: string) {
  return db
    .selectFrom('registration_events')
    .leftJoin('users', 'users.id', 'registration_events.actor_user_id')
    .select(['registration_events.event', 'registration_events.reason', 'registration_events.occurred_at', 'registration_events.actor_user_id', 'users.username as actor_username'])
    .where('registration_id', '=', registrationId)
    .orderBy('registration_events.id')
    .execute()
}

export function listRegistrations(db: Db, filter: { status?: RegistrationStatus; after?: { at: string; id: string }; limit: number }) {
  let query = db
    .selectFrom('registrations')
    .select(['id', 'tracking_number', 'status', 'trader_type', 'nib', 'organisation_name', 'applicant_name', 'created_at', 'decided_at'])
    .select(keysetPosition('created_at').as('position'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.after) query = query.where(afterCursor('created_at', 'id', filter.after))
  return query.execute()
}
