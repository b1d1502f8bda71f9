import t from 'tap'
import { errors } from 'undici'
import { AppError } from '../../src/errors/app-error.ts'
import { isTransientUpstreamError } from '../../src/upstreams/upstream-errors.ts'
import { TIMEOUT_RETRY_AFTER_SECONDS } from '../../src/upstreams/http-client.ts'
import { json, mockedClient, type MockedClient } from './helpers/mock-upstream.ts'

const PATH = '/oss/v1/businesses/8120000000011'
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/

function header(m: MockedClient, index: number, name: string): string | undefined {
  const value = m.agent.getCallHistory()?.calls()[index]?.headers?.[name]
  return Array.isArray(value) ? value.join(', ') : (value ?? undefined)
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

t.test('returns status, flat headers and parsed JSON', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, { nib: '8120000000011' }, { headers: { 'content-type': 'application/json', 'x-multi': ['a', 'b'] } })
  const response = await m.client.request({ method: 'GET', path: PATH, ctx: { requestId: 'req-1' } })
  t.equal(response.status, 200)
  t.same(response.body, { nib: '8120000000011' })
  t.equal(response.headers['content-type'], 'application/json')
  t.equal(response.headers['x-multi'], 'a, b')
  t.equal(header(m, 0, 'accept'), 'application/json')
  t.equal(header(m, 0, 'x-request-id'), 'req-1')
  t.equal(header(m, 0, 'idempotency-key'), undefined)
  t.match(header(m, 0, 'traceparent'), TRACEPARENT)
  t.equal(m.client.breakerState(), 'closed')
})

t.test('an empty body is null; 4xx bodies are handed back for the adapter to read', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: '/empty' }).reply(204, '')
  m.pool.intercept({ path: '/missing' }).reply(404, { error: 'NIB_NOT_FOUND' }, json)
  t.same(await m.client.request({ method: 'GET', path: '/empty' }), { status: 204, headers: {}, body: null })
  const missing = await m.client.request({ method: 'GET', path: '/missing' })
  t.equal(missing.status, 404)
  t.same(missing.body, { error: 'NIB_NOT_FOUND' })
  t.equal(m.calls(), 2, '4xx is not retried')
})

t.test('a reply slower than the deadline is UPSTREAM_TIMEOUT after every attempt', async (t) => {
  const m = mockedClient({ requestTimeoutMs: 40, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, { late: true }, json).delay(300).times(2)
  const started = performance.now()
  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(error.code, 'UPSTREAM_TIMEOUT')
  t.equal(error.statusCode, 504)
  t.equal(error.retryAfter, TIMEOUT_RETRY_AFTER_SECONDS, '504 carries Retry-After, as the contract promises')
  t.ok(isTransientUpstreamError(error))
  t.equal(m.calls(), 2)
  t.ok(performance.now() - started < 250, 'gave up at the deadline, not when the reply came')
})

t.test('a timeout then a prompt reply succeeds', async (t) => {
  const m = mockedClient({ requestTimeoutMs: 40 })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, { late: true }, json).delay(300)
  m.pool.intercept({ path: PATH }).reply(200, { late: false }, json)
  const response = await m.client.request({ method: 'GET', path: PATH })
  t.same(response.body, { late: false })
  t.equal(m.calls(), 2)
})

t.test('connection reset is retried, and UPSTREAM_UNAVAILABLE when it persists', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).replyWithError(new errors.SocketError('other side closed')).times(3)
  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.match(error.detail, /UND_ERR_SOCKET/)
  t.equal(m.calls(), 3)

  m.pool.intercept({ path: PATH }).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
  m.pool.intercept({ path: PATH }).reply(200, { ok: true }, json)
  t.same((await m.client.request({ method: 'GET', path: PATH })).body, { ok: true })
})

t.test('5xx then success: retried, each attempt logged', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(503, { error: 'BUSY' }, json)
  m.pool.intercept({ path: PATH }).reply(502, 'Bad Gateway')
  m.pool.intercept({ path: PATH }).reply(200, { ok: true }, json)
  const response = await m.client.request({ method: 'GET', path: PATH })
  t.equal(response.status, 200)
  t.equal(m.calls(), 3)
  const attempts = m.logger.records.filter((r) => r.obj.attempt !== undefined).map((r) => [r.level, r.obj.attempt, r.obj.status ?? r.obj.errorCode])
  t.same(attempts, [
    ['warn', 1, 'UPSTREAM_UNAVAILABLE'],
    ['warn', 2, 'UPSTREAM_UNAVAILABLE'],
    ['info', 3, 200],
  ])
})

