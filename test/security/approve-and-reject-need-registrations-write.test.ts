/**
 * Issue 8 item 14: approving or rejecting a registration changes state (an organisation and its
 * super admin are created), so it needs the `registrations:write` scope; a token that may only
 * read registrations is refused with 403 INSUFFICIENT_SCOPE.
 */
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { formFor, IDENTITIES, minimalPdf, operatorToken, submit } from '../registration/helpers.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const reader = await operatorToken(app, url, 'openid registrations:read')
const writer = await operatorToken(app, url)

const submitted = await submit(app, { form: formFor(IDENTITIES.approved), file: { content: minimalPdf() } })
const trackingNumber = submitted.json().trackingNumber as string

t.test('the scope is offered to operators in discovery and the contract', async (t) => {
  const discovery = await app.inject({ method: 'GET', url: '/oidc/.well-known/openid-configuration' })
  t.ok(discovery.json().scopes_supported.includes('registrations:write'))
  const contract = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.same(contract.json().paths['/v1/operator/registrations/{trackingNumber}/approve'].post.security[0], { oauth2: ['registrations:write'] })
})

for (const action of ['approve', 'reject'] as const) {
  t.test(`${action} with only registrations:read is refused`, async (t) => {
    const response = await app.inject({
      method: 'POST',
      url: `/v1/operator/registrations/${trackingNumber}/${action}`,
      headers: { authorization: `Bearer ${reader.token}` },
      payload: action === 'reject' ? { reason: 'Not allowed with a read-only token.' } : {},
    })
    t.equal(response.statusCode, 403, response.body)
    t.equal(response.json().code, 'INSUFFICIENT_SCOPE')
  })
}

t.test('the read-only token still reads, and registrations:write approves', async (t) => {
  const read = await app.inject({ method: 'GET', url: `/v1/operator/registrations/${trackingNumber}`, headers: { authorization: `Bearer ${reader.token}` } })
  t.equal(read.statusCode, 200)
  t.equal(read.json().status, 'pending_review', 'nothing was decided by the refused calls')
  const approved = await app.inject({ method: 'POST', url: `/v1/operator/registrations/${trackingNumber}/approve`, headers: { authorization: `Bearer ${writer.token}` }, payload: {} })
  t.equal(approved.statusCode, 200, approved.body)
})
