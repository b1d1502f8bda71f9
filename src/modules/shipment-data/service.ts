/**
 * Rules of shipment data: what a surveyor or insurer pushes about a shipment under a permit naming
 * its organisation, and who reads it. The caller is checked first, as in every service:
 * - pushing: only a machine client of the right kind (surveyor for reports, insurer for
 *   declarations) holding `reports:write`; anyone else (a person, an in-house client, the other
 *   kind of partner) is `403 PARTNER_CLIENT_REQUIRED`;
 * - the permit must name the client's organisation in that role, else `404` exactly as for a
 *   permit that does not exist (a 403 would confirm another organisation's permit exists);
 * - reading: the partner that pushed an item (its own items only), or the permit's owner with View
 *   on SSM Perizinan (`permits:read`); anything else is `404`.
 * A push runs in this order: body rules → the permit names the caller → a repeat of the
 * shipmentReference (same body: the stored item again, `200`; another body: `409`) → the permit is
 * issued (`409 PERMIT_NOT_ISSUED`) → rules against the permit (HS codes) → stored (`201`). A retry
 * of an accepted push therefore answers the same item even if the permit has moved on since.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { SurveyedLine } from '../../db/tables/shipment-data.ts'
import { AppError, type FieldError } from '../../errors/app-error.ts'
import { decodeCursor, DEFAULT_PAGE_SIZE, nextLink, toPage } from '../../http/pagination.ts'
import { canonicalSha256 } from '../../identity/receipts.ts'
import type { LoadedClient, Principal } from '../../plugins/auth.ts'
import { forbidden, requireOrgRight } from '../orgs/authorize.ts'
import { normaliseHsCode } from '../permit-types/registry.ts'
import { meetSurveyorObligation } from '../obligations/repository.ts'
import {
  findInsuranceDeclaration,
  findInsuranceDeclarationByReference,
  findPermitForShipments,
  findSurveyorReport,
  findSurveyorReportByReference,
  insertInsuranceDeclaration,
  insertSurveyorReport,
  listInsuranceDeclarations,
  listSurveyorReports,
  type InsuranceDeclarationRow,
  type PermitForShipments,
  type ShipmentAudience,
  type SurveyorReportRow,
} from './repository.ts'
import type { InsuranceDeclarationSubmission, PermitShipmentDataQuery, ShipmentDataListQuery, SurveyorReportSubmission } from './schemas.ts'

export interface ShipmentDataDeps {
  db: Kysely<Database>
  /** Business time (the sandbox clock), for the surveyor obligation a report meets. */
  now?: () => Date
}

export type PartnerKind = 'surveyor' | 'insurer'

/** Shipments make sense only under a licence: INATRADE issued the permit. */
export const SHIPMENT_PERMIT_STATUS = 'issued'

/** Clock skew tolerated on `inspectedAt` before it counts as in the future. */
const CLOCK_SKEW_MS = 5 * 60_000

const ROLE = {
  surveyor: { noun: 'surveyor report', nounId: 'laporan surveyor', column: 'surveyor_organisation_id', path: '/v1/surveyor-reports' },
  insurer: { noun: 'insurance declaration', nounId: 'deklarasi asuransi', column: 'insurer_organisation_id', path: '/v1/insurance-declarations' },
} as const

const permitUrl = (id: string) => `/v1/permits/${id}`

function permitNotVisible(kind: PartnerKind): AppError {
  return new AppError('NOT_FOUND', {
    detail: {
      en: `No permit with this id names your organisation as its ${kind}.`,
      id: `Tidak ada izin dengan id ini yang menunjuk organisasi Anda sebagai ${kind === 'surveyor' ? 'surveyor' : 'asuransi'}-nya.`,
    },
  })
}

function itemNotFound(kind: PartnerKind): AppError {
  return new AppError('NOT_FOUND', { detail: { en: `No ${ROLE[kind].noun} with this id is visible to you.`, id: `Tidak ada ${ROLE[kind].nounId} dengan id ini yang dapat Anda lihat.` } })
}