t.test('5xx on every attempt: UPSTREAM_UNAVAILABLE once retries are exhausted', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(504, '').times(3)
  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(error.statusCode, 503)
  t.equal(m.calls(), 3)
})

t.test('429 is retried; 500 is a failure but not retried', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: '/limited' }).reply(429, '')
  m.pool.intercept({ path: '/limited' }).reply(200, {}, json)
  t.equal((await m.client.request({ method: 'GET', path: '/limited' })).status, 200)
  t.equal(m.calls(), 2)

  m.pool.intercept({ path: '/broken' }).reply(500, { error: 'BOOM' }, json)
  const error = await rejection(m.client.request({ method: 'GET', path: '/broken' }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(m.calls(), 3)
})

t.test('non-JSON and oversized bodies are UPSTREAM_BAD_RESPONSE and not retried', async (t) => {
  const m = mockedClient({ maxResponseBytes: 64 })
  t.teardown(() => m.close())
  m.pool.intercept({ path: '/html' }).reply(200, '<html>Gateway error page</html>', { headers: { 'content-type': 'text/html' } })
  const garbage = await rejection(m.client.request({ method: 'GET', path: '/html' }))
  t.equal(garbage.code, 'UPSTREAM_BAD_RESPONSE')
  t.equal(garbage.statusCode, 502)
  t.notOk(isTransientUpstreamError(garbage))

  m.pool.intercept({ path: '/truncated' }).reply(200, '{"nib": "81200', json)
  t.equal((await rejection(m.client.request({ method: 'GET', path: '/truncated' }))).code, 'UPSTREAM_BAD_RESPONSE')

  m.pool.intercept({ path: '/huge' }).reply(200, { filler: 'x'.repeat(500) }, json)
  const huge = await rejection(m.client.request({ method: 'GET', path: '/huge' }))
  t.equal(huge.code, 'UPSTREAM_BAD_RESPONSE')
  t.match(huge.detail, /larger than 64 bytes/)
  t.equal(m.calls(), 3)
})

t.test('Retry-After is waited for when within the cap', async (t) => {
  const m = mockedClient({ retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(503, '', { headers: { 'retry-after': '1' } })
  m.pool.intercept({ path: PATH }).reply(200, { ok: true }, json)
  const started = performance.now()
  await m.client.request({ method: 'GET', path: PATH })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 950, `waited ${Math.round(elapsed)} ms for Retry-After: 1`)
  t.equal(m.calls(), 2)
})

t.test('a Retry-After longer than the cap is handed to the caller instead of retried early', async (t) => {
  const m = mockedClient({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 500 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(429, '', { headers: { 'retry-after': '120' } })
  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(error.retryAfter, 120)
  t.equal(m.calls(), 1)
})

t.test('POST without an idempotency key is never retried; with one it is', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: '/inatrade/v1/applications', method: 'POST' }).reply(503, '').times(3)
  const error = await rejection(m.client.request({ method: 'POST', path: '/inatrade/v1/applications', body: { a: 1 } }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(m.calls(), 1, 'one attempt only')

  m.pool.intercept({ path: '/inatrade/v1/applications', method: 'POST' }).replyWithError(new errors.SocketError('other side closed'))
  t.equal((await rejection(m.client.request({ method: 'POST', path: '/inatrade/v1/applications', body: { a: 1 } }))).code, 'UPSTREAM_UNAVAILABLE')
  t.equal(m.calls(), 2, 'a reset POST is not retried either')

  m.agent.getCallHistory()?.clear()
  m.pool.intercept({ path: '/inatrade/v1/applications', method: 'POST' }).reply(202, { ok: true }, json)
  const response = await m.client.request({ method: 'POST', path: '/inatrade/v1/applications', body: { a: 1 }, idempotencyKey: 'key-1' })
  t.equal(response.status, 202)
  t.equal(m.calls(), 3, 'two leftover 503s, then the 202')
  t.equal(header(m, 0, 'idempotency-key'), 'key-1')
  t.equal(header(m, 2, 'idempotency-key'), 'key-1', 'the same key on every attempt')
  t.equal(header(m, 0, 'content-type'), 'application/json')
  t.same(JSON.parse(String(m.agent.getCallHistory()?.calls()[2]?.body)), { a: 1 })
})

t.test('the breaker opens when every one of the minimum attempts failed, then fails fast', async (t) => {
  const m = mockedClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRateThreshold: 1, minimumCalls: 3, windowMs: 60_000, resetAfterMs: 60_000 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(503, '').times(3)
  for (let i = 0; i < 3; i++) {
    t.equal(m.client.breakerState(), 'closed')
    t.equal((await rejection(m.client.request({ method: 'GET', path: PATH }))).code, 'UPSTREAM_UNAVAILABLE')
  }
  t.equal(m.client.breakerState(), 'open')
  t.equal(m.calls(), 3)

  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(error.code, 'UPSTREAM_UNAVAILABLE')
  t.match(error.detail, /circuit is open/)
  t.ok(error.retryAfter !== undefined && error.retryAfter >= 59 && error.retryAfter <= 60, 'retryAfter is the time left until half-open')
  t.equal(m.calls(), 3, 'no request reached the agent while open')
  t.ok(m.logger.records.some((r) => r.level === 'warn' && r.obj.to === 'open'), 'the transition is logged')
})

t.test('successes keep the failure rate under the threshold', async (t) => {
  const m = mockedClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRateThreshold: 1, minimumCalls: 2, windowMs: 60_000, resetAfterMs: 60_000 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: '/x' }).reply(503, '')
  m.pool.intercept({ path: '/x' }).reply(200, {}, json)
  m.pool.intercept({ path: '/x' }).reply(503, '')
  await rejection(m.client.request({ method: 'GET', path: '/x' }))
  await m.client.request({ method: 'GET', path: '/x' })
  await rejection(m.client.request({ method: 'GET', path: '/x' }))
  t.equal(m.client.breakerState(), 'closed')
})

