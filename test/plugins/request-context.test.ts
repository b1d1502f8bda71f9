import t from 'tap'
import { maskUrl } from '../../src/logger.ts'
import { buildTestApp, captureLogs, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const logs = captureLogs()
const app = await buildTestApp(t, context, { logs })
app.post('/probe/login', async (request) => {
  request.log.info({ body: request.body }, 'probe saw a body')
  return { ok: true }
})
await app.ready()

t.test('an incoming X-Request-Id is logged as the caller\'s; the gateway answers with its own id', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'client-abc.123' } })
  const id = response.headers['x-request-id'] as string
  t.match(id, /^[0-9a-f-]{36}$/)
  const line = logs.lines().find((l) => l.requestId === id && l.msg === 'request completed')
  t.match(line, { method: 'GET', url: '/health/live', statusCode: 200, callerRequestId: 'client-abc.123' })
})

t.test('an unsafe X-Request-Id is dropped', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'a b\n{"evil":1}' } })
  const id = response.headers['x-request-id'] as string
  t.match(id, /^[0-9a-f-]{36}$/)
  const line = logs.lines().find((l) => l.requestId === id && l.msg === 'request completed')
  t.notOk(line && 'callerRequestId' in line)
})

t.test('exactly one log line per request', async (t) => {
  const before = logs.lines().length
  const response = await app.inject({ method: 'GET', url: '/health/live' })
  const mine = logs.lines().slice(before).filter((l) => l.requestId === response.headers['x-request-id'])
  t.equal(mine.length, 1)
})

t.test('secrets and personal data are redacted from logs', async (t) => {
  const secrets = {
    password: 'Hunter2!pass',
    client_secret: 'cs_live_abcdef',
    nik: '3171010101800001',
    npwp: '012345678901000',
    applicant: { nik: '3171010101800002', token: 'tok_12345' },
  }
  await app.inject({
    method: 'POST',
    url: '/probe/login?access_token=at_secret_value&page=2',
    headers: { authorization: 'Bearer eyJhbGciOi.secret.sig', cookie: 'sid=cookie_secret' },
    payload: secrets,
  })
  const text = logs.text()
  for (const value of ['Hunter2!pass', 'cs_live_abcdef', '3171010101800001', '012345678901000', '3171010101800002', 'tok_12345', 'at_secret_value', 'eyJhbGciOi', 'cookie_secret']) {
    t.notOk(text.includes(value), `${value} is not in the log`)
  }
  t.match(text, /page=2/, 'harmless query parameters stay readable')
})

t.test('identifiers in URLs are masked', async (t) => {
  t.equal(maskUrl('/v1/taxpayers/012345678901000'), '/v1/taxpayers/01***00')
  t.equal(maskUrl('/cb?code=abc&state=xyz&x=1'), '/cb?code=%5BRedacted%5D&state=%5BRedacted%5D&x=1')
})

t.test('the access line is written by hand with the shape pino writes, allow-listed fields only', async (t) => {
  const before = logs.lines().length
  const response = await app.inject({ method: 'GET', url: '/health/live?page=2', headers: { 'x-request-id': 'shape-check-1', 'user-agent': 'secret-agent', cookie: 'sid=abc' } })
  t.equal(response.statusCode, 200)
  const line = logs.lines().slice(before).find((l) => l.callerRequestId === 'shape-check-1')
  t.same(Object.keys(line ?? {}).sort(), ['callerRequestId', 'level', 'method', 'msg', 'remoteAddress', 'requestId', 'responseTimeMs', 'service', 'statusCode', 'time', 'url'].sort())
  t.equal(line?.requestId, response.headers['x-request-id'], 'the gateway\'s own id, the caller\'s kept beside it')
  t.match(line, { level: 30, service: 'insw-gateway', method: 'GET', url: '/health/live?page=2', statusCode: 200, msg: 'request completed', remoteAddress: '127.0.0.1' })
  t.match(line?.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.ok(Math.abs(Date.parse(String(line?.time)) - Date.now()) < 60_000, 'the time is now')
  t.type(line?.responseTimeMs, 'number')
})

t.test('personal data in query strings is masked in the access line: NIK, NPWP, e-mail, mobile', async (t) => {
  const before = logs.lines().length
  await app.inject({ method: 'GET', url: '/v1/sandbox/mailbox?to=applicant%40example.co.id' })
  await app.inject({ method: 'GET', url: '/v1/sandbox/sms?to=%2B6281234567890' })
  await app.inject({ method: 'GET', url: '/v1/registrations/REG-1?nik=3171010101800001&q=3171010101800009&npwp=01.234.567.8-901.000&n2=01.234.567.8-901.001&mail=x.y%40mail.id&hp=081234567890' })
  const text = logs.lines().slice(before).map((l) => String(l.url)).join('\n')
  for (const value of ['applicant', 'example.co.id', '81234567890', '3171010101800001', '3171010101800009', '234.567.8', 'x.y', 'mail.id', '81234567890']) {
    t.notOk(text.includes(value), `${value} is not in the access log`)
  }
  t.match(text, /\/v1\/registrations\/REG-1\?nik=%5BRedacted%5D&q=31\*\*\*09/)
})
