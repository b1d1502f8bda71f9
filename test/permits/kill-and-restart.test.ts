// Nothing accepted is lost (issue 10, item 9): the gateway runs as `npm start` runs it, in a child
// process, against sandbox upstreams that outlive it. It is SIGKILLed while submissions pour in,
// restarted on the same database, and the clients retry what got no answer with the same
// Idempotency-Key (what an integrator's client does). Afterwards every permit that got a 202 exists
// and reached INATRADE exactly once as INATRADE sees it (one 202 per idempotency key in the stub's
// journal), and its events tell the story.
import t from 'tap'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { childGateway, steady } from '../helpers/child-gateway.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'

const SUBMISSIONS = 240
const KILL_AFTER_ACCEPTED = 60
const CONCURRENCY = 6
const NIB = '8120000000001'

const sandbox = await startSandbox({ callbackSecret: 'kill-test-callback-secret', logger: false, timeScale: 0.01 })
t.teardown(() => sandbox.close())
const gatewayProcess = await childGateway(t, sandbox, { callbackSecret: 'kill-test-callback-secret' })
const { origin, post } = gatewayProcess
const startGateway = gatewayProcess.start

t.test('SIGKILLed mid-load and restarted: every accepted permit reaches INATRADE exactly once', async (t) => {
  await startGateway()
  const { token } = await gatewayProcess.organisation(NIB, 'permits:read permits:write')
  const bearer = { authorization: `Bearer ${token}` }

  /** Client references of submissions answered 202, with their permit ids. */
  const accepted = new Map<string, string>()
  let killed = false
  let restarted: Promise<void> | undefined

  /** Submits until answered 202 (or a client error), retrying with the same key across the kill. */
  async function submitUntilAccepted(reference: string): Promise<void> {
    // A request in flight when the gateway died holds its key until the lock passes (IN_FLIGHT_LOCK_MS):
    // meanwhile the retry is answered 409 with Retry-After, which a client honours.
    const deadline = Date.now() + 150_000
    while (Date.now() < deadline) {
      let wait = 100
      try {
        const answer = await post('/v1/permits', sampleSubmission(reference), { ...bearer, 'idempotency-key': `key-${reference}` })
        if (answer.status === 202) {
          accepted.set(reference, (answer.body.permit as { id: string }).id)
          if (!killed && accepted.size >= KILL_AFTER_ACCEPTED) {
            killed = true
            gatewayProcess.kill()
            restarted = new Promise((resolve) => setTimeout(resolve, 300)).then(startGateway)
          }
          return
        }
        if (answer.status !== 409 && answer.status !== 429 && answer.status < 500) throw new Error(`${reference} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
        wait = Math.max(wait, Math.min(answer.retryAfter, 5) * 1000)
      } catch (error) {
        if ((error as Error).message.includes('answered')) throw error
        // The gateway is down (killed): wait for it to come back, as a client's retry would.
      }
      await (restarted ?? Promise.resolve()).catch((error: Error) => {
        throw new Error(`the restart failed: ${error.message}`, { cause: error })
      })
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
    throw new Error(`${reference} was never accepted`)
  }

  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < SUBMISSIONS) await submitUntilAccepted(`kill-${next++}`)
    }),
  ).catch((error: Error) => {
    throw new Error(`the submissions stopped: ${error.message}`, { cause: error })
  })
  await restarted
  t.ok(killed, 'the gateway was killed mid-load')
  t.equal(accepted.size, SUBMISSIONS, 'every submission was accepted in the end')

  // Wait until none is left waiting to be forwarded.
  const deadline = Date.now() + 120_000
  let waiting = -1
  while (Date.now() < deadline) {
    const page = await steady(async () => (await (await fetch(`${origin}/v1/permits?status=submitted&limit=1`, { headers: bearer })).json()) as { items: unknown[] })
    waiting = page.items.length
    if (waiting === 0) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.equal(waiting, 0, 'no permit is left waiting to be forwarded')

  const journal = (await (await fetch(`${sandbox.inatradeUrl}/__sandbox/requests`)).json()) as { method: string; url: string; headers: Record<string, string>; statusCode: number | null }[]
  const filed = new Map<string, number>()
  for (const entry of journal) {
    if (entry.method !== 'POST' || entry.url !== '/inatrade/v1/applications' || entry.statusCode !== 202) continue
    const key = entry.headers['idempotency-key']!
    filed.set(key, (filed.get(key) ?? 0) + 1)
  }
  const permitIds = new Set(accepted.values())
  t.equal(permitIds.size, SUBMISSIONS, 'one permit per client reference')
  t.equal(filed.size, SUBMISSIONS, 'INATRADE filed one application per accepted permit')
  t.same([...filed.values()].filter((count) => count !== 1), [], 'and none twice')

  // Every permit's events tell its story: its look-ups and submission, then its forwarding.
  let untold = 0
  for (const id of [...permitIds].slice(0, 40)) {
    const events = (await steady(async () => (await (await fetch(`${origin}/v1/permits/${id}/events?limit=100`, { headers: bearer })).json()) as { items: { type: string }[] })).items
    const types = events.map((event) => event.type)
    const submittedAt = types.indexOf('permit.submitted')
    if (submittedAt < 0 || types.indexOf('permit.forwarded') < submittedAt) untold++
  }
  t.equal(untold, 0, 'each permit sampled shows its submission and its forwarding')
})