t.test('the breaker opening mid-call stops the retries', async (t) => {
  const m = mockedClient({ retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRateThreshold: 1, minimumCalls: 2, windowMs: 60_000, resetAfterMs: 60_000 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(503, '').times(5)
  const error = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.match(error.detail, /circuit is open/)
  t.equal(m.calls(), 2)
})

t.test('half-open: one trial call; success closes, failure reopens', async (t) => {
  const m = mockedClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRateThreshold: 1, minimumCalls: 1, windowMs: 60_000, resetAfterMs: 40 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(503, '')
  await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(m.client.breakerState(), 'open')
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.equal(m.client.breakerState(), 'half-open')

  // The trial fails: open again, for another resetAfterMs.
  m.pool.intercept({ path: PATH }).reply(503, '')
  await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(m.client.breakerState(), 'open')
  t.equal(m.calls(), 2)
  await new Promise((resolve) => setTimeout(resolve, 60))

  // The trial is slow; a concurrent call fails fast instead of becoming a second trial.
  m.pool.intercept({ path: PATH }).reply(200, { ok: true }, json).delay(30)
  const trial = m.client.request({ method: 'GET', path: PATH })
  const concurrent = await rejection(m.client.request({ method: 'GET', path: PATH }))
  t.equal(concurrent.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(m.client.breakerState(), 'half-open')
  t.same((await trial).body, { ok: true })
  t.equal(m.client.breakerState(), 'closed')
  t.equal(m.calls(), 3, 'the concurrent call never reached the agent')
  t.same(
    m.logger.records.filter((r) => r.obj.to !== undefined).map((r) => r.obj.to),
    ['open', 'half-open', 'open', 'half-open', 'closed'],
  )
})

t.test('a caller abort rejects with its reason and does not count against the upstream', async (t) => {
  const m = mockedClient({ requestTimeoutMs: 5000, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, breaker: { failureRateThreshold: 1, minimumCalls: 1, windowMs: 60_000, resetAfterMs: 60_000 } })
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, {}, json).delay(1000)
  const controller = new AbortController()
  const pending = m.client.request({ method: 'GET', path: PATH, ctx: { signal: controller.signal } })
  setTimeout(() => controller.abort(new Error('client went away')), 10)
  await t.rejects(pending, { message: 'client went away' })
  t.equal(m.client.breakerState(), 'closed')
})

t.test('traceparent: a child of the caller, with a new span id on every attempt', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  m.pool.intercept({ path: PATH }).reply(503, '')
  m.pool.intercept({ path: PATH }).reply(200, {}, json)
  await m.client.request({ method: 'GET', path: PATH, ctx: { traceparent: parent, tracestate: 'vendor=abc' } })
  const first = header(m, 0, 'traceparent') ?? ''
  const second = header(m, 1, 'traceparent') ?? ''
  for (const sent of [first, second]) {
    t.match(sent, TRACEPARENT)
    t.equal(sent.slice(3, 35), '4bf92f3577b34da6a3ce929d0e0e4736', 'same trace id')
    t.not(sent.slice(36, 52), '00f067aa0ba902b7', 'new span id')
    t.equal(sent.slice(53), '01', 'sampled flag kept')
  }
  t.not(first.slice(36, 52), second.slice(36, 52), 'each attempt is its own span')
  t.equal(header(m, 0, 'tracestate'), 'vendor=abc')

  m.pool.intercept({ path: '/unsampled' }).reply(200, {}, json)
  await m.client.request({ method: 'GET', path: '/unsampled', ctx: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' } })
  t.equal(header(m, 2, 'traceparent')?.slice(53), '00')
})

t.test('traceparent: a fresh valid one without (or with an invalid) caller trace; tracestate dropped', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, {}, json).times(2)
  await m.client.request({ method: 'GET', path: PATH })
  await m.client.request({ method: 'GET', path: PATH, ctx: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'vendor=abc' } })
  const a = header(m, 0, 'traceparent') ?? ''
  const b = header(m, 1, 'traceparent') ?? ''
  t.match(a, TRACEPARENT)
  t.match(b, TRACEPARENT)
  t.not(b.slice(3, 35), '0'.repeat(32))
  t.not(a.slice(3, 35), b.slice(3, 35), 'independent traces')
  t.equal(header(m, 1, 'tracestate'), undefined)
})

