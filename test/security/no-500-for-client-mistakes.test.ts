/**
 * Issue 8 item 12: no 500 for a client's mistake. Forged or tampered cursors, out-of-range and
 * leap-second dates, NUL bytes in any string (body, query, path, the sign-in forms, the
 * registration's multipart form), malformed multipart, `Basic %` on the token endpoint each
 * answer 4xx; an upstream answering an invalid date is the upstream's fault: 502, not 500.
 * Found later by the contract fuzzer (test/fuzz): query numbers Ajv coerces to Infinity; JSON
 * bodies coerced to the declared type (42 → "42").
 */
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { AppError } from '../../src/errors/app-error.ts'
import { DjpTaxpayerSchema } from '../../src/upstreams/djp.ts'
import { OssBusinessSchema } from '../../src/upstreams/oss.ts'
import { responseReader } from '../../src/upstreams/response-schema.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const org = await createOrg(app, '8120000000001')
const token = tokenMinter(app).forUser(org.superAdmin.userId, { orgId: org.orgId })

function assertClientProblem(t: Test, response: LightMyRequestResponse, label: string, status?: number): void {
  t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: 4xx (got ${response.statusCode})`)
  if (status) t.equal(response.statusCode, status, `${label}: ${status}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
  t.equal(response.json().requestId, response.headers['x-request-id'], `${label}: request id`)
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('forged or tampered cursors: 422, on every list', async (t) => {
  const forged = [
    'not-base64-json',
    cursorOf(['x', 'y']),
    cursorOf(['2026-01-01 00:00:00+00', 'not-a-uuid']),
    cursorOf(['2026-02-30 00:00:00+00', '00000000-0000-4000-8000-000000000000']),
    cursorOf(['0000-01-01 00:00:00+00', '00000000-0000-4000-8000-000000000000']),
    cursorOf(['2016-12-31 23:59:60+00', '00000000-0000-4000-8000-000000000000']),
    cursorOf({ at: '2026-01-01 00:00:00+00', id: 'x' }),
    cursorOf(['2026-01-01 00:00:00+00', "x' or '1'='1"]),
  ]
  const lists = ['groups', 'users', 'clients', 'audit-events'].map((list) => `/v1/orgs/${org.orgId}/${list}`)
  for (const url of lists) {
    for (const cursor of forged) {
      // Client ids are text: `not-a-uuid` is a well-formed (if unknown) position in that list.
      if (url.endsWith('/clients') && cursor === forged[2]) continue
      const response = await api(app, token, 'GET', `${url}?cursor=${encodeURIComponent(cursor)}`)
      assertClientProblem(t, response, `${url} cursor ${cursor.slice(0, 24)}`, 422)
    }
  }
  const real = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/clients?limit=1`)
  t.equal(real.statusCode, 200, 'a real cursor still pages')
  const next = real.json().next as string
  t.ok(next, 'there is a next page')
  t.equal((await api(app, token, 'GET', next)).statusCode, 200, 'its next page is served')
})

t.test('out-of-range and leap-second dates: 422 before the database', async (t) => {
  for (const date of ['2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00', '99999-01-01T00:00:00Z']) {
    for (const name of ['from', 'to']) {
      const response = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/audit-events?${name}=${encodeURIComponent(date)}`)
      assertClientProblem(t, response, `${name}=${date}`, 422)
    }
  }
  const fine = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/audit-events?from=${encodeURIComponent('2024-02-29T23:59:59+07:00')}`)
  t.equal(fine.statusCode, 200, 'a valid date passes')
})

t.test('numbers beyond a double (found by the contract fuzzer): 422, not Infinity in SQL', async (t) => {
  for (const limit of ['1e309', '-1e309', '9'.repeat(400)]) {
    const response = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/users?limit=${limit}`)
    assertClientProblem(t, response, `limit=${limit.slice(0, 12)}`, 422)
    t.equal(response.json().errors[0].pointer, '/limit', 'the field is named')
  }
})

