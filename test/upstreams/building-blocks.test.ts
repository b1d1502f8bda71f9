import t from 'tap'
import { signCallbackBody, verifyCallbackSignature } from '../../src/upstreams/callback-signature.ts'
import { CircuitBreaker } from '../../src/upstreams/circuit-breaker.ts'
import { normaliseIdentifier } from '../../src/upstreams/identifiers.ts'
import { maskPath } from '../../src/upstreams/log-safe.ts'
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs } from '../../src/upstreams/retry.ts'
import { childTraceparent, parseTraceparent } from '../../src/upstreams/traceparent.ts'
import { TtlCache } from '../../src/upstreams/ttl-cache.ts'

t.test('circuit breaker state machine (fake clock)', async (t) => {
  let now = 1_000
  const breaker = new CircuitBreaker({ failureRateThreshold: 1, minimumCalls: 2, windowMs: 60_000, resetAfterMs: 100, now: () => now })
  const take = () => {
    const decision = breaker.tryAcquire()
    if (!decision.allowed) throw new Error('expected a permit')
    return decision.permit
  }
  const stale = take()
  breaker.record(take(), 'failure')
  t.equal(breaker.state(), 'closed')
  breaker.record(take(), 'failure')
  t.equal(breaker.state(), 'open')
  t.same(breaker.tryAcquire(), { allowed: false, retryAfterMs: 100 })
  breaker.record(stale, 'success')
  t.equal(breaker.state(), 'open', 'a success from before the circuit opened does not close it')

  now += 100
  t.equal(breaker.state(), 'half-open')
  const trial = take()
  t.equal(trial.trial, true)
  t.equal(breaker.tryAcquire().allowed, false, 'one trial at a time')
  breaker.record(trial, 'neutral')
  t.equal(breaker.state(), 'half-open', 'a cancelled trial judges nothing')
  const second = take()
  breaker.record(second, 'failure')
  t.equal(breaker.state(), 'open')
  now += 100
  breaker.record(take(), 'success')
  t.equal(breaker.state(), 'closed')
  breaker.record(take(), 'failure')
  t.equal(breaker.state(), 'closed', 'the window starts again empty')
  t.throws(() => new CircuitBreaker({ failureRateThreshold: 0, minimumCalls: 1, windowMs: 60_000, resetAfterMs: 1 }))
})

t.test('circuit breaker: a failure rate over a minimum of attempts in a sliding window', async (t) => {
  let now = 0
  const breaker = new CircuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 10, windowMs: 10_000, resetAfterMs: 1_000, now: () => now })
  const attempt = (outcome: 'success' | 'failure') => {
    const decision = breaker.tryAcquire()
    if (!decision.allowed) throw new Error('expected a permit')
    breaker.record(decision.permit, outcome)
  }
  // One business's slow record: its two calls of three attempts time out, nothing else is called.
  for (let i = 0; i < 6; i++) attempt('failure')
  t.equal(breaker.state(), 'closed', 'six failures are under the minimum number of attempts')
  t.same(breaker.window(), { calls: 6, failures: 6 })
  now += 11_000
  t.same(breaker.window(), { calls: 0, failures: 0 }, 'the window slides: old observations are forgotten')
  // Other businesses are served while the slow one times out again: the rate stays under half.
  for (let i = 0; i < 10; i++) attempt('success')
  for (let i = 0; i < 7; i++) attempt('failure')
  t.equal(breaker.state(), 'closed', '7 of 17 failed')
  now += 11_000
  t.same(breaker.window(), { calls: 0, failures: 0 })
  for (let i = 0; i < 9; i++) attempt(i % 2 === 0 ? 'failure' : 'success')
  t.equal(breaker.state(), 'closed', '5 of 9: not yet the minimum')
  attempt('failure')
  t.equal(breaker.state(), 'open', '6 of 10 failed: an outage')
  t.throws(() => new CircuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 0, windowMs: 1, resetAfterMs: 1 }))
  t.throws(() => new CircuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 1, windowMs: 0, resetAfterMs: 1 }))
})