function partnerRequired(kind: PartnerKind): AppError {
  const who = kind === 'surveyor' ? { en: 'a surveyor\'s', id: 'surveyor' } : { en: 'an insurer\'s', id: 'asuransi' }
  return new AppError('PARTNER_CLIENT_REQUIRED', {
    detail: {
      en: `Only ${who.en} machine client (client credentials, kind ${kind}) pushes ${ROLE[kind].noun}s; people and in-house clients read them on the permit.`,
      id: `Hanya klien mesin ${who.id} (client credentials, jenis ${kind}) yang mengirim ${ROLE[kind].nounId}; pengguna dan klien in-house membacanya pada izin.`,
    },
  })
}

/** The error handler words the detail (the count of invalid fields, in the negotiated language). */
function rulesFailed(errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', { errors })
}

function notIssued(permit: PermitForShipments): AppError {
  return new AppError('PERMIT_NOT_ISSUED', {
    detail: {
      en: `The permit is ${permit.status}: shipment data is accepted only once the permit is issued.`,
      id: `Izin berstatus ${permit.status}: data pengapalan hanya diterima setelah izin terbit.`,
    },
    headers: { location: permitUrl(permit.id) },
  })
}

function referenceConflict(kind: PartnerKind, existingUrl: string): AppError {
  return new AppError('SHIPMENT_REFERENCE_CONFLICT', {
    detail: {
      en: `Your organisation already sent a ${ROLE[kind].noun} with this shipmentReference for this permit, with other data (${existingUrl}). Use a new shipmentReference for another shipment.`,
      id: `Organisasi Anda sudah mengirim ${ROLE[kind].nounId} dengan shipmentReference ini untuk izin ini, dengan data lain (${existingUrl}). Gunakan shipmentReference baru untuk pengapalan lain.`,
    },
    // No `errors`: the problem's detail would become a field count, and this one names the stored item.
    headers: { location: existingUrl },
  })
}

/** The pushing client: a machine client of this kind, with `reports:write` (Create on Pelaporan realisasi). */
async function requirePusher(db: Kysely<Database>, principal: Principal, kind: PartnerKind): Promise<LoadedClient> {
  const client = principal.kind === 'client' ? principal.client : undefined
  if (!client || client.kind !== kind) throw partnerRequired(kind)
  await requireOrgRight(db, principal, client.organisation.id, 'PELAPORAN_REALISASI', 'create')
  return client
}

/** The permit, when it names the client's organisation in this role; else 404. */
async function permitNaming(db: Kysely<Database>, permitId: string, kind: PartnerKind, organisationId: string): Promise<PermitForShipments> {
  const permit = await findPermitForShipments(db, permitId)
  if (!permit || permit[ROLE[kind].column] !== organisationId) throw permitNotVisible(kind)
  return permit
}

/**
 * Who reads items of this kind: the partner of that kind that pushed them, or an organisation
 * member (person or in-house client) with View on SSM Perizinan reading its permits' items.
 * A partner of the other kind reads nothing of them (undefined).
 */
async function readerOf(db: Kysely<Database>, principal: Principal, kind: PartnerKind): Promise<ShipmentAudience | undefined> {
  const client = principal.kind === 'client' ? principal.client : undefined
  if (client && client.kind !== 'inhouse') return client.kind === kind ? { kind: 'pusher', organisationId: client.organisation.id } : undefined
  const organisationId = client ? client.organisation.id : principal.organisationId
  if (!organisationId) throw forbidden('Only members of an organisation read shipment data.', 'Hanya anggota organisasi yang dapat membaca data pengapalan.')
  await requireOrgRight(db, principal, organisationId, 'SSM_PERIZINAN', 'view')
  return { kind: 'owner', organisationId }
}

function otherPartner(kind: PartnerKind): AppError {
  const other = kind === 'surveyor' ? 'insurer' : 'surveyor'
  return forbidden(`A ${other}'s client reads its own ${ROLE[other].noun}s, not ${ROLE[kind].noun}s.`, `Klien ${other} membaca ${ROLE[other].nounId} miliknya sendiri, bukan ${ROLE[kind].nounId}.`)
}

