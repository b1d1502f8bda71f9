/**
 * A surveyor's system pushing its verification result (*Laporan Surveyor*) for a shipment, machine
 * to machine, with the typed client (packages/client): it lists the issued permits that name its
 * organisation (the partner view), and reports one shipment under the permit it inspected. A
 * repeat of the same `shipmentReference` and body is answered 200 with the stored report, so a
 * retry after a lost answer is safe without an Idempotency-Key.
 *
 *   npm start
 *   curl -s -XPOST localhost:3000/v1/sandbox/test-organisations -H 'content-type: application/json' -d '{"nib":"8120000000011"}'
 *   CLIENT_ID=… CLIENT_SECRET=… PERMIT_ID=… node examples/surveyor-report.ts   # the "surveyor" client of that answer
 */
import { pathToFileURL } from 'node:url'
import { createGatewayClient, expectData } from '../packages/client/src/index.ts'

export interface SurveyorReportOptions {
  gatewayUrl: string
  clientId: string
  clientSecret: string
  /** The permit inspected; by default the newest issued permit naming this surveyor. */
  permitId?: string
  shipmentReference: string
  /** When the goods were inspected (not in the future). A retry must send the same value. */
  inspectedAt: string
  /** What was inspected (HS codes of the permit's commodity lines). */
  lines: { hsCode: string; quantity: number; unit: string }[]
  log?: (line: string) => void
}

export async function pushSurveyorReport(options: SurveyorReportOptions) {
  const log = options.log ?? console.log
  const gateway = createGatewayClient({ baseUrl: options.gatewayUrl, credentials: { clientId: options.clientId, clientSecret: options.clientSecret, scope: 'permits:read reports:write' } })
  let permitId = options.permitId
  if (!permitId) {
    const naming = expectData(await gateway.GET('/v1/permits', { params: { query: { status: 'issued', limit: 20 } } }))
    log(`${naming.items.length} issued permit(s) name us`)
    permitId = naming.items[0]?.id
    if (!permitId) throw new Error('no issued permit names this surveyor yet')
  }
  const result = await gateway.POST('/v1/surveyor-reports', {
    body: {
      permitId,
      shipmentReference: options.shipmentReference,
      lsNumber: `LS-SBX/${new Date().getFullYear()}/${options.shipmentReference}`,
      inspectedAt: options.inspectedAt,
      portOfLoading: 'JPYOK',
      result: 'compliant',
      lines: options.lines,
    },
  })
  const report = expectData(result)
  log(`${result.response.status === 201 ? 'reported' : 'already reported'}: ${report.id} for permit ${report.permitId}, shipment ${report.shipmentReference}`)
  return { status: result.response.status, report }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { CLIENT_ID, CLIENT_SECRET } = process.env
  if (!CLIENT_ID || !CLIENT_SECRET) {
    console.error('Set CLIENT_ID and CLIENT_SECRET to a surveyor client\'s credentials (kind "surveyor" in POST /v1/sandbox/test-organisations).')
    process.exit(1)
  }
  await pushSurveyorReport({
    gatewayUrl: process.env.GATEWAY_URL ?? 'http://localhost:3000',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    permitId: process.env.PERMIT_ID,
    shipmentReference: process.env.SHIPMENT_REFERENCE ?? `SHP-${Date.now()}`,
    inspectedAt: process.env.INSPECTED_AT ?? new Date(Date.now() - 3_600_000).toISOString(),
    lines: [{ hsCode: process.env.HS_CODE ?? '7208.51.00', quantity: Number(process.env.QUANTITY ?? 200), unit: process.env.UNIT ?? 'TNE' }],
  })
}
