/**
 * Issue 8 item 14: /oidc/request (pushed authorization requests) accepted and stored request
 * objects from anyone though no client uses it. It is off unless OIDC_PAR=true.
 */
import t from 'tap'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)

const parRequest = {
  method: 'POST' as const,
  url: '/oidc/request',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: 'client_id=swagger-ui&response_type=code&scope=openid&redirect_uri=http%3A%2F%2Fgateway.test%2Fdocs%2Foauth2-redirect.html&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
}

t.test('by default: no PAR endpoint, in discovery or at /oidc/request', async (t) => {
  const app = await buildTestApp(t, context)
  const discovery = await app.inject({ method: 'GET', url: '/oidc/.well-known/openid-configuration' })
  t.equal(discovery.statusCode, 200)
  t.notOk('pushed_authorization_request_endpoint' in discovery.json())
  const response = await app.inject(parRequest)
  t.equal(response.statusCode, 404, response.body)
})

t.test('OIDC_PAR=true turns it on', async (t) => {
  const app = await buildTestApp(t, context, { env: { OIDC_PAR: 'true' } })
  const discovery = await app.inject({ method: 'GET', url: '/oidc/.well-known/openid-configuration' })
  t.match(discovery.json().pushed_authorization_request_endpoint, /\/oidc\/request$/)
  const response = await app.inject(parRequest)
  t.not(response.statusCode, 404, response.body)
})