t.test('logs carry method, masked path, status, duration and attempt, never bodies or identifiers', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  const path = '/kswp/v1/taxpayers/0123456789012345?nik=3171000000000001'
  m.pool.intercept({ path, method: 'POST' }).reply(503, '')
  m.pool.intercept({ path, method: 'POST' }).reply(200, { npwp: '0123456789012345', taxpayerName: 'Budi Santoso', nik: '3171000000000001' }, json)
  await m.client.request({ method: 'POST', path, body: { nik: '3171000000000001' }, idempotencyKey: 'k', ctx: { requestId: 'req-9' } })
  const done = m.logger.records.find((r) => r.level === 'info')
  t.match(done?.obj, { upstream: 'oss', method: 'POST', path: '/kswp/v1/taxpayers/***2345?…', status: 200, attempt: 2, requestId: 'req-9' })
  t.type(done?.obj.durationMs, 'number')
  t.match(done?.obj.traceId, /^[0-9a-f]{32}$/)
  const everything = JSON.stringify(m.logger.records)
  t.notMatch(everything, /0123456789012345|3171000000000001|Budi/)
})

t.test('request ids and tracestate that are not plain header text are not forwarded', async (t) => {
  const m = mockedClient()
  t.teardown(() => m.close())
  m.pool.intercept({ path: PATH }).reply(200, {}, json)
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  await m.client.request({ method: 'GET', path: PATH, ctx: { requestId: 'a\r\nx-evil: 1', traceparent: parent, tracestate: 'x'.repeat(600) } })
  t.equal(header(m, 0, 'x-request-id'), undefined)
  t.equal(header(m, 0, 'tracestate'), undefined)
})

t.test('nonsensical options are refused at construction', async (t) => {
  t.throws(() => mockedClient({ requestTimeoutMs: 0 }), RangeError)
  t.throws(() => mockedClient({ retry: { attempts: Number.NaN, baseDelayMs: 1, maxDelayMs: 1 } }), RangeError)
})

t.test('a base URL with a path prefix is honoured', async (t) => {
  const m = mockedClient({ baseUrl: 'http://upstream.test/api/' })
  t.teardown(() => m.close())
  m.pool.intercept({ path: `/api${PATH}` }).reply(200, {}, json)
  t.equal((await m.client.request({ method: 'GET', path: PATH })).status, 200)
})