t.test('traceparent parsing follows W3C Trace Context', async (t) => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  t.same(parseTraceparent(valid), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '01' })
  t.same(parseTraceparent(` ${valid} `)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
  t.ok(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'), 'a later version may carry more fields')
  for (const invalid of [
    undefined,
    '',
    'garbage',
    `${valid}-extra`,
    valid.toUpperCase(),
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
  ]) {
    t.equal(parseTraceparent(invalid), undefined, `refuses ${JSON.stringify(invalid)}`)
  }
  const child = childTraceparent(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03'))
  t.match(child, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/, 'only the sampled bit survives')
  t.match(childTraceparent(undefined), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
})

t.test('retry helpers', async (t) => {
  t.same([429, 502, 503, 504].map(isRetryableStatus), [true, true, true, true])
  t.same([400, 404, 409, 500, 501].map(isRetryableStatus), [false, false, false, false, false])
  const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 }
  t.equal(backoffDelayMs(1, options, () => 0.999), 99)
  t.equal(backoffDelayMs(3, options, () => 0.999), 399)
  t.equal(backoffDelayMs(10, options, () => 0.999), 999, 'capped')
  t.equal(backoffDelayMs(3, options, () => 0), 0, 'full jitter reaches zero')
  t.equal(parseRetryAfterMs('2'), 2000)
  t.equal(parseRetryAfterMs(' 0 '), 0)
  t.equal(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000)
  t.equal(parseRetryAfterMs(new Date(1_000).toUTCString(), 4_000), 0, 'a past date means now')
  t.equal(parseRetryAfterMs('soon'), undefined)
  t.equal(parseRetryAfterMs('-1'), undefined)
  t.equal(parseRetryAfterMs(undefined), undefined)
})

t.test('callback signature', async (t) => {
  const secret = 'callback-secret'
  const raw = '{"event":"application.status_changed","inatradeId":"INA-1","status":"APPROVED"}'
  const header = signCallbackBody(raw, secret)
  t.match(header, /^sha256=[0-9a-f]{64}$/)
  t.equal(verifyCallbackSignature(raw, header, secret), true)
  t.equal(verifyCallbackSignature(Buffer.from(raw), header, secret), true, 'Buffer body')
  t.equal(verifyCallbackSignature(raw, header.toUpperCase().replace('SHA256=', 'sha256='), secret), true, 'hex case does not matter')
  t.equal(verifyCallbackSignature(`${raw} `, header, secret), false, 'body changed')
  t.equal(verifyCallbackSignature(raw, header, 'other-secret'), false, 'wrong secret')
  t.equal(verifyCallbackSignature(raw, undefined, secret), false, 'missing header')
  t.equal(verifyCallbackSignature(raw, header, ''), false, 'no secret configured')
  for (const malformed of ['', 'sha256=', header.slice(7), `sha1=${header.slice(7)}`, `${header}00`, header.slice(0, -2), `sha256=${'z'.repeat(64)}`]) {
    t.equal(verifyCallbackSignature(raw, malformed, secret), false, `malformed ${JSON.stringify(malformed.slice(0, 20))}`)
  }
})

t.test('log masking and identifier normalisation', async (t) => {
  t.equal(maskPath('/oss/v1/businesses/8120000000011'), '/oss/v1/businesses/***0011')
  t.equal(maskPath('/kswp/v1/taxpayers/0123456789012345?x=1'), '/kswp/v1/taxpayers/***2345?…')
  t.equal(maskPath('/inatrade/v1/applications/INA-000123'), '/inatrade/v1/applications/INA-***0123')
  t.equal(maskPath('/inatrade/v1/applications'), '/inatrade/v1/applications')
  t.equal(normaliseIdentifier('01.234.567.8-901.000'), '012345678901000')
  t.equal(normaliseIdentifier('81 2000 0000 011'), '8120000000011')
  t.equal(normaliseIdentifier('81A/..'), '81A/', 'only separators go')
})

t.test('ttl cache', async (t) => {
  let now = 0
  const cache = new TtlCache<number>({ ttlMs: 10, maxEntries: 2, now: () => now })
  cache.set('a', 1)
  cache.set('b', 2)
  t.equal(cache.get('a'), 1, 'a is now the most recently used')
  cache.set('c', 3)
  t.equal(cache.get('b'), undefined, 'least recently used evicted')
  t.equal(cache.get('a'), 1)
  now = 10
  t.equal(cache.get('a'), undefined, 'expired')
  t.equal(cache.size, 1)
})
