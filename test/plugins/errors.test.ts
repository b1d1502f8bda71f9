import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { AppError } from '../../src/errors/app-error.ts'
import { buildTestApp, captureLogs, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const logs = captureLogs()
const app = await buildTestApp(t, context, { logs })

// Probe routes exercising each error class through the real plugins.
app.post(
  '/probe/echo',
  {
    bodyLimit: 1024,
    schema: {
      body: Type.Object(
        {
          nib: Type.String({ pattern: '^[0-9]{13}$' }),
          email: Type.String({ format: 'email' }),
          name: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
    },
  },
  async (request) => request.body,
)
app.get('/probe/crash', async () => {
  throw new Error('database password is hunter2 at /srv/app/secret.ts:12')
})
app.get('/probe/conflict', async () => {
  throw new AppError('CONFLICT', { detail: { en: 'NIB already registered', id: 'NIB sudah terdaftar' } })
})
await app.ready()

const valid = { nib: '8120000000001', email: 'budi@example.co.id', name: 'Budi' }

function assertProblem(t: Test, response: Awaited<ReturnType<typeof app.inject>>, status: number, code: string) {
  t.equal(response.statusCode, status)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  const body = response.json()
  t.equal(body.status, status)
  t.equal(body.code, code)
  t.match(body.type, /^https:\/\//)
  t.type(body.title, 'string')
  t.equal(body.requestId, response.headers['x-request-id'])
  t.type(body.instance, 'string')
  return body
}

t.test('a valid request passes', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/probe/echo', payload: valid })
  t.equal(response.statusCode, 200)
  t.same(response.json(), valid)
})

t.test('unknown route: 404 problem', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' })
  const body = assertProblem(t, response, 404, 'ROUTE_NOT_FOUND')
  t.equal(body.instance, '/v1/nothing-here')
})

t.test('malformed JSON: 400 problem', async (t) => {
  const response = await app.inject({
    method: 'POST', url: '/probe/echo', headers: { 'content-type': 'application/json' }, payload: '{"nib": "81',
  })
  assertProblem(t, response, 400, 'MALFORMED_JSON')
})

t.test('empty JSON body: 400 problem', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/probe/echo', headers: { 'content-type': 'application/json' }, payload: '' })
  assertProblem(t, response, 400, 'MALFORMED_JSON')
})

t.test('wrong content type: 415 problem', async (t) => {
  for (const type of ['text/plain', 'application/xml']) {
    const response = await app.inject({ method: 'POST', url: '/probe/echo', headers: { 'content-type': type }, payload: 'nib=1' })
    assertProblem(t, response, 415, 'UNSUPPORTED_MEDIA_TYPE')
  }
})

t.test('body too large: 413 problem', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/probe/echo', payload: { ...valid, name: 'x'.repeat(2048) } })
  assertProblem(t, response, 413, 'PAYLOAD_TOO_LARGE')
})

t.test('schema violations: 422 with one JSON pointer per invalid field', async (t) => {
  const response = await app.inject({
    method: 'POST', url: '/probe/echo', payload: { nib: '123', email: 'not-an-email', level: 'SUPER_ADMIN' },
  })
  const body = assertProblem(t, response, 422, 'VALIDATION_FAILED')
  const byPointer = Object.fromEntries(body.errors.map((e: { pointer: string }) => [e.pointer, e]))
  t.match(byPointer['/nib'], { in: 'body', reason: 'pattern' })
  t.match(byPointer['/email'], { in: 'body', reason: 'format' })
  t.match(byPointer['/name'], { in: 'body', reason: 'required', detail: 'is required' })
  t.match(byPointer['/level'], { in: 'body', reason: 'additionalProperties' })
  t.match(body.detail, /4 invalid fields/)
})

t.test('query violations point into the query', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/probe/echo?limit=500', payload: valid })
  const body = assertProblem(t, response, 422, 'VALIDATION_FAILED')
  t.match(body.errors, [{ pointer: '/limit', in: 'query', reason: 'maximum' }])
})

t.test('Accept-Language: id gives Indonesian titles and details', async (t) => {
  const response = await app.inject({
    method: 'POST', url: '/probe/echo', headers: { 'accept-language': 'id-ID,id;q=0.9,en;q=0.5' }, payload: { ...valid, nib: 'x' },
  })
  const body = assertProblem(t, response, 422, 'VALIDATION_FAILED')
  t.equal(body.title, 'Validasi gagal')
  t.match(body.errors[0].detail, /harus sesuai pola/)
  t.equal(response.headers['content-language'], 'id')
  const conflict = await app.inject({ method: 'GET', url: '/probe/conflict', headers: { 'accept-language': 'id' } })
  t.equal(assertProblem(t, conflict, 409, 'CONFLICT').detail, 'NIB sudah terdaftar')
  const english = await app.inject({ method: 'GET', url: '/probe/conflict' })
  t.equal(english.json().detail, 'NIB already registered')
})

t.test('5xx: generic body with a correlation id that is in the log, no internals', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/probe/crash' })
  const body = assertProblem(t, response, 500, 'INTERNAL_ERROR')
  t.notMatch(response.body, /hunter2|secret\.ts|at \//, 'no message or stack in the body')
  t.match(body.detail, /requestId/)
  const logged = logs.lines().find((line) => line.requestId === body.requestId && line.level === 50)
  t.ok(logged, 'the error is logged under the same correlation id')
  t.match((logged?.err as { message: string }).message, /hunter2/, 'the log keeps the cause for operators')
})
