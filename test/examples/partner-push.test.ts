/**
 * examples/surveyor-report.ts and examples/insurer-declaration.ts as a surveyor and an insurer run
 * them, against a gateway on a real socket: an importer's steel permit naming both is issued by the
 * sandbox INATRADE; each partner finds it in its own view, pushes (201), repeats (200, the same
 * item), and the importer reads what they pushed.
 */
import t from 'tap'
import { declareInsurance } from '../../examples/insurer-declaration.ts'
import { pushSurveyorReport } from '../../examples/surveyor-report.ts'
import { createGatewayClient, expectData } from '../../packages/client/src/index.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { INSURER_NIB, SURVEYOR_NIB, steelImport } from '../shipment-data/helpers.ts'

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })

async function clientOf(nib: string, kind: string) {
  const created = (await (await fetch(`${url}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nib }) })).json()) as {
    clients: { kind: string; clientId: string; clientSecret: string }[]
  }
  const client = created.clients.find((candidate) => candidate.kind === kind)!
  return { clientId: client.clientId, clientSecret: client.clientSecret }
}

t.test('the surveyor and the insurer a permit names push their data; the importer reads it', async (t) => {
  // The partners use the gateway before the importer names them.
  const surveyor = await clientOf(SURVEYOR_NIB, 'surveyor')
  const insurer = await clientOf(INSURER_NIB, 'insurer')
  const importer = createGatewayClient({ baseUrl: url, credentials: { ...(await clientOf('8120000000001', 'inhouse')), scope: 'permits:read permits:write' } })
  const { permit } = expectData(await importer.POST('/v1/permits', { body: steelImport('example-steel-1') as never }))
  let status = ''
  for (let i = 0; i < 150 && status !== 'issued'; i++) {
    status = expectData(await importer.GET('/v1/permits/{id}', { params: { path: { id: permit.id } } })).status
    if (status !== 'issued') await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(status, 'issued', 'the sandbox INATRADE issued the licence')

  const report = { gatewayUrl: url, ...surveyor, shipmentReference: 'SHP-EX-1', inspectedAt: new Date(Date.now() - 7_200_000).toISOString(), lines: [{ hsCode: '7208.51.00', quantity: 200, unit: 'TNE' }], log: () => {} }
  const first = await pushSurveyorReport(report)
  t.equal(first.status, 201)
  t.equal(first.report.permitId, permit.id, 'it found the permit naming it')
  const repeat = await pushSurveyorReport({ ...report, permitId: permit.id })
  t.equal(repeat.status, 200, 'a repeat is answered with the stored report')
  t.equal(repeat.report.id, first.report.id)

  const declared = await declareInsurance({ gatewayUrl: url, ...insurer, shipmentReference: 'SHP-EX-1', insuredValue: { amount: '150000.00', currency: 'USD' }, log: () => {} })
  t.equal(declared.status, 201)
  t.same(declared.declaration.insuredValue, { amount: '150000.00', currency: 'USD' }, 'the amount exactly as sent')

  const reports = expectData(await importer.GET('/v1/permits/{id}/surveyor-reports', { params: { path: { id: permit.id } } }))
  const declarations = expectData(await importer.GET('/v1/permits/{id}/insurance-declarations', { params: { path: { id: permit.id } } }))
  t.same(reports.items.map((item) => item.id), [first.report.id])
  t.same(declarations.items.map((item) => item.id), [declared.declaration.id])
})
