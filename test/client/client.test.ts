/**
 * The typed client (packages/client): generated from the contract and kept in step with it; against
 * a gateway on a real socket it fetches and caches a client-credentials token, submits with an
 * Idempotency-Key of its own, reads back, and turns problems into typed errors; its fetch retries
 * only what is safe, honouring Retry-After, with the same key; webhooks verify with either secret of
 * a rotation.
 */
import { readFileSync } from 'node:fs'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { createGatewayClient, expectData, gatewayFetch, IDEMPOTENT_POSTS, ProblemError, TokenSource, verifyWebhook } from '../../packages/client/src/index.ts'
import { CLIENT_SCHEMA, CONTRACT, generateClientSchema } from '../../scripts/generate-client.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'

t.test('schema.ts is what the contract generates today (npm run client:generate)', async (t) => {
  t.equal(await generateClientSchema(), readFileSync(CLIENT_SCHEMA, 'utf8'), 'regenerate the client after changing the contract')
})

t.test('the client adds Idempotency-Key exactly where the contract takes one', async (t) => {
  const contract = JSON.parse(readFileSync(CONTRACT, 'utf8')) as { paths: Record<string, Record<string, { parameters?: { name?: string; $ref?: string }[] }>> }
  for (const [template, operations] of Object.entries(contract.paths)) {
    if (!operations.post) continue
    const takesKey = (operations.post.parameters ?? []).some((parameter) => /idempotency/i.test(parameter.name ?? parameter.$ref ?? ''))
    const path = template.replace(/\{[^}]+\}/g, 'x')
    t.equal(IDEMPOTENT_POSTS.some((pattern) => pattern.test(path)), takesKey, `POST ${template}`)
  }
})

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })
const created = (await (await fetch(`${url}/v1/sandbox/test-organisations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nib":"8120000000001"}' })).json()) as {
  clients: { kind: string; clientId: string; clientSecret: string }[]
}
const inhouse = created.clients.find((client) => client.kind === 'inhouse')!
const credentials = { clientId: inhouse.clientId, clientSecret: inhouse.clientSecret, scope: 'permits:read permits:write' }

t.test('against the gateway: one token for many requests, a key of its own, the permit read back', async (t) => {
  const calls: string[] = []
  const counting: typeof fetch = (input, init) => {
    calls.push(new URL(input instanceof Request ? input.url : String(input)).pathname)
    return fetch(input, init)
  }
  const gateway = createGatewayClient({ baseUrl: url, credentials, fetch: counting })
  const submitted = await gateway.POST('/v1/permits', { body: sampleSubmission('client-typed-1') as never })
  t.equal(submitted.response.status, 202)
  const { permit } = expectData(submitted)
  t.ok(permit.id, 'a permit id, typed')
  const read = expectData(await gateway.GET('/v1/permits/{id}', { params: { path: { id: permit.id } } }))
  t.equal(read.view === 'owner' ? read.clientReference : undefined, 'client-typed-1', 'the owner\'s view, with our reference')
  const found = expectData(await gateway.GET('/v1/permits', { params: { query: { clientReference: 'client-typed-1' } } }))
  t.same(found.items.map((item) => item.id), [permit.id])
  t.equal(calls.filter((path) => path === '/oidc/token').length, 1, 'one token for three requests')

  // A second submission of the same reference with another key is the gateway's 409, typed.
  const again = await gateway.POST('/v1/permits', { body: sampleSubmission('client-typed-1') as never })
  const error = t.throws(() => expectData(again)) as ProblemError
  t.type(error, ProblemError)
  t.equal(error.status, 409)
  t.match(error.code, /^[A-Z_]+$/)
})

t.test('against the gateway: a field-level problem is a ProblemError naming the field', async (t) => {
  const gateway = createGatewayClient({ baseUrl: url, credentials })
  const result = await gateway.POST('/v1/permits', { body: { ...sampleSubmission('client-typed-2'), permitType: 'NO-SUCH-TYPE' } as never })
  const error = t.throws(() => expectData(result)) as ProblemError
  t.equal(error.status, 422)
  t.ok(error.problem.errors?.length ?? error.problem.detail, 'with its details')
})

t.test('against the gateway: a caller\'s own Idempotency-Key replays the first answer', async (t) => {
  const gateway = createGatewayClient({ baseUrl: url, credentials })
  const headers = { 'idempotency-key': 'typed-client-key-1' }
  const first = await gateway.POST('/v1/permits', { body: sampleSubmission('client-typed-3') as never, params: { header: headers } as never, headers })
  const second = await gateway.POST('/v1/permits', { body: sampleSubmission('client-typed-3') as never, params: { header: headers } as never, headers })
  t.equal(second.response.headers.get('idempotent-replayed'), 'true')
  t.equal(expectData(second).permit.id, expectData(first).permit.id)
})

/** A scripted upstream for gatewayFetch: answers in turn, records what it was sent. */
function scripted(answers: (Response | Error)[]) {
  const sent: Request[] = []
  const fake = async (input: Request | string | URL) => {
    sent.push(input as Request)
    const next = answers.shift()
    if (!next) throw new Error('no answer scripted')
    if (next instanceof Error) throw next
    return next
  }
  return { sent, fake: fake as typeof fetch }
}

const problem = (status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'x', status, code: 'X' }), { status, headers: { 'content-type': 'application/problem+json', ...headers } })

t.test('retries: Retry-After honoured, the same key and body each time, only what is safe', async (t) => {
  const waits: number[] = []
  const sleep = async (ms: number) => void waits.push(ms)
  const upstream = scripted([problem(503, { 'retry-after': '2' }), new TypeError('fetch failed'), problem(409, { 'retry-after': '1' }), new Response('{}', { status: 202 })])
  const send = gatewayFetch({ fetch: upstream.fake, sleep, retry: { baseDelayMs: 100 } })
  const answer = await send(new Request('http://gw.test/v1/permits', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }))
  t.equal(answer.status, 202)
  t.equal(upstream.sent.length, 4)
  const keys = new Set(upstream.sent.map((request) => request.headers.get('idempotency-key')))
  t.equal(keys.size, 1, 'one key, generated once')
  t.match([...keys][0], /^[0-9a-f-]{36}$/)
  t.same(await Promise.all(upstream.sent.map((request) => request.text())), ['{"a":1}', '{"a":1}', '{"a":1}', '{"a":1}'], 'the body each time')
  t.equal(waits[0], 2000, 'Retry-After: 2')
  t.ok(waits[1]! >= 100 && waits[1]! <= 200, `a network error on the second attempt backs off 100-200 ms (${waits[1]} ms)`)
  t.equal(waits[2], 1000, 'the key still in flight: 409 + Retry-After waits')

  const plain = scripted([problem(503), new Response('{}', { status: 201 })])
  const once = await gatewayFetch({ fetch: plain.fake, sleep })(new Request('http://gw.test/v1/orgs/o/webhooks', { method: 'POST', body: '{}' }))
  t.equal(once.status, 503, 'a POST without a key is not retried: it might have been done')
  t.equal(plain.sent.length, 1)

  const tooLong = scripted([problem(429, { 'retry-after': '120' })])
  t.equal((await gatewayFetch({ fetch: tooLong.fake, sleep })(new Request('http://gw.test/v1/permits'))).status, 429, 'a wait past maxDelayMs goes back to the caller')

  const giveUp = scripted([problem(502), problem(502), problem(502), problem(502)])
  t.equal((await gatewayFetch({ fetch: giveUp.fake, sleep })(new Request('http://gw.test/v1/permits'))).status, 502, 'after the last attempt, the answer')
  t.equal(giveUp.sent.length, 4)
})

t.test('tokens: cached until shortly before expiry, one fetch for concurrent callers, renewed after a 401', async (t) => {
  let now = 1_000_000
  let issued = 0
  const tokenEndpoint = (async (_input: Request | string | URL, init?: RequestInit) => {
    t.match(String(init?.body), /grant_type=client_credentials/)
    issued++
    return new Response(JSON.stringify({ access_token: `token-${issued}`, expires_in: 300, token_type: 'Bearer' }), { status: 200 })
  }) as typeof fetch
  const tokens = new TokenSource({ baseUrl: 'http://gw.test', clientId: 'c', clientSecret: 's', scope: 'permits:read', fetch: tokenEndpoint, now: () => now })
  t.same(await Promise.all([tokens.token(), tokens.token(), tokens.token()]), ['token-1', 'token-1', 'token-1'])
  now += 269_000
  t.equal(await tokens.token(), 'token-1', 'still good')
  now += 2_000
  t.equal(await tokens.token(), 'token-2', 'renewed 30 s before expiry')

  const upstream = scripted([problem(401), new Response('{}', { status: 200 })])
  const answer = await gatewayFetch({ fetch: upstream.fake, tokens })(new Request('http://gw.test/v1/me'))
  t.equal(answer.status, 200)
  t.same(upstream.sent.map((request) => request.headers.get('authorization')), ['Bearer token-2', 'Bearer token-3'], 'a refused token is replaced once')
})

t.test('webhooks: verified with the standardwebhooks package, either secret of a rotation', async (t) => {
  const oldSecret = `whsec_${Buffer.from('o'.repeat(32)).toString('base64')}`
  const newSecret = `whsec_${Buffer.from('n'.repeat(32)).toString('base64')}`
  const body = JSON.stringify({ type: 'permit.issued', timestamp: new Date().toISOString(), data: { permitId: 'p-1', sequence: 6 } })
  const signature = new Webhook(oldSecret).sign('msg_1', new Date(), body)
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature }
  t.match(verifyWebhook(body, headers, [newSecret, oldSecret]), { type: 'permit.issued', data: { permitId: 'p-1' } })
  t.throws(() => verifyWebhook(body, headers, newSecret), 'the other secret alone does not verify it')
  t.throws(() => verifyWebhook(body.replace('p-1', 'p-2'), headers, oldSecret), 'a changed body does not verify')
})
