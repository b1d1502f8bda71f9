/**
 * Response serializers: one per distinct schema, and unions of plain types written by a type list,
 * still refusing a value of the wrong type.
 */
import Fastify from 'fastify'
import t from 'tap'
import { sharedSerializers, withTypeLists } from '../../src/http/response-serializers.ts'

t.test('unions of plain types become type lists; others are left alone', async (t) => {
  const nullableUuid = { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }], description: 'kept' }
  t.same(withTypeLists(nullableUuid), { type: ['string', 'null'], description: 'kept' })
  const literals = { anyOf: [{ const: 'a', type: 'string' }, { const: 'b', type: 'string' }] }
  t.same(withTypeLists(literals), literals, 'literal unions keep their check')
  const dates = { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] }
  t.same(withTypeLists(dates), dates, 'date-time is written by format: left alone')
  const refs = { anyOf: [{ $ref: 'Thing' }, { type: 'null' }] }
  t.same(withTypeLists(refs), refs)
  const nested = { type: 'object', properties: { items: { type: 'array', items: nullableUuid } } }
  t.same(withTypeLists(nested), { type: 'object', properties: { items: { type: 'array', items: { type: ['string', 'null'], description: 'kept' } } } })
  t.same(nullableUuid.anyOf.length, 2, 'the original schema is not changed')
})

t.test('a gateway-like app serialises by the rewritten schema and refuses the wrong type', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } } })
  t.teardown(() => app.close())
  app.addSchema({ $id: 'Item', type: 'object', additionalProperties: false, properties: { id: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] } } })
  let value: unknown = null
  for (const url of ['/a', '/b']) app.get(url, { schema: { response: { 200: { $ref: 'Item' } } } }, async () => ({ id: value, extra: 'dropped' }))
  t.same((await app.inject('/a')).json(), { id: null })
  value = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
  t.same((await app.inject('/b')).json(), { id: value }, 'a second route with the same schema serialises alike')
  value = 42
  t.equal((await app.inject('/a')).statusCode, 500, 'a number where a string or null belongs is still refused')
})