function canSee(audience: ShipmentAudience | undefined, row: { organisation_id: string; permit_organisation_id: string }): boolean {
  if (!audience) return false
  return audience.kind === 'pusher' ? row.organisation_id === audience.organisationId : row.permit_organisation_id === audience.organisationId
}

/** HS codes of the permit's commodity lines, normalised (the payload's layout is the type's: walked, not addressed). */
function permitHsCodes(payload: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(payload)) for (const item of payload) permitHsCodes(item, into)
  else if (payload && typeof payload === 'object') {
    for (const [name, value] of Object.entries(payload)) {
      if (/^hs(Code)?$/i.test(name) && typeof value === 'string') into.add(normaliseHsCode(value))
      else if (value && typeof value === 'object') permitHsCodes(value, into)
    }
  }
  return into
}

export interface PushAnswer<Item> {
  status: 200 | 201
  location: string
  item: Item
}

// ---- surveyor reports -------------------------------------------------------------------------

export function surveyorReportView(row: SurveyorReportRow) {
  return {
    id: row.id,
    url: `${ROLE.surveyor.path}/${row.id}`,
    permitUrl: permitUrl(row.permit_id),
    permitId: row.permit_id,
    shipmentReference: row.shipment_reference,
    lsNumber: row.ls_number,
    inspectedAt: row.inspected_at.toISOString(),
    portOfLoading: row.port_of_loading,
    result: row.result,
    lines: row.lines,
    findings: row.findings,
    surveyor: { organisationId: row.partner_id, nib: row.partner_nib, name: row.partner_name },
    receivedAt: row.received_at.toISOString(),
  }
}

function surveyorBodyErrors(body: SurveyorReportSubmission, now: Date): FieldError[] {
  const errors: FieldError[] = []
  if (Date.parse(body.inspectedAt) > now.getTime() + CLOCK_SKEW_MS) {
    errors.push({ pointer: '/inspectedAt', in: 'body', detail: 'must not be in the future', reason: 'in_future' })
  }
  return errors
}

function surveyorPermitErrors(lines: SurveyedLine[], permit: PermitForShipments): FieldError[] {
  const allowed = permitHsCodes(permit.payload)
  return lines.flatMap((line, index) =>
    allowed.has(normaliseHsCode(line.hsCode)) ? [] : [{ pointer: `/lines/${index}/hsCode`, in: 'body' as const, detail: `HS ${line.hsCode} is not among the permit's commodity lines`, reason: 'hs_code_not_in_permit' }],
  )
}

export async function pushSurveyorReport(deps: ShipmentDataDeps, principal: Principal, body: SurveyorReportSubmission): Promise<PushAnswer<ReturnType<typeof surveyorReportView>>> {
  const client = await requirePusher(deps.db, principal, 'surveyor')
  const now = new Date()
  const bodyErrors = surveyorBodyErrors(body, now)
  if (bodyErrors.length) throw rulesFailed(bodyErrors)
  const organisationId = client.organisation.id
  const permit = await permitNaming(deps.db, body.permitId, 'surveyor', organisationId)
  const requestSha256 = canonicalSha256(body)
  const repeat = async () => {
    const existing = await findSurveyorReportByReference(deps.db, permit.id, organisationId, body.shipmentReference)
    if (!existing) return undefined
    const location = `${ROLE.surveyor.path}/${existing.id}`
    if (existing.request_sha256 !== requestSha256) throw referenceConflict('surveyor', location)
    return { status: 200 as const, location, item: surveyorReportView(existing) }
  }
  const earlier = await repeat()
  if (earlier) return earlier
  if (permit.status !== SHIPMENT_PERMIT_STATUS) throw notIssued(permit)
  const lines = body.lines ?? []
  const permitErrors = surveyorPermitErrors(lines, permit)
  if (permitErrors.length) throw rulesFailed(permitErrors)

  const id = await deps.db.transaction().execute(async (trx) => {
    const id = await insertSurveyorReport(trx, {
      permit_id: permit.id,
      permit_organisation_id: permit.organisation_id,
      organisation_id: organisationId,
      shipment_reference: body.shipmentReference,
      ls_number: body.lsNumber,
      inspected_at: new Date(body.inspectedAt),
      port_of_loading: body.portOfLoading,
      result: body.result,
      lines,
      findings: body.findings ?? null,
      request_sha256: requestSha256,
      submitted_by_client_id: client.clientId,
      received_at: now,
    })
    // The surveyor's monthly reporting obligation for this permit, met in the same transaction.
    if (id) await meetSurveyorObligation(trx, { permitId: permit.id, organisationId, inspectedAt: new Date(body.inspectedAt), reportId: id, at: deps.now?.() ?? now })
    return id
  })
  // Nothing inserted: a concurrent push of the same shipmentReference committed first.
  if (!id) return (await repeat())!
  const row = (await findSurveyorReport(deps.db, id))!
  return { status: 201, location: `${ROLE.surveyor.path}/${id}`, item: surveyorReportView(row) }
}

