/** SQL of shipment data (surveyor reports, insurance declarations). Functions take the db (or a transaction) first. */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import { afterCursor, keysetPosition } from '../../db/keyset.ts'
import type { Database } from '../../db/schema.ts'
import type { PermitStatus } from '../../db/tables/permits.ts'
import type { InsuranceDeclarationsTable, SurveyedLine, SurveyorReportsTable, SurveyorResult } from '../../db/tables/shipment-data.ts'
import type { Cursor } from '../../http/pagination.ts'

type Db = Kysely<Database> | Transaction<Database>

/** What pushing and reading need of a permit: who owns it, whom it names, where it stands, its goods. */
export interface PermitForShipments {
  id: string
  organisation_id: string
  surveyor_organisation_id: string | null
  insurer_organisation_id: string | null
  status: PermitStatus
  payload: Record<string, unknown>
}

export function findPermitForShipments(db: Db, permitId: string): Promise<PermitForShipments | undefined> {
  return db
    .selectFrom('permits')
    .select(['id', 'organisation_id', 'surveyor_organisation_id', 'insurer_organisation_id', 'status', 'payload'])
    .where('id', '=', permitId)
    .executeTakeFirst()
}

/** Whose items a read shows: the permits' owner, or the partner that pushed them. */
export type ShipmentAudience = { kind: 'owner'; organisationId: string } | { kind: 'pusher'; organisationId: string }

export interface ShipmentListFilter {
  audience: ShipmentAudience
  permitId?: string
  shipmentReference?: string
  cursor?: Cursor
  limit: number
}

export interface SurveyorReportRow {
  id: string
  permit_id: string
  organisation_id: string
  permit_organisation_id: string
  shipment_reference: string
  ls_number: string
  inspected_at: Date
  port_of_loading: string
  result: SurveyorResult
  lines: SurveyedLine[]
  findings: string | null
  request_sha256: string
  received_at: Date
  partner_id: string
  partner_nib: string | null
  partner_name: string
  position: string
}

function reportQuery(db: Db) {
  return db
    .selectFrom('surveyor_reports as r')
    .innerJoin('organisations as o', 'o.id', 'r.organisation_id')
    .select([
      'r.id',
      'r.permit_id',
      'r.organisation_id',
      'r.permit_organisation_id',
      'r.shipment_reference',
      'r.ls_number',
      'r.inspected_at',
      'r.port_of_loading',
      'r.result',
      'r.lines',
      'r.findings',
      'r.request_sha256',
      'r.received_at',
      'o.id as partner_id',
      'o.nib as partner_nib',
      'o.name as partner_name',
      keysetPosition('r.received_at').as('position'),
    ])
}

export function findSurveyorReport(db: Db, id: string): Promise<SurveyorReportRow | undefined> {
  return reportQuery(db).where('r.id', '=', id).executeTakeFirst()
}

export function findSurveyorReportByReference(db: Db, permitId: string, organisationId: string, shipmentReference: string): Promise<SurveyorReportRow | undefined> {
  return reportQuery(db).where('r.permit_id', '=', permitId).where('r.organisation_id', '=', organisationId).where('r.shipment_reference', '=', shipmentReference).executeTakeFirst()
}

/** The new report's id, or undefined when the (permit, surveyor, shipmentReference) exists already. */
export async function insertSurveyorReport(db: Db, row: Omit<Insertable<SurveyorReportsTable>, 'lines'> & { lines: SurveyedLine[] }): Promise<string | undefined> {
  const inserted = await db
    .insertInto('surveyor_reports')
    .values({ ...row, lines: JSON.stringify(row.lines) })
    .onConflict((oc) => oc.columns(['permit_id', 'organisation_id', 'shipment_reference']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return inserted?.id
}

export function listSurveyorReports(db: Db, filter: ShipmentListFilter): Promise<SurveyorReportRow[]> {
  let query = reportQuery(db).where(filter.audience.kind === 'owner' ? 'r.permit_organisation_id' : 'r.organisation_id', '=', filter.audience.organisationId)
  if (filter.permitId) query = query.where('r.permit_id', '=', filter.permitId)
  if (filter.shipmentReference) query = query.where('r.shipment_reference', '=', filter.shipmentReference)
  if (filter.cursor) query = query.where(afterCursor('r.received_at', 'r.id', filter.cursor))
  return query.orderBy('r.received_at', 'desc').orderBy('r.id', 'desc').limit(filter.limit + 1).execute()
}

export interface InsuranceDeclarationRow {
  id: string
  permit_id: string
  organisation_id: string
  permit_organisation_id: string
  shipment_reference: string
  policy_number: string
  insured_amount: string
  insured_currency: string
  coverage_start: string
  coverage_end: string
  request_sha256: string
  received_at: Date
  partner_id: string
  partner_nib: string | null
  partner_name: string
  position: string
}

function declarationQuery(db: Db) {
  return db
    .selectFrom('insurance_declarations as d')
    .innerJoin('organisations as o', 'o.id', 'd.organisation_id')
    .select([
      'd.id',
      'd.permit_id',
      'd.organisation_id',
      'd.permit_organisation_id',
      'd.shipment_reference',
      'd.policy_number',
      // As text: the amount exactly as stored, the dates without a time zone to shift them.
      sql<string>`d.insured_amount::text`.as('insured_amount'),
      'd.insured_currency',
      sql<string>`d.coverage_start::text`.as('coverage_start'),
      sql<string>`d.coverage_end::text`.as('coverage_end'),
      'd.request_sha256',
      'd.received_at',
      'o.id as partner_id',
      'o.nib as partner_nib',
      'o.name as partner_name',
      keysetPosition('d.received_at').as('position'),
    ])
}

export function findInsuranceDeclaration(db: Db, id: string): Promise<InsuranceDeclarationRow | undefined> {
  return declarationQuery(db).where('d.id', '=', id).executeTakeFirst()
}

export function findInsuranceDeclarationByReference(db: Db, permitId: string, organisationId: string, shipmentReference: string): Promise<InsuranceDeclarationRow | undefined> {
  return declarationQuery(db).where('d.permit_id', '=', permitId).where('d.organisation_id', '=', organisationId).where('d.shipment_reference', '=', shipmentReference).executeTakeFirst()
}

/** The new declaration's id, or undefined when the (permit, insurer, shipmentReference) exists already. */
export async function insertInsuranceDeclaration(db: Db, row: Insertable<InsuranceDeclarationsTable>): Promise<string | undefined> {
  const inserted = await db
    .insertInto('insurance_declarations')
    .values(row)
    .onConflict((oc) => oc.columns(['permit_id', 'organisation_id', 'shipment_reference']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return inserted?.id
}

export function listInsuranceDeclarations(db: Db, filter: ShipmentListFilter): Promise<InsuranceDeclarationRow[]> {
  let query = declarationQuery(db).where(filter.audience.kind === 'owner' ? 'd.permit_organisation_id' : 'd.organisation_id', '=', filter.audience.organisationId)
  if (filter.permitId) query = query.where('d.permit_id', '=', filter.permitId)
  if (filter.shipmentReference) query = query.where('d.shipment_reference', '=', filter.shipmentReference)
  if (filter.cursor) query = query.where(afterCursor('d.received_at', 'd.id', filter.cursor))
  return query.orderBy('d.received_at', 'desc').orderBy('d.id', 'desc').limit(filter.limit + 1).execute()
}
