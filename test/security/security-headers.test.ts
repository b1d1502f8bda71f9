/**
 * Issue 8 item 14 (security headers): CSP with frame-ancestors, nosniff and a referrer policy on
 * JSON answers, problem documents, /docs and the sign-in pages; HSTS when the gateway is served
 * over https.
 */
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import securityHeadersPlugin, { HSTS } from '../../src/plugins/security-headers.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()

function assertHeaders(t: Test, headers: Record<string, unknown>, label: string): string {
  t.equal(headers['x-content-type-options'], 'nosniff', `${label}: nosniff`)
  t.equal(headers['referrer-policy'], 'no-referrer', `${label}: no referrer`)
  const csp = String(headers['content-security-policy'] ?? '')
  t.match(csp, /frame-ancestors 'none'/, `${label}: may not be framed`)
  return csp
}

t.test('JSON answers and problem documents', async (t) => {
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.match(assertHeaders(t, live.headers, 'JSON'), /default-src 'none'/)
  const problem = await app.inject({ method: 'GET', url: '/v1/me' })
  t.equal(problem.statusCode, 401)
  t.match(assertHeaders(t, problem.headers, 'problem'), /default-src 'none'/)
  t.notOk(live.headers['strict-transport-security'], 'no HSTS over plain http')
})

t.test('the sign-in pages: no scripts, no framing', async (t) => {
  const page = await app.inject({ method: 'GET', url: '/account/forgot-password' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const csp = assertHeaders(t, page.headers, 'sign-in page')
  t.notMatch(csp, /script-src/, 'no script source allowed (default-src none)')
})

t.test('/docs: Swagger UI loads its own scripts, nothing else, and cannot be framed', async (t) => {
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  const csp = assertHeaders(t, docs.headers, '/docs')
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline/, 'no inline or eval scripts')
})

t.test('HSTS when the public URL is https', async (t) => {
  const https = Fastify()
  await https.register(securityHeadersPlugin, { https: true })
  https.get('/', async () => ({ ok: true }))
  const response = await https.inject({ method: 'GET', url: '/' })
  t.equal(response.headers['strict-transport-security'], HSTS)
  t.match(HSTS, /max-age=\d{7,}/, 'at least months')
  await https.close()
})