export async function getSurveyorReport(deps: ShipmentDataDeps, principal: Principal, id: string) {
  const audience = await readerOf(deps.db, principal, 'surveyor')
  const row = await findSurveyorReport(deps.db, id)
  if (!row || !canSee(audience, row)) throw itemNotFound('surveyor')
  return surveyorReportView(row)
}

export async function listMySurveyorReports(deps: ShipmentDataDeps, principal: Principal, query: ShipmentDataListQuery, requestUrl: string) {
  const audience = await readerOf(deps.db, principal, 'surveyor')
  if (!audience) throw otherPartner('surveyor')
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const rows = await listSurveyorReports(deps.db, { audience, permitId: query.permitId, shipmentReference: query.shipmentReference, cursor: decodeCursor(query.cursor), limit })
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), surveyorReportView, (cursor) => nextLink(requestUrl, cursor))
}

/** The permit's reports: all of them for its owner, its own for the surveyor it names; 404 for anyone else. */
export async function listPermitSurveyorReports(deps: ShipmentDataDeps, principal: Principal, permitId: string, query: PermitShipmentDataQuery, requestUrl: string) {
  const audience = await permitAudience(deps.db, principal, permitId, 'surveyor')
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const rows = await listSurveyorReports(deps.db, { audience, permitId, cursor: decodeCursor(query.cursor), limit })
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), surveyorReportView, (cursor) => nextLink(requestUrl, cursor))
}

/** The caller's audience for one permit's items: its owner, or the partner of this kind it names. */
async function permitAudience(db: Kysely<Database>, principal: Principal, permitId: string, kind: PartnerKind): Promise<ShipmentAudience> {
  const audience = await readerOf(db, principal, kind)
  const permit = audience && (await findPermitForShipments(db, permitId))
  const visible = permit && (audience.kind === 'owner' ? permit.organisation_id === audience.organisationId : permit[ROLE[kind].column] === audience.organisationId)
  if (!audience || !visible) throw new AppError('NOT_FOUND', { detail: { en: 'No permit with this id is visible to you.', id: 'Tidak ada izin dengan id ini yang dapat Anda lihat.' } })
  return audience
}

// ---- insurance declarations -------------------------------------------------------------------

export function insuranceDeclarationView(row: InsuranceDeclarationRow) {
  return {
    id: row.id,
    url: `${ROLE.insurer.path}/${row.id}`,
    permitUrl: permitUrl(row.permit_id),
    permitId: row.permit_id,
    shipmentReference: row.shipment_reference,
    policyNumber: row.policy_number,
    insuredValue: { amount: row.insured_amount, currency: row.insured_currency },
    coverageStart: row.coverage_start,
    coverageEnd: row.coverage_end,
    insurer: { organisationId: row.partner_id, nib: row.partner_nib, name: row.partner_name },
    receivedAt: row.received_at.toISOString(),
  }
}

