/**
 * examples/inhouse-permit.ts as an integrator runs it, against a gateway on a real socket (the
 * sandbox INATRADE deciding in milliseconds): it subscribes, submits once, and follows the permit
 * by verified webhooks to the issued licence and its document.
 */
import t from 'tap'
import { runInhouse } from '../../examples/inhouse-permit.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { freePort } from '../helpers/live-gateway.ts'

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })

t.test('submitted once, followed by webhook to the issued licence', async (t) => {
  const created = (await (await fetch(`${url}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nib":"8120000000001"}' })).json()) as {
    clients: { kind: string; clientId: string; clientSecret: string }[]
  }
  const inhouse = created.clients.find((client) => client.kind === 'inhouse')!
  const lines: string[] = []
  const outcome = await runInhouse({
    gatewayUrl: url,
    clientId: inhouse.clientId,
    clientSecret: inhouse.clientSecret,
    receiverPort: await freePort(),
    clientReference: 'example-inhouse-1',
    log: (line) => lines.push(line),
    timeoutMs: 60_000,
  })
  t.equal(outcome.finalStatus, 'issued')
  t.equal(outcome.steps[0], 'permit.submitted', 'the first step first (ordered by sequence)')
  t.equal(outcome.steps.at(-1), 'permit.issued')
  t.ok(outcome.steps.includes('permit.approved'), `every step told (${outcome.steps.join(', ')})`)
  t.ok(outcome.documentBytes > 1000, `the licence document downloaded (${outcome.documentBytes} bytes)`)
  t.match(lines.join('\n'), /subscribed webhook [^\n]+\nsubmitted PRM-[^\n]+\n(webhook: [^\n]+\n)+licence /, 'it says what it does')
})
