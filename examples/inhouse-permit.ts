/**
 * An organisation's in-house system, as an integrator writes one with the typed client
 * (packages/client): it listens for the gateway's webhooks (verified with the client's
 * `verifyWebhook`), subscribes to its permits' steps, submits an import approval once (the client
 * adds the Idempotency-Key and retries safely), and follows the permit by webhook until the licence
 * is issued, then downloads the licence document.
 *
 *   npm start                                     # the gateway, sandbox mode
 *   curl -s -XPOST localhost:3000/v1/sandbox/test-organisations -H 'content-type: application/json' -d '{"nib":"8120000000001"}'
 *   CLIENT_ID=… CLIENT_SECRET=… node examples/inhouse-permit.ts   # the in-house client's credentials from that answer
 *
 * GATEWAY_URL (default http://localhost:3000), RECEIVER_PORT (default 4100: the gateway must reach
 * http://127.0.0.1:RECEIVER_PORT, which sandbox mode allows).
 */
import { createServer, type Server } from 'node:http'
import { pathToFileURL } from 'node:url'
import { createGatewayClient, expectData, verifyWebhook, type WebhookEvent } from '../packages/client/src/index.ts'

const STEPS = ['permit.submitted', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved', 'permit.issued', 'permit.rejected'] as const

export interface InhouseOptions {
  gatewayUrl: string
  clientId: string
  clientSecret: string
  receiverPort: number
  /** Our own reference for the application (the gateway refuses a second one with it). */
  clientReference: string
  log?: (line: string) => void
  /** How long to follow the permit (default 2 minutes). */
  timeoutMs?: number
}

export interface InhouseOutcome {
  permitId: string
  referenceNumber: string
  /** The steps as the webhooks told them, in order. */
  steps: string[]
  finalStatus: string
  /** The licence document's size in bytes (0 when rejected). */
  documentBytes: number
}

export async function runInhouse(options: InhouseOptions): Promise<InhouseOutcome> {
  const log = options.log ?? console.log
  const gateway = createGatewayClient({
    baseUrl: options.gatewayUrl,
    credentials: { clientId: options.clientId, clientSecret: options.clientSecret, scope: 'org:read permits:read permits:write webhooks:read webhooks:write' },
  })
  const me = expectData(await gateway.GET('/v1/me'))
  const orgId = me.organisation!.id

  // 1. Our receiver, then the subscription (its secret is shown once: keep it with the receiver).
  const events: WebhookEvent[] = []
  let secret = ''
  let wake: () => void = () => {}
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      try {
        events.push(verifyWebhook(Buffer.concat(chunks), request.headers, secret))
        response.writeHead(204).end()
        wake()
      } catch {
        response.writeHead(401).end()
      }
    })
  })
  await new Promise<void>((resolve) => receiver.listen(options.receiverPort, '127.0.0.1', resolve))
  try {
    const subscription = expectData(
      await gateway.POST('/v1/orgs/{orgId}/webhooks', {
        params: { path: { orgId } },
        body: { url: `http://127.0.0.1:${options.receiverPort}/insw`, eventTypes: [...STEPS], description: 'in-house system (example)' },
      }),
    )
    secret = subscription.secret
    log(`subscribed webhook ${subscription.webhook.id} to ${STEPS.length} permit steps`)

    // 2. The submission: only the application itself; the organisation's NIB, NPWP and address come from its record.
    const submitted = expectData(
      await gateway.POST('/v1/permits', {
        body: {
          permitType: 'PI-GULA',
          clientReference: options.clientReference,
          payload: {
            lines: [
              { hsCode: '1701.14.00', description: 'Raw cane sugar for refining', quantity: 25_000, unit: 'TNE', value: 11_250_000, currency: 'USD', originCountry: 'TH' },
            ],
            portOfDischarge: 'IDTPP',
            shipmentPeriod: { from: '2027-01-10', to: '2027-03-31' },
            pertekNumber: 'PERTEK-IND/2026/000123',
            pertekDate: '2026-11-20',
          },
          documents: [
            { type: 'NIB', name: 'nib.pdf' },
            { type: 'PROFORMA_INVOICE', name: 'proforma.pdf' },
            { type: 'PERTEK', name: 'pertek.pdf' },
          ],
        },
      }),
    )
    const permit = submitted.permit
    log(`submitted ${permit.referenceNumber} (${permit.id}), receipt ${submitted.receipt.slice(0, 24)}…`)

    // 3. Followed by webhook until a decision and its document.
    const deadline = Date.now() + (options.timeoutMs ?? 120_000)
    const stepsOf = () => events.filter((event) => (event.data as { permitId?: string }).permitId === permit.id).sort((a, b) => ((a.data as { sequence: number }).sequence - (b.data as { sequence: number }).sequence))
    while (!stepsOf().some((event) => event.type === 'permit.issued' || event.type === 'permit.rejected')) {
      if (Date.now() > deadline) throw new Error(`no decision within the time allowed; steps so far: ${stepsOf().map((event) => event.type).join(', ')}`)
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, 1000)
      })
    }
    const steps = stepsOf().map((event) => event.type)
    for (const step of steps) log(`webhook: ${step}`)
    const current = expectData(await gateway.GET('/v1/permits/{id}', { params: { path: { id: permit.id } } }))
    let documentBytes = 0
    if (current.status === 'issued') {
      const document = await gateway.GET('/v1/permits/{id}/document', { params: { path: { id: permit.id } }, parseAs: 'arrayBuffer' })
      documentBytes = (document.data as ArrayBuffer | undefined)?.byteLength ?? 0
      log(`licence ${current.licence?.number}: document of ${documentBytes} bytes`)
    }
    await gateway.DELETE('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId, webhookId: subscription.webhook.id } } })
    return { permitId: permit.id, referenceNumber: permit.referenceNumber, steps, finalStatus: current.status, documentBytes }
  } finally {
    await new Promise<void>((resolve) => (receiver as Server).close(() => resolve()))
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { CLIENT_ID, CLIENT_SECRET } = process.env
  if (!CLIENT_ID || !CLIENT_SECRET) {
    console.error('Set CLIENT_ID and CLIENT_SECRET to an in-house client\'s credentials (POST /v1/sandbox/test-organisations answers them).')
    process.exit(1)
  }
  const outcome = await runInhouse({
    gatewayUrl: process.env.GATEWAY_URL ?? 'http://localhost:3000',
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    receiverPort: Number(process.env.RECEIVER_PORT ?? 4100),
    clientReference: `example-${Date.now()}`,
  })
  console.log(`${outcome.referenceNumber}: ${outcome.finalStatus}`)
}
