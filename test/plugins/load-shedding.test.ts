/**
 * Under pressure (issue 13 item 7): with the event loop stalling, requests are shed with `503
 * OVERLOADED` + `Retry-After` at once, `/health/live` still answers and `/health/ready` says
 * `overloaded`; once the loop is calm again, requests are served. Draining on SIGTERM is in
 * test/server.test.ts (the real entry point).
 */
import t from 'tap'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context, { env: { LOAD_SHED_EVENT_LOOP_DELAY_MS: '40', LOAD_SHED_SAMPLE_INTERVAL_MS: '100' } })
await app.ready()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const stall = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

t.test('a stalling event loop sheds requests with 503 OVERLOADED; the probes still answer', async (t) => {
  await sleep(300) // armed two samples after ready
  t.equal((await app.inject({ url: '/v1/me' })).statusCode, 401, 'before: a request reaches authentication')
  let shed
  for (let attempt = 0; attempt < 20 && !shed; attempt++) {
    stall(400)
    await sleep(1) // the overdue sample runs: its mean delay is the stall
    const response = await app.inject({ url: '/v1/me' })
    if (response.statusCode === 503) {
      shed = response
      const live = await app.inject({ url: '/health/live' })
      const ready = await app.inject({ url: '/health/ready' })
      t.equal(live.statusCode, 200, 'liveness answers while shedding')
      t.equal(ready.statusCode, 503, 'readiness is 503 while shedding')
      t.equal(ready.json().status, 'overloaded')
    }
  }
  t.ok(shed, 'a request was shed while the loop stalled')
  t.equal(shed!.json().code, 'OVERLOADED')
  t.match(shed!.headers['content-type'], /^application\/problem\+json/)
  t.equal(shed!.headers['retry-after'], '2', 'told when to come back')
  for (let attempt = 0; attempt < 20; attempt++) {
    await sleep(150)
    if ((await app.inject({ url: '/v1/me' })).statusCode !== 503) break
  }
  t.equal((await app.inject({ url: '/v1/me' })).statusCode, 401, 'calm again: served (here, refused by authentication as it should be)')
  t.equal((await app.inject({ url: '/health/ready' })).json().status, 'ready')
})

t.test('every documented operation but the probes declares 503 OVERLOADED', async (t) => {
  const document = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> }
  const missing: string[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.responses || path.startsWith('/health/')) continue
      if (!operation.responses['503']?.description?.includes('OVERLOADED')) missing.push(`${method.toUpperCase()} ${path}`)
    }
  }
  t.same(missing, [], 'declared everywhere')
})
