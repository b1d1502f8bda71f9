/**
 * Shipment data fixtures: the permit tests' app (no job workers), the sandbox organisations
 * (an importer owning the permits, another importer, the surveyor and the insurer its permits
 * name) and permits submitted through the API, then moved to a status directly (INATRADE's side
 * is another module's).
 */
import type { PermitStatus } from '../../src/db/tables/permits.ts'
import { api, clientToken, createOrg, setupPermitTest, sugarImport } from '../permits/helpers.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const SURVEYOR_NIB = '8120000000011'
export const INSURER_NIB = '8120000000006'

/** A PI-BAJA (steel import, surveyor verification) submission naming the sandbox surveyor and insurer. */
export function steelImport(clientReference: string) {
  const payload: Record<string, unknown> = {
    ...sugarImport('x').payload,
    lines: [{ hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 200, unit: 'TNE', value: 150000, currency: 'USD', originCountry: 'JP' }],
  }
  delete payload.pertekNumber
  delete payload.pertekDate
  return {
    permitType: 'PI-BAJA',
    clientReference,
    surveyorNib: SURVEYOR_NIB,
    insurerNib: INSURER_NIB,
    payload,
    documents: ['NIB', 'PROFORMA_INVOICE', 'SURVEYOR_AGREEMENT', 'PERTEK'].map((type) => ({ type, name: `${type.toLowerCase()}.pdf` })),
  }
}

export async function setupShipmentTest(t: Teardown) {
  const test = await setupPermitTest(t)
  const { app, db, minter } = test
  const owner = await createOrg(app, '8120000000001')
  const other = await createOrg(app, '8120000000010')
  const surveyorOrg = await createOrg(app, SURVEYOR_NIB)
  const insurerOrg = await createOrg(app, INSURER_NIB)
  const ownerWriter = clientToken(minter, owner, 'inhouse', 'permits:read permits:write')

  /** A permit of the owner naming the surveyor and the insurer, moved to `status`. */
  async function permit(clientReference: string, status: PermitStatus = 'issued', body: Record<string, unknown> = steelImport(clientReference)): Promise<string> {
    const response = await api(app, ownerWriter, 'POST', '/v1/permits', body)
    if (response.statusCode !== 202) throw new Error(`not accepted: ${response.body}`)
    const id = response.json().permit.id as string
    if (status !== 'submitted') {
      const licence = { number: `IT.INATRADE/2026/${clientReference}`, issuedAt: '2026-12-03T02:00:00.000Z', validUntil: '2027-06-01T00:00:00.000Z' }
      await db.updateTable('permits').set({ status, ...(status === 'issued' ? { licence: JSON.stringify(licence), decided_at: new Date() } : {}) }).where('id', '=', id).execute()
    }
    return id
  }

  return { ...test, owner, other, surveyorOrg, insurerOrg, ownerWriter, permit }
}

export { api, clientToken }
