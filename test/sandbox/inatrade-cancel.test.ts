/** The stub's cancel operation (docs/sandbox-upstreams.md) and the adapter's cancelApplication over it. */
import t from 'tap'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { createUpstreamClient } from '../../src/upstreams/http-client.ts'
import { createInatradeAdapter } from '../../src/upstreams/inatrade.ts'
import { applicationBody, fixtureStore, NIB, SECRET, startCallbackReceiver, TIME_SCALE, type Teardown } from './helpers.ts'

const APPLICATIONS = '/inatrade/v1/applications'

async function stub(t: Teardown, timeScale: number) {
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale, callbackSecret: SECRET })
  t.teardown(() => app.close())
  const receiver = await startCallbackReceiver(t)
  const file = async (key: string, nib: string = NIB.approved) => {
    const response = await app.inject({ method: 'POST', url: APPLICATIONS, headers: { 'idempotency-key': key }, payload: applicationBody(receiver.url, { nib }) })
    return response.json().inatradeId as string
  }
  const cancel = (id: string, key: string | null = `cancel-${id}`) =>
    app.inject({ method: 'POST', url: `${APPLICATIONS}/${id}/cancel`, headers: key === null ? {} : { 'idempotency-key': key } })
  return { app, receiver, file, cancel }
}

t.test('cancel before the decision: 200 CANCELLED, idempotent, journalled, the timetable stops', async (t) => {
  // 0.5: the first step is a second away, so the cancel lands before it.
  const { app, receiver, file, cancel } = await stub(t, 0.5)
  const id = await file('k-cancel')
  const first = await cancel(id)
  t.equal(first.statusCode, 200)
  t.match(first.json(), { inatradeId: id, status: 'CANCELLED', cancelledAt: String })
  const again = await cancel(id)
  t.same(again.json(), first.json(), 'a repeat answers the same')
  const read = (await app.inject({ url: `${APPLICATIONS}/${id}` })).json()
  t.equal(read.status, 'CANCELLED')
  t.same(read.history.map((h: { status: string }) => h.status), ['RECEIVED', 'CANCELLED'])
  const journal = (await app.inject({ url: '/__sandbox/requests' })).json() as { url: string; statusCode: number; headers: Record<string, string> }[]
  t.same(journal.filter((e) => e.url.endsWith('/cancel')).map((e) => [e.statusCode, e.headers['idempotency-key']]), [[200, `cancel-${id}`], [200, `cancel-${id}`]])
  await new Promise((resolve) => setTimeout(resolve, 2_800))
  t.equal(receiver.attempts.length, 0, 'no step, no callback after the cancel')
})

t.test('after the decision: 409 ALREADY_DECIDED; unknown: 404; no key: 400', async (t) => {
  const { file, cancel, receiver } = await stub(t, TIME_SCALE)
  const id = await file('k-decided')
  await receiver.waitFor(2)
  const late = await cancel(id)
  t.equal(late.statusCode, 409)
  t.match(late.json(), { error: 'ALREADY_DECIDED', status: 'APPROVED' })
  t.equal((await cancel('no-such-id')).statusCode, 404)
  t.match((await cancel(id, null)).json(), { error: 'MISSING_IDEMPOTENCY_KEY' })
})

t.test('the adapter reads every answer', async (t) => {
  const { app, file, receiver } = await stub(t, 0.5)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const client = createUpstreamClient({
    name: 'inatrade',
    baseUrl: `http://127.0.0.1:${port}`,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    breaker: { failureRateThreshold: 1, minimumCalls: 100, windowMs: 1000, resetAfterMs: 1000 },
  })
  t.teardown(() => client.close())
  const adapter = createInatradeAdapter(client)
  const id = await file('k-adapter')
  t.match(await adapter.cancelApplication(id, { idempotencyKey: 'permit-cancel:1' }), { outcome: 'cancelled', cancelledAt: String })
  t.same(await adapter.cancelApplication('missing', { idempotencyKey: 'permit-cancel:2' }), { outcome: 'not_found' })
  await t.rejects(adapter.cancelApplication(id, { idempotencyKey: '' }), { code: 'INTERNAL_ERROR' })
  t.equal(receiver.attempts.length, 0)
})
