/**
 * examples/webhook-receiver.ts as an integrator runs it: a message signed as the gateway signs it
 * (src/modules/webhooks/sender.ts) is taken once, a repeat of its webhook-id is dropped, a
 * tampered body, another secret or an old timestamp is 401, an oversized body 413.
 */
import t from 'tap'
import { createWebhookReceiver } from '../../examples/webhook-receiver.ts'
import { generateWebhookSecret } from '../../src/modules/webhooks/secrets.ts'
import { signatureHeaders } from '../../src/modules/webhooks/sender.ts'

const secret = generateWebhookSecret()
const seen: unknown[] = []
const receiver = createWebhookReceiver({ secret, onMessage: (message) => seen.push(message) })
await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise((resolve) => receiver.server.close(resolve)))
const url = `http://127.0.0.1:${(receiver.server.address() as { port: number }).port}/insw`

const body = JSON.stringify({ type: 'permit.approved', timestamp: '2026-12-02T03:15:00.000Z', data: { permitId: 'p-1', referenceNumber: 'PRM-2026-X', sequence: 7, status: 'approved', previousStatus: 'under_review' } })
const post = (payload: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload })

t.test('a signed message is taken once; its repeat is dropped but answered 2xx', async (t) => {
  const headers = signatureHeaders({ id: 'msg_1', body, secrets: [secret] }, new Date())
  t.equal((await post(body, headers)).status, 204)
  t.equal((await post(body, headers)).status, 204, 'a repeat is acknowledged, or the gateway would retry it')
  t.same(receiver.counts, { verified: 1, duplicates: 1, refused: 0 })
  t.match(seen, [{ id: 'msg_1', type: 'permit.approved', data: { sequence: 7, status: 'approved' } }])
  const received = (await (await fetch(url.replace('/insw', '/received'))).json()) as { verified: number; recent: { id: string }[] }
  t.equal(received.verified, 1)
  t.same(received.recent.map((message) => message.id), ['msg_1'])
})

t.test('a tampered body, another secret, an old timestamp: 401; too large: 413', async (t) => {
  const now = new Date()
  t.equal((await post(body.replace('approved', 'issued'), signatureHeaders({ id: 'msg_2', body, secrets: [secret] }, now))).status, 401)
  t.equal((await post(body, signatureHeaders({ id: 'msg_3', body, secrets: [generateWebhookSecret()] }, now))).status, 401)
  t.equal((await post(body, signatureHeaders({ id: 'msg_4', body, secrets: [secret] }, new Date(now.getTime() - 10 * 60_000)))).status, 401, 'outside the five-minute tolerance')
  const rotated = signatureHeaders({ id: 'msg_5', body, secrets: [generateWebhookSecret(), secret] }, now)
  t.equal((await post(body, rotated)).status, 204, 'during a rotation one of two signatures is enough')
  t.equal((await post('x'.repeat(300 * 1024), signatureHeaders({ id: 'msg_6', body, secrets: [secret] }, now)).catch(() => ({ status: 413 }))).status, 413)
  t.equal(receiver.counts.refused, 4)
})