t.test('a JSON body means what it says: a number or boolean where text is due is a 422, not coerced', async (t) => {
  for (const position of [42, true, null]) {
    const response = await api(app, token, 'POST', `/v1/orgs/${org.orgId}/groups`, { level: 'non_admin', name: position, rights: [] })
    assertClientProblem(t, response, `name = ${String(position)}`, 422)
    t.equal(response.json().errors[0].pointer, '/name', 'the field is named')
  }
  const text = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/users?limit=5`)
  t.equal(text.statusCode, 200, 'query text is still read as the number it spells')
})

t.test('NUL bytes in any string: 422 with a pointer, before PostgreSQL', async (t) => {
  const inBody = await api(app, token, 'POST', `/v1/orgs/${org.orgId}/groups`, { level: 'admin', name: 'Tim\u0000Ops', rights: [] })
  assertClientProblem(t, inBody, 'body', 422)
  t.match(inBody.json().errors, [{ pointer: '/name', in: 'body', reason: 'nul' }])
  const inQuery = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/audit-events?actor=a%00b`)
  assertClientProblem(t, inQuery, 'query', 422)
  t.match(inQuery.json().errors, [{ pointer: '/actor', in: 'query', reason: 'nul' }])
  const inPath = await app.inject({ method: 'GET', url: '/v1/registrations/REG%00X' })
  assertClientProblem(t, inPath, 'path', 422)
  const signIn = await app.inject({ method: 'POST', url: '/account/forgot-password', payload: 'email=a%00b%40example.com&username=x%00y', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.ok(signIn.statusCode >= 400 && signIn.statusCode < 500, `an HTML form without a schema: 4xx (got ${signIn.statusCode})`)
  const boundary = 'nulboundary'
  const form = JSON.stringify({ organisationName: 'PT A\u0000B' })
  const multipart = await app.inject({
    method: 'POST',
    url: '/v1/registrations',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: `--${boundary}\r\nContent-Disposition: form-data; name="form"\r\n\r\n${form}\r\n--${boundary}--\r\n`,
  })
  assertClientProblem(t, multipart, 'registration form', 422)
})

t.test('malformed multipart: 400 problem, not 500', async (t) => {
  const cases: [string, string][] = [
    ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="form"\r\n\r\n{"a":1}\r\n--xy'],
    ['multipart/form-data', 'garbage'],
    ['multipart/form-data; boundary=xyz', '--xyz\r\nno headers at all\r\n--xyz--'],
  ]
  for (const [type, payload] of cases) {
    const response = await app.inject({ method: 'POST', url: '/v1/registrations', headers: { 'content-type': type }, payload })
    assertClientProblem(t, response, `${type} ${JSON.stringify(payload.slice(0, 20))}`)
  }
})

t.test('`Basic %` and other undecodable credentials on the token endpoint: 4xx', async (t) => {
  for (const credentials of ['%', Buffer.from('%:x').toString('base64'), Buffer.from('%E0%A4%A:secret').toString('base64')]) {
    const response = await app.inject({
      method: 'POST',
      url: '/oidc/token',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    })
    t.ok(response.statusCode >= 400 && response.statusCode < 500, `Basic ${credentials}: ${response.statusCode}`)
    t.match(response.json(), { error: /^invalid_(request|client)$/ }, 'an OAuth error (RFC 6749 §5.2), the token endpoint\'s own format')
  }
})

/** The code and status an AppError thrown by `read` carries, or what else happened. */
function refusal(read: () => unknown): string {
  try {
    read()
    return 'accepted'
  } catch (error) {
    return error instanceof AppError ? `${error.code} ${error.statusCode}` : `not an AppError: ${String(error)}`
  }
}

t.test('an upstream answering an invalid date: 502 UPSTREAM_BAD_RESPONSE, not a RangeError', async (t) => {
  const business = {
    nib: '8120000000001', name: 'PT A', legalForm: 'PT', npwp: null, businessTypes: [], kbli: [], personsInCharge: [],
    address: { street: 'Jl. A', city: 'Jakarta', province: 'DKI Jakarta', postalCode: '10110' },
  }
  const oss = responseReader('oss', 'business profile', OssBusinessSchema)
  t.equal(oss.read({ ...business, lastChangedAt: '2026-01-15T03:00:00.000Z' }).lastChangedAt, '2026-01-15T03:00:00.000Z', 'a valid date is read')
  for (const date of ['2016-12-31T23:59:60Z', 'yesterday', '2026-13-01T00:00:00Z', '0000-01-01T00:00:00Z']) {
    t.equal(refusal(() => oss.read({ ...business, lastChangedAt: date })), 'UPSTREAM_BAD_RESPONSE 502', `OSS lastChangedAt ${date}`)
  }
  const djp = responseReader('djp', 'taxpayer confirmation', DjpTaxpayerSchema)
  t.equal(
    refusal(() => djp.read({ npwp: '010000000001000', status: 'VALID', taxpayerName: 'PT A', confirmedAt: '2026-02-29T00:00:00Z' })),
    'UPSTREAM_BAD_RESPONSE 502',
    'DJP confirmedAt on a day that does not exist',
  )
})
