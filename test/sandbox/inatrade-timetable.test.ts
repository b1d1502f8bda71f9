import { createHmac, timingSafeEqual } from 'node:crypto'
import t from 'tap'
import { buildInatradeStub } from '../../src/sandbox/inatrade-stub.ts'
import { applicationBody, fixtureStore, NIB, SECRET, sleep, startCallbackReceiver, TIME_SCALE, type ReceivedCallback, type Teardown } from './helpers.ts'

async function inatrade(t: Teardown, timeScale = TIME_SCALE) {
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale, callbackSecret: SECRET })
  t.teardown(() => app.close())
  const submit = async (callbackUrl: string, overrides: Record<string, unknown> = {}, key = 'key-1') => {
    const response = await app.inject({ method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': key }, payload: applicationBody(callbackUrl, overrides) })
    if (response.statusCode !== 202) throw new Error(`submit answered ${response.statusCode}: ${response.body}`)
    return response.json() as { inatradeId: string }
  }
  return { app, submit }
}

/** Verified independently of the stub's own signing code. */
function signatureValid(callback: ReceivedCallback, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(callback.rawBody).digest('hex')}`)
  const actual = Buffer.from(String(callback.headers['x-inatrade-signature']))
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

t.test('an approved application runs its timetable with signed callbacks', async (t) => {
  const receiver = await startCallbackReceiver(t)
  const { app, submit } = await inatrade(t)
  const started = performance.now()
  const { inatradeId } = await submit(receiver.url)
  const [review, decision] = await receiver.waitFor(2)
  const elapsed = performance.now() - started
  t.ok(elapsed >= (2000 + 3000) * TIME_SCALE - 1, `the timetable took ${elapsed.toFixed(1)} ms`)

  t.match(review!.body, { event: 'application.status_changed', inatradeId, referenceNumber: 'INSW-2026-000001', status: 'UNDER_REVIEW' })
  t.notOk('licence' in review!.body)
  t.match(decision!.body, {
    event: 'application.status_changed',
    inatradeId,
    status: 'APPROVED',
    licence: { number: /^IT\.INATRADE\/\d{4}\/\d{6}$/, issuedAt: String, validUntil: String },
  })
  const licence = decision!.body.licence as { number: string; issuedAt: string; validUntil: string }
  t.equal(licence.number.split('/')[1], String(new Date(licence.issuedAt).getUTCFullYear()), 'the year is the issue year')
  t.ok(Date.parse(licence.validUntil) > Date.parse(licence.issuedAt))

  for (const callback of [review!, decision!]) {
    t.match(callback.headers['content-type'], /^application\/json/)
    t.ok(signatureValid(callback, SECRET), `${callback.body.status} callback signature verifies`)
    t.notOk(signatureValid(callback, 'another-secret'), 'and would not verify with another secret')
  }
  t.not(review!.headers['x-inatrade-delivery'], decision!.headers['x-inatrade-delivery'])

  const read = (await app.inject({ url: `/inatrade/v1/applications/${inatradeId}` })).json()
  t.equal(read.status, 'APPROVED')
  t.same(read.history.map((entry: { status: string }) => entry.status), ['RECEIVED', 'UNDER_REVIEW', 'APPROVED'])
  t.same(read.licence, licence)
  t.equal(receiver.attempts.length, 2, 'no extra callbacks')
})

t.test('a rejected application says why, in the callback and the history', async (t) => {
  const receiver = await startCallbackReceiver(t)
  const { app, submit } = await inatrade(t)
  const { inatradeId } = await submit(receiver.url, { nib: NIB.rejected, npwp: '010000000002000' })
  const [, decision] = await receiver.waitFor(2)
  t.match(decision!.body, { status: 'REJECTED', reason: /Pertimbangan Teknis/ })
  t.notOk('licence' in decision!.body)
  t.ok(signatureValid(decision!, SECRET))
  const read = (await app.inject({ url: `/inatrade/v1/applications/${inatradeId}` })).json()
  t.match(read.history.at(-1), { status: 'REJECTED', reason: /Pertimbangan Teknis/ })
  t.notOk('licence' in read)
})

t.test('an NIB unknown to OSS is rejected by default', async (t) => {
  const receiver = await startCallbackReceiver(t)
  const { submit } = await inatrade(t)
  await submit(receiver.url, { nib: '8129999999999' })
  const [, decision] = await receiver.waitFor(2)
  t.match(decision!.body, { status: 'REJECTED', reason: 'NIB tidak terdaftar di OSS' })
})

t.test('a refused callback is retried with the same delivery id until accepted', async (t) => {
  const receiver = await startCallbackReceiver(t, { failFirst: 2 })
  const { app, submit } = await inatrade(t)
  const { inatradeId } = await submit(receiver.url)
  const [review, decision] = await receiver.waitFor(2)
  t.equal(review!.body.status, 'UNDER_REVIEW', 'order is kept despite the retries')
  t.equal(decision!.body.status, 'APPROVED')
  t.equal(receiver.attempts.length, 4)
  t.same(new Set(receiver.attempts.slice(0, 3).map((attempt) => attempt.headers['x-inatrade-delivery'])).size, 1, 'retries reuse the delivery id')
  // The receiver has the request before the stub has its response: wait for the stub's record.
  const read = async () => (await app.inject({ url: '/__sandbox/callbacks' })).json() as Array<{ delivered: boolean }>
  const deadline = Date.now() + 3000
  while ((await read()).some((delivery) => !delivery.delivered) && Date.now() < deadline) await sleep(10)
  const deliveries = await read()
  t.match(deliveries, [
    { inatradeId, status: 'UNDER_REVIEW', attempts: 3, delivered: true, lastStatusCode: 204 },
    { inatradeId, status: 'APPROVED', attempts: 1, delivered: true },
  ])
})

t.test('a callback is given up after 3 retries', async (t) => {
  const receiver = await startCallbackReceiver(t, { failFirst: 100 })
  const { app, submit } = await inatrade(t)
  await submit(receiver.url, { nib: NIB.exporter, npwp: '0010000000010000' })
  const read = async () => (await app.inject({ url: '/__sandbox/callbacks' })).json() as Array<{ attempts: number; delivered: boolean; lastStatusCode: number }>
  const deadline = Date.now() + 3000
  while ((await read()).length < 2 || (await read()).some((delivery) => delivery.attempts < 4)) {
    if (Date.now() > deadline) throw new Error('deliveries did not finish')
    await sleep(10)
  }
  await sleep(100)
  t.match(await read(), [{ attempts: 4, delivered: false, lastStatusCode: 500 }, { attempts: 4, delivered: false, lastStatusCode: 500 }])
  t.equal(receiver.attempts.length, 8, 'one attempt and three retries per callback, no more')
})

t.test('closing the stub cancels pending timetables: no callback afterwards', async (t) => {
  const receiver = await startCallbackReceiver(t)
  const app = await buildInatradeStub({ identities: await fixtureStore(), timeScale: TIME_SCALE, callbackSecret: SECRET })
  const response = await app.inject({ method: 'POST', url: '/inatrade/v1/applications', headers: { 'idempotency-key': 'k' }, payload: applicationBody(receiver.url) })
  t.equal(response.statusCode, 202)
  await app.close()
  await sleep((2000 + 3000) * TIME_SCALE * 2)
  t.equal(receiver.attempts.length, 0)
})
