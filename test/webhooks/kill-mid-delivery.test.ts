// The gateway killed mid-delivery loses nothing (issue 11, item 4): the gateway runs as
// `npm start` runs it, in a child process; a slow receiver (standardwebhooks verification, as an
// integrator's) takes every permit step of 40 permits; the gateway is SIGKILLed while messages are
// in flight and started again on the same database. Afterwards every step of every permit (its
// status changes, as its events list them) reached the receiver, signed, at least once under one
// webhook-id, in sequence order per permit, and nothing is left waiting.
import t from 'tap'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { childGateway } from '../helpers/child-gateway.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { startReceiver, verify } from '../helpers/webhook-receiver.ts'

const PERMITS = 40
const NIB = '8120000000001'
const STEPS = ['permit.submitted', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved', 'permit.issued']

const sandbox = await startSandbox({ callbackSecret: 'kill-delivery-secret', logger: false, timeScale: 0.01 })
t.teardown(() => sandbox.close())
// INATRADE's callbacks that found the gateway dead are made good by the reconciliation (every second here).
const gateway = await childGateway(t, sandbox, { callbackSecret: 'kill-delivery-secret', env: { PERMIT_RECONCILE_AFTER_MS: '1000', PERMIT_RECONCILE_INTERVAL_MS: '1000' } })
const receiver = await startReceiver(t)
let killedAt = -1
let restarted: Promise<void> | undefined
/** Set once every submission was accepted: the next message to arrive triggers the kill. */
let armed = false
receiver.respond = (_request, response) => {
  if (armed && killedAt < 0) {
    killedAt = receiver.requests.length
    gateway.kill()
    restarted = new Promise((resolve) => setTimeout(resolve, 300)).then(gateway.start)
  }
  // Slow enough that messages are in flight when the kill comes.
  setTimeout(() => response.writeHead(204).end(), 100)
}

interface Message {
  type: string
  data: { permitId: string; sequence: number; status: string }
}

t.test('SIGKILLed while webhook messages are in flight: every step arrives once restarted, in order per permit', async (t) => {
  await gateway.start()
  const { organisationId, token } = await gateway.organisation(NIB, 'permits:read permits:write webhooks:read webhooks:write')
  const bearer = { authorization: `Bearer ${token}` }
  const created = await gateway.post(`/v1/orgs/${organisationId}/webhooks`, { url: `${receiver.url}/erp`, eventTypes: STEPS }, bearer)
  t.equal(created.status, 201, JSON.stringify(created.body))
  const secret = created.body.secret as string
  const webhookId = (created.body.webhook as { id: string }).id

  const permitIds: string[] = []
  for (let i = 0; i < PERMITS; i++) {
    const answer = await gateway.post('/v1/permits', sampleSubmission(`deliver-${i}`), { ...bearer, 'idempotency-key': `deliver-${i}` })
    if (answer.status !== 202) throw new Error(`submission ${i} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
    permitIds.push((answer.body.permit as { id: string }).id)
  }
  armed = true

  /** What the receiver got against each permit's status changes (its event log). */
  async function tally() {
    const firstById = new Map<string, Message>()
    let repeats = 0
    for (const request of receiver.requests) {
      const message = verify(request, secret) as Message
      const id = String(request.headers['webhook-id'])
      if (firstById.has(id)) repeats++
      else firstById.set(id, message)
    }
    const byPermit = new Map<string, Message[]>()
    for (const message of firstById.values()) byPermit.set(message.data.permitId, [...(byPermit.get(message.data.permitId) ?? []), message])

    let incomplete = 0
    let disordered = 0
    for (const permitId of permitIds) {
      const events = await gateway.get<{ items: { statusTo: string | null; sequence: number }[] }>(`/v1/permits/${permitId}/events?limit=100`, bearer)
      const changes = events.items.filter((event) => event.statusTo !== null).map((event) => `permit.${event.statusTo}`)
      const received = byPermit.get(permitId) ?? []
      if (JSON.stringify([...received.map((message) => message.type)].sort()) !== JSON.stringify([...new Set(changes)].sort())) incomplete++
      const sequences = received.map((message) => message.data.sequence)
      if (sequences.some((sequence, index) => index > 0 && sequence <= sequences[index - 1]!)) disordered++
    }
    return { incomplete, disordered, requests: receiver.requests.length, messages: firstById.size, repeats }
  }

  // Until every permit is issued and the endpoint has nothing waiting, and every status change has
  // reached the receiver (a step just recorded may not be fanned out into a delivery yet): seconds (the killed
  // instance's jobs expire after 10 s and are retried a second later; the reconciliation runs every second).
  const deadline = Date.now() + 60_000
  let left = { unissued: -1, waiting: -1 }
  while (Date.now() < deadline) {
    // The next message kills the gateway (receiver.respond): poll once it is back, not while it
    // restarts (slower, on a busy machine, than a request's retries last).
    if (!restarted) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      continue
    }
    await restarted
    const issued = await gateway.get<{ items: unknown[] }>(`/v1/permits?status=issued&limit=100`, bearer)
    const waiting = await gateway.get<{ items: unknown[] }>(`/v1/orgs/${organisationId}/webhooks/${webhookId}/deliveries?state=pending&limit=1`, bearer)
    left = { unissued: PERMITS - issued.items.length, waiting: waiting.items.length }
    if (killedAt >= 0 && left.unissued === 0 && left.waiting === 0 && (await tally()).incomplete === 0) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.ok(killedAt >= 0, `the gateway was killed after ${killedAt} messages`)
  t.same(left, { unissued: 0, waiting: 0 }, 'every permit issued, nothing left waiting')

  const { incomplete, disordered, requests, messages, repeats } = await tally()
  t.comment(`${requests} requests, ${messages} messages, ${repeats} repeats (at least once: a message in flight at the kill is sent again)`)
  t.equal(incomplete, 0, 'each permit\'s status changes all arrived, each under one webhook-id')
  t.equal(disordered, 0, 'each permit\'s messages first arrived in sequence order')
})
