/**
 * Deprecation (src/plugins/deprecation.ts): a route declaring `config.deprecation` is marked
 * deprecated in the contract with its dates, and its answers carry Deprecation (RFC 9745), Sunset
 * (RFC 8594) and Link; other routes carry none of them; bad dates stop the start.
 */
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import deprecationPlugin from '../../src/plugins/deprecation.ts'

async function appWith(deprecation: { since: string; sunset: string; successor?: string }) {
  const app = Fastify()
  await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } })
  await app.register(deprecationPlugin)
  app.get('/v1/old', { config: { deprecation }, schema: { description: 'The old way.', response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }))
  app.get('/v1/current', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  return app
}

t.test('a deprecated route: its answers say so, with the sunset and the successor', async (t) => {
  const app = await appWith({ since: '2026-12-03', sunset: '2027-06-30', successor: '/v2/new' })
  const old = await app.inject({ url: '/v1/old' })
  t.equal(old.statusCode, 200)
  t.equal(old.headers.deprecation, `@${Date.parse('2026-12-03') / 1000}`, 'RFC 9745: @ and epoch seconds')
  t.equal(old.headers.sunset, 'Wed, 30 Jun 2027 00:00:00 GMT', 'RFC 8594: an HTTP-date')
  t.equal(old.headers.link, '</v2/new>; rel="successor-version", </docs>; rel="deprecation"; type="text/html"')
  const current = await app.inject({ url: '/v1/current' })
  t.equal(current.headers.deprecation, undefined, 'other routes carry nothing')
  t.equal(current.headers.sunset, undefined)

  const operation = (app.swagger() as { paths: Record<string, { get: { deprecated?: boolean; description?: string } }> }).paths['/v1/old']!.get
  t.equal(operation.deprecated, true, 'marked deprecated in the contract')
  t.match(operation.description, /^\*\*Deprecated\*\* since 2026-12-03; answers `410 Gone` from 2027-06-30; use `\/v2\/new`.*\n\nThe old way\.$/s)
  t.notOk((app.swagger() as { paths: Record<string, { get: { deprecated?: boolean } }> }).paths['/v1/current']!.get.deprecated)
})

t.test('a sunset before the deprecation, or no date at all, stops the start', async (t) => {
  await t.rejects(appWith({ since: '2027-06-30', sunset: '2026-12-03' }), /sunset after since/)
  await t.rejects(appWith({ since: 'soon', sunset: '2027-06-30' }), /ISO dates/)
})
