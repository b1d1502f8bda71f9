// A tester scripts the stubs through their control API; the gateway tells where they listen.
import t from 'tap'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)

t.test('GET /v1/sandbox/upstreams names the stubs the adapters talk to', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/sandbox/upstreams' })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.equal(body.inatrade, context.sandbox.inatradeUrl)
  t.equal(body.oss, context.sandbox.ossUrl)
  t.equal(body.djp, context.sandbox.djpUrl)
  const control = await fetch(`${body.inatrade}/__sandbox/identities/8120000000008`)
  t.equal(control.status, 200, 'the INATRADE origin answers its control API')
})
// A production gateway has no /v1/sandbox/ route at all: test/contract.test.ts.
