/**
 * Compliance tests' shortcuts: a permit of a given type issued through the real callback path
 * (so its obligations are created exactly as in production), and tokens for reading and reporting.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import { handleInatradeCallback } from '../../src/modules/permits/callbacks.ts'
import { licenceSettings } from '../../src/modules/permits/journey-deps.ts'
import { buildTestApp, setupTestContext } from './app.ts'
import { insertPermit } from './permits.ts'
import { tokenMinter, type TokenMinter } from './tokens.ts'

export interface IssueOptions {
  nib: string
  permitType?: string
  issuedAt: Date
  validUntil: Date
  lines?: Record<string, unknown>[]
  /** The surveyor organisation the permit names (its monthly surveyor reports become obligations). */
  surveyorOrganisationId?: string
}

export const STEEL_LINES = [
  { hsCode: '72085100', description: 'Hot-rolled steel plate', quantity: 250, unit: 'TNE', value: 180000, currency: 'USD', originCountry: 'CN' },
  { hsCode: '72104900', description: 'Galvanised steel coil', quantity: 100, unit: 'TNE', value: 95000, currency: 'USD', originCountry: 'KR' },
]

export async function issuePermit(app: FastifyInstance, db: Kysely<Database>, options: IssueOptions) {
  const inatradeId = `INA-${randomUUID()}`
  const permit = await insertPermit(db, { nib: options.nib, status: 'under_review', inatradeId })
  await db
    .updateTable('permits')
    .set({
      permit_type: options.permitType ?? 'PI-BAJA',
      payload: JSON.stringify({ lines: options.lines ?? STEEL_LINES, portOfDischarge: 'IDTPP', shipmentPeriod: { from: '2026-10-01', to: '2027-03-31' } }),
      surveyor_organisation_id: options.surveyorOrganisationId ?? null,
    })
    .where('id', '=', permit.id)
    .execute()
  const outcome = await handleInatradeCallback(
    db,
    randomUUID(),
    {
      event: 'application.status_changed',
      inatradeId,
      referenceNumber: permit.reference_number,
      status: 'APPROVED',
      occurredAt: options.issuedAt.toISOString(),
      licence: { number: `LIC/${permit.reference_number}`, issuedAt: options.issuedAt.toISOString(), validUntil: options.validUntil.toISOString() },
    },
    { publicUrl: 'http://gateway.test', ...licenceSettings(app) },
  )
  if (outcome !== 'applied') throw new Error(`permit not issued: ${outcome}`)
  return permit
}

/** An instant at a Jakarta wall-clock time (`2026-10-15T09:00:00`). */
export const wib = (local: string) => new Date(`${local}+07:00`)

/** One database, a ready app and a token minter per test file. */
export async function setupComplianceTest(t: Parameters<typeof setupTestContext>[0]) {
  const context = await setupTestContext(t)
  const app = await buildTestApp(t, context)
  await app.ready()
  return { context, app, db: context.database.handle.db, minter: tokenMinter(app) }
}

/** A platform operator's token (sandbox test operator). */
export async function operatorToken(app: FastifyInstance, db: Kysely<Database>, minter: TokenMinter): Promise<string> {
  const created = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-operators', payload: {} })).json()
  const operatorId = (await db.selectFrom('users').select('id').where('username', '=', created.username).executeTakeFirstOrThrow()).id
  return minter.forUser(operatorId, { scope: 'openid registrations:read registrations:write' })
}