function declarationBodyErrors(body: InsuranceDeclarationSubmission): FieldError[] {
  const errors: FieldError[] = []
  if (!/[1-9]/.test(body.insuredValue.amount)) errors.push({ pointer: '/insuredValue/amount', in: 'body', detail: 'must be greater than zero', reason: 'not_positive' })
  // Both are YYYY-MM-DD (the schema's `date`): compared as text, they order as days do.
  if (body.coverageEnd < body.coverageStart) errors.push({ pointer: '/coverageEnd', in: 'body', detail: `must be on or after coverageStart (${body.coverageStart})`, reason: 'before_start' })
  return errors
}

export async function pushInsuranceDeclaration(deps: ShipmentDataDeps, principal: Principal, body: InsuranceDeclarationSubmission): Promise<PushAnswer<ReturnType<typeof insuranceDeclarationView>>> {
  const client = await requirePusher(deps.db, principal, 'insurer')
  const bodyErrors = declarationBodyErrors(body)
  if (bodyErrors.length) throw rulesFailed(bodyErrors)
  const organisationId = client.organisation.id
  const permit = await permitNaming(deps.db, body.permitId, 'insurer', organisationId)
  const requestSha256 = canonicalSha256(body)
  const repeat = async () => {
    const existing = await findInsuranceDeclarationByReference(deps.db, permit.id, organisationId, body.shipmentReference)
    if (!existing) return undefined
    const location = `${ROLE.insurer.path}/${existing.id}`
    if (existing.request_sha256 !== requestSha256) throw referenceConflict('insurer', location)
    return { status: 200 as const, location, item: insuranceDeclarationView(existing) }
  }
  const earlier = await repeat()
  if (earlier) return earlier
  if (permit.status !== SHIPMENT_PERMIT_STATUS) throw notIssued(permit)

  const id = await insertInsuranceDeclaration(deps.db, {
    permit_id: permit.id,
    permit_organisation_id: permit.organisation_id,
    organisation_id: organisationId,
    shipment_reference: body.shipmentReference,
    policy_number: body.policyNumber,
    insured_amount: body.insuredValue.amount,
    insured_currency: body.insuredValue.currency,
    coverage_start: body.coverageStart,
    coverage_end: body.coverageEnd,
    request_sha256: requestSha256,
    submitted_by_client_id: client.clientId,
    received_at: new Date(),
  })
  if (!id) return (await repeat())!
  const row = (await findInsuranceDeclaration(deps.db, id))!
  return { status: 201, location: `${ROLE.insurer.path}/${id}`, item: insuranceDeclarationView(row) }
}

export async function getInsuranceDeclaration(deps: ShipmentDataDeps, principal: Principal, id: string) {
  const audience = await readerOf(deps.db, principal, 'insurer')
  const row = await findInsuranceDeclaration(deps.db, id)
  if (!row || !canSee(audience, row)) throw itemNotFound('insurer')
  return insuranceDeclarationView(row)
}

export async function listMyInsuranceDeclarations(deps: ShipmentDataDeps, principal: Principal, query: ShipmentDataListQuery, requestUrl: string) {
  const audience = await readerOf(deps.db, principal, 'insurer')
  if (!audience) throw otherPartner('insurer')
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const rows = await listInsuranceDeclarations(deps.db, { audience, permitId: query.permitId, shipmentReference: query.shipmentReference, cursor: decodeCursor(query.cursor), limit })
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), insuranceDeclarationView, (cursor) => nextLink(requestUrl, cursor))
}

export async function listPermitInsuranceDeclarations(deps: ShipmentDataDeps, principal: Principal, permitId: string, query: PermitShipmentDataQuery, requestUrl: string) {
  const audience = await permitAudience(deps.db, principal, permitId, 'insurer')
  const limit = query.limit ?? DEFAULT_PAGE_SIZE
  const rows = await listInsuranceDeclarations(deps.db, { audience, permitId, cursor: decodeCursor(query.cursor), limit })
  return toPage(rows, limit, (row) => ({ at: row.position, id: row.id }), insuranceDeclarationView, (cursor) => nextLink(requestUrl, cursor))
}
