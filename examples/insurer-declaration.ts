/**
 * An insurer's system declaring the cargo insurance of a shipment, machine to machine, with the
 * typed client (packages/client): under an issued permit that names its organisation
 * (`insurerNib`), one declaration per `shipmentReference`; the insured amount is a decimal string
 * kept exactly as sent. A repeat with the same body is answered 200 with the stored declaration.
 *
 *   npm start
 *   curl -s -XPOST localhost:3000/v1/sandbox/test-organisations -H 'content-type: application/json' -d '{"nib":"8120000000006"}'
 *   CLIENT_ID=… CLIENT_SECRET=… PERMIT_ID=… node examples/insurer-declaration.ts   # the "insurer" client of that answer
 */
import { pathToFileURL } from 'node:url'
import { createGatewayClient, expectData } from '../packages/client/src/index.ts'

export interface InsurerDeclarationOptions {
  gatewayUrl: string
  clientId: string
  clientSecret: string
  /** The permit covered; by default the newest issued permit naming this insurer. */
  permitId?: string
  shipmentReference: string
  insuredValue: { amount: string; currency: string }
  log?: (line: string) => void
}

export async function declareInsurance(options: InsurerDeclarationOptions) {
  const log = options.log ?? console.log
  const gateway = createGatewayClient({ baseUrl: options.gatewayUrl, credentials: { clientId: options.clientId, clientSecret: options.clientSecret, scope: 'permits:read reports:write' } })
  let permitId = options.permitId
  if (!permitId) {
    permitId = expectData(await gateway.GET('/v1/permits', { params: { query: { status: 'issued', limit: 20 } } })).items[0]?.id
    if (!permitId) throw new Error('no issued permit names this insurer yet')
  }
  const today = new Date().toISOString().slice(0, 10)
  const result = await gateway.POST('/v1/insurance-declarations', {
    body: {
      permitId,
      shipmentReference: options.shipmentReference,
      policyNumber: `MC-SBX/${today.slice(0, 4)}/${options.shipmentReference}`,
      insuredValue: options.insuredValue,
      coverageStart: today,
      coverageEnd: new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10),
    },
  })
  const declaration = expectData(result)
  log(`${result.response.status === 201 ? 'declared' : 'already declared'}: ${declaration.id} for permit ${declaration.permitId}, ${declaration.insuredValue.amount} ${declaration.insuredValue.currency}`)
  return { status: result.response.status, declaration }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { CLIENT_ID, CLIENT_SECRET } = process.env
  if (!CLIENT_ID || !CLIENT_SECRET) {
    console.error('Set CLIENT_ID and CLIENT_SECRET to an insurer client\'s credentials (kind "insurer" in POST /v1/sandbox/test-organisations).')
    process.exit(1)
  }
  await declareInsurance({
    gatewayUrl: process.env.GATEWAY_URL ?? 'http://localhost:3000',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    permitId: process.env.PERMIT_ID,
    shipmentReference: process.env.SHIPMENT_REFERENCE ?? `SHP-${Date.now()}`,
    insuredValue: { amount: process.env.AMOUNT ?? '165000.00', currency: process.env.CURRENCY ?? 'USD' },
  })
}
