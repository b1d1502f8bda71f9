import t from 'tap'
import { request } from 'undici'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { applicationBody, fixtureStore, NIB, SECRET, startCallbackReceiver, TIME_SCALE, type Teardown } from './helpers.ts'

const npwpOf = (nib: string) => `0100000000${nib.slice(-2)}000`

async function inatrade(t: Teardown) {
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale: TIME_SCALE, callbackSecret: SECRET })
  t.teardown(() => app.close())
  const receiver = await startCallbackReceiver(t)
  const post = (nib: string, key = 'key-1') => app.inject({
    method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': key },
    payload: applicationBody(receiver.url, { nib, npwp: npwpOf(nib) }),
  })
  return { app, post, receiver }
}

t.test('flaky: the first failTimes attempts per key answer 503 Retry-After 1, then it succeeds', async (t) => {
  const { post, receiver } = await inatrade(t)
  for (const attempt of [1, 2]) {
    const failed = await post(NIB.flaky, 'flaky-key')
    t.equal(failed.statusCode, 503, `attempt ${attempt}`)
    t.equal(failed.headers['retry-after'], '1')
    t.equal(failed.json().error, 'SERVICE_UNAVAILABLE')
  }
  const third = await post(NIB.flaky, 'flaky-key')
  t.equal(third.statusCode, 202, 'the third attempt is accepted')
  const replay = await post(NIB.flaky, 'flaky-key')
  t.equal(replay.statusCode, 200, 'and a later retry replays it')
  t.equal(replay.json().inatradeId, third.json().inatradeId)
  t.equal((await post(NIB.flaky, 'another-key')).statusCode, 503, 'a new key starts failing again')
  const [, decision] = await receiver.waitFor(2)
  t.equal(decision!.body.status, 'APPROVED', 'the application itself goes through')
})

t.test('down: every request answers 503 without Retry-After', async (t) => {
  const { post } = await inatrade(t)
  for (const key of ['a', 'a', 'b']) {
    const response = await post(NIB.down, key)
    t.equal(response.statusCode, 503)
    t.equal(response.headers['retry-after'], undefined)
    t.equal(response.json().error, 'SERVICE_UNAVAILABLE')
  }
  const noKey = await post(NIB.down, '')
  t.equal(noKey.statusCode, 503, 'down comes before the key check')
})

t.test('down with hangUp: the socket is destroyed without a response', async (t) => {
  const { app } = await inatrade(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const receiverUrl = 'http://127.0.0.1:9/unused'
  await t.rejects(request(`http://127.0.0.1:${address.port}/inatrade/v1/applications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'hang' },
    body: JSON.stringify(applicationBody(receiverUrl, { nib: NIB.hangUp, npwp: npwpOf(NIB.hangUp) })),
  }), { code: /UND_ERR_SOCKET|ECONNRESET/ })
  const journal = (await app.inject({ url: '/__sandbox/requests' })).json()
  t.match(journal, [{ method: 'POST', url: '/inatrade/v1/applications', statusCode: null, body: { nib: NIB.hangUp } }], 'journalled, unanswered')
})

t.test('slow: every response is delayed by delayMs × timeScale', async (t) => {
  const { app, post } = await inatrade(t)
  const expected = 3000 * TIME_SCALE
  let started = performance.now()
  const accepted = await post(NIB.slow)
  let elapsed = performance.now() - started
  t.equal(accepted.statusCode, 202)
  t.ok(elapsed >= expected - 1, `POST took ${elapsed.toFixed(1)} ms, expected at least ${expected}`)

  started = performance.now()
  const read = await app.inject({ url: `/inatrade/v1/applications/${accepted.json().inatradeId}` })
  elapsed = performance.now() - started
  t.equal(read.statusCode, 200)
  t.ok(elapsed >= expected - 1, `GET took ${elapsed.toFixed(1)} ms`)

  started = performance.now()
  const missingKey = await post(NIB.slow, '')
  elapsed = performance.now() - started
  t.equal(missingKey.statusCode, 400)
  t.ok(elapsed >= expected - 1, 'errors are slow too')
})

t.test('a slow request in flight does not hold up close', async (t) => {
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale: 1 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const pending = request(`http://127.0.0.1:${port}/inatrade/v1/applications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'slow-close' },
    body: JSON.stringify(applicationBody('http://127.0.0.1:9/unused', { nib: NIB.slow, npwp: npwpOf(NIB.slow) })),
  }).then((response) => response.body.dump().then(() => response.statusCode), (error: Error) => error)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = performance.now()
  await app.close()
  t.ok(performance.now() - started < 1000, 'closed without waiting the 3 s delay')
  t.ok(await pending, 'the pending request settled')
})

t.test('unreliable: a share of attempts fails at random, before the work or after it (the answer lost)', async (t) => {
  const { app, post } = await inatrade(t)
  const script = async (failureRate: number) => {
    const identity = (await app.inject({ url: `/__sandbox/identities/${NIB.approved}` })).json()
    const put = await app.inject({ method: 'PUT', url: `/__sandbox/identities/${NIB.approved}`, payload: { ...identity, inatrade: { ...identity.inatrade, mode: 'unreliable', failureRate } } })
    t.equal(put.statusCode, 200, `scripted: unreliable, ${failureRate}`)
  }
  await script(1)
  const answers = []
  for (let i = 0; i < 60; i++) answers.push(await post(NIB.approved, `unreliable-${i}`))
  t.ok(answers.every((answer) => answer.statusCode >= 500), 'failureRate 1: every attempt fails')
  const lost = answers.map((answer, i) => ({ i, body: answer.json() })).filter(({ body }) => /answer was lost/.test(body.message))
  t.ok(lost.length > 0 && lost.length < 60, `some after the work, some before (${lost.length} of 60 lost on the way back)`)
  t.ok(answers.filter((answer) => !/answer was lost/.test(answer.json().message)).every((answer) => [500, 502, 503, 504].includes(answer.statusCode)), 'the others a 500, 502, 503 or 504')
  const journal = (await app.inject({ url: '/__sandbox/requests' })).json() as { headers: Record<string, string>; statusCode: number; answerLost?: boolean }[]
  const lostEntries = journal.filter((entry) => entry.answerLost)
  t.equal(lostEntries.length, lost.length, 'the journal marks each lost answer')
  t.ok(lostEntries.every((entry) => entry.statusCode === 202), 'with the status the stub really gave: the application was filed')

  await script(0)
  const retried = await post(NIB.approved, `unreliable-${lost[0]!.i}`)
  t.equal(retried.statusCode, 200, 'failureRate 0: the retry of a lost answer replays the filed application')
  t.equal((await post(NIB.approved, 'unreliable-new')).statusCode, 202, 'and a new key is filed')
})
