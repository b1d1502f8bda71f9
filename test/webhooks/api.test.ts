/**
 * /v1/orgs/{orgId}/webhooks through the app: CRUD with the secret shown once and stored
 * encrypted, rights on the API Catalogue menu (machine clients have no such scope), another
 * organisation's endpoint is 404, URL rules (literal refused addresses are a 422 field error),
 * rotation, ping, the delivery log and redelivery; and the job engine delivering a permit's
 * steps in order to a receiver that was down for its first attempts.
 */
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { QUEUE_POLICIES } from '../../src/jobs/queues.ts'
import { fanOutPermitEvents } from '../../src/modules/notifications/fanout.ts'
import { moveStatus } from '../../src/modules/permits/journey.ts'
import { secretBox } from '../../src/modules/webhooks/secrets.ts'
import { checkWebhookUrl } from '../../src/modules/webhooks/service.ts'
import { setupTestContext, testConfig } from '../helpers/app.ts'
import { drainQueue } from '../helpers/jobs.ts'
import { api, createActiveUser, createGroup, createOrg, userToken } from '../helpers/orgs.ts'
import { insertPermit } from '../helpers/permits.ts'
import { tokenMinter } from '../helpers/tokens.ts'
import { startReceiver, verifies, verify } from '../helpers/webhook-receiver.ts'

const context = await setupTestContext(t)
// Retries a second apart, so the engine test does not wait for the real backoff.
const jobQueues = QUEUE_POLICIES.map((queue) => ({ ...queue, retryDelay: 1, retryDelayMax: 1 }))
const config = testConfig({ JOB_POLL_INTERVAL_MS: '500' })
const app = await buildApp({ config, database: context.database.handle, upstreams: context.upstreams, jobQueues })
t.teardown(() => app.close())
await app.ready()
const minter = tokenMinter(app)
const db = context.database.handle.db
const receiver = await startReceiver(t)

const orgA = await createOrg(app, '8120000000001')
const orgB = await createOrg(app, '8120000000010')
const superA = userToken(minter, orgA.superAdmin.userId, orgA.orgId)
const superB = userToken(minter, orgB.superAdmin.userId, orgB.orgId)
const viewGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Catalogue readers', rights: [{ menu: 'API_CATALOGUE', actions: ['view'] }] })
const viewerA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', viewGroup), orgA.orgId)
const plainGroup = await createGroup(app, superA, orgA.orgId, { level: 'non_admin', name: 'Plain', rights: [{ menu: 'SSM_PERIZINAN', actions: ['view'] }] })
const plainA = userToken(minter, await createActiveUser(app, context, superA, orgA.orgId, 'non_admin', plainGroup), orgA.orgId)
const clientA = minter.forClient(orgA.clients[0]!.clientId, { scope: 'org:read', orgId: orgA.orgId })

const hooks = (orgId: string) => `/v1/orgs/${orgId}/webhooks`
const create = (token: string, orgId: string, body: Record<string, unknown>) => api(app, token, 'POST', hooks(orgId), body)

t.beforeEach(() => {
  receiver.respond = (_request, response) => response.end('ok')
})

t.test('create, read, list, update, delete; the secret is shown once and stored encrypted', async (t) => {
  const created = await create(superA, orgA.orgId, { url: `${receiver.url}/a`, description: 'ERP', eventTypes: ['permit.approved', 'permit.rejected'] })
  t.equal(created.statusCode, 201, created.body)
  const { webhook, secret } = created.json()
  t.match(webhook, { organisationId: orgA.orgId, url: `${receiver.url}/a`, description: 'ERP', eventTypes: ['permit.approved', 'permit.rejected'], enabled: true, failingSince: null, createdBy: orgA.superAdmin.userId })
  t.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/, 'whsec_ and 24 random bytes')
  const row = await db.selectFrom('webhooks').select('secret_ciphertext').where('id', '=', webhook.id).executeTakeFirstOrThrow()
  t.notMatch(row.secret_ciphertext, secret.slice(6), 'not stored in clear')
  t.equal(secretBox(config.webhooks.secretKey).open(row.secret_ciphertext, webhook.id), secret, 'decrypts with the server key')

  const read = await api(app, viewerA, 'GET', `${hooks(orgA.orgId)}/${webhook.id}`)
  t.equal(read.statusCode, 200)
  t.notMatch(read.body, secret.slice(6), 'never shown again')
  const list = await api(app, viewerA, 'GET', `${hooks(orgA.orgId)}?limit=1`)
  t.equal(list.statusCode, 200)
  t.equal(list.json().items[0].id, webhook.id)

  const updated = await api(app, superA, 'PATCH', `${hooks(orgA.orgId)}/${webhook.id}`, { eventTypes: ['permit.issued'], description: null, enabled: false })
  t.equal(updated.statusCode, 200, updated.body)
  t.match(updated.json(), { eventTypes: ['permit.issued'], description: null, enabled: false })
  const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', webhook.id).orderBy('id').execute()
  t.same(audit.map((a) => a.action).sort(), ['webhook.created', 'webhook.updated'])

  t.equal((await api(app, superA, 'DELETE', `${hooks(orgA.orgId)}/${webhook.id}`)).statusCode, 204)
  t.equal((await api(app, superA, 'GET', `${hooks(orgA.orgId)}/${webhook.id}`)).statusCode, 404)
})

t.test('event types come from the catalogue; URLs must be https outside sandbox and never a refused address', async (t) => {
  const unknown = await create(superA, orgA.orgId, { url: `${receiver.url}/a`, eventTypes: ['permit.exploded'] })
  t.equal(unknown.statusCode, 422)
  t.match(unknown.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/eventTypes/0', in: 'body' }] })
  for (const url of ['http://10.0.0.7/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:192.168.1.1]/x', 'https://[fd00:ec2::254]/', 'http://100.64.1.1/']) {
    const refused = await create(superA, orgA.orgId, { url, eventTypes: ['permit.issued'] })
    t.equal(refused.statusCode, 422, url)
    t.match(refused.json(), { code: 'VALIDATION_FAILED', errors: [{ pointer: '/url', in: 'body', reason: 'refused_address' }] }, url)
  }
  t.equal((await create(superA, orgA.orgId, { url: 'https://user:pw@erp.example/x', eventTypes: ['permit.issued'] })).statusCode, 422, 'no credentials in the URL')
  t.equal((await create(superA, orgA.orgId, { url: 'ftp://erp.example/x', eventTypes: ['permit.issued'] })).statusCode, 422)
  const production = { sandbox: false, policy: { allowLoopback: false } }
  t.throws(() => checkWebhookUrl('http://erp.example.co.id/hook', production), { errors: [{ reason: 'scheme' }] }, 'http only in sandbox mode')
  t.throws(() => checkWebhookUrl('https://127.0.0.1/hook', production), { errors: [{ reason: 'refused_address' }] }, 'loopback only in sandbox mode')
  t.equal(checkWebhookUrl('https://erp.example.co.id/hook', production), 'https://erp.example.co.id/hook')
})

t.test('rights: View reads, Create/Edit/Delete write; no right is 403; another organisation is 404', async (t) => {
  const { webhook } = (await create(superA, orgA.orgId, { url: `${receiver.url}/r`, eventTypes: ['permit.issued'] })).json()
  const one = `${hooks(orgA.orgId)}/${webhook.id}`
  t.equal((await api(app, viewerA, 'GET', one)).statusCode, 200)
  t.equal((await api(app, viewerA, 'GET', `${one}/deliveries`)).statusCode, 200)
  t.equal((await create(viewerA, orgA.orgId, { url: `${receiver.url}/r`, eventTypes: ['permit.issued'] })).statusCode, 403)
  t.equal((await api(app, viewerA, 'PATCH', one, { enabled: false })).statusCode, 403)
  t.equal((await api(app, viewerA, 'POST', `${one}/rotate-secret`, {})).statusCode, 403)
  t.equal((await api(app, viewerA, 'POST', `${one}/ping`)).statusCode, 403)
  t.equal((await api(app, viewerA, 'DELETE', one)).statusCode, 403)
  t.equal((await api(app, plainA, 'GET', hooks(orgA.orgId))).statusCode, 403, 'no right on API Catalogue')
  const noScope = await api(app, clientA, 'GET', hooks(orgA.orgId))
  t.equal(noScope.statusCode, 403, 'a machine client without webhooks:read')
  t.match(noScope.headers['www-authenticate'], /insufficient_scope/)
  for (const [method, url, body] of [
    ['GET', one],
    ['PATCH', one, { enabled: false }],
    ['DELETE', one],
    ['POST', `${one}/rotate-secret`, {}],
    ['POST', `${one}/ping`],
    ['GET', `${one}/deliveries`],
  ] as const) {
    const response = await api(app, superB, method, url, body)
    t.equal(response.statusCode, 404, `${method} ${url.replace(orgA.orgId, 'A')} as B's super admin`)
  }
  const asOwnOrg = await api(app, superB, 'GET', `${hooks(orgB.orgId)}/${webhook.id}`)
  t.equal(asOwnOrg.statusCode, 404, 'A\'s endpoint under B\'s own path: 404 as well')
})

t.test('an in-house system looks after its own endpoints with webhooks:read and webhooks:write', async (t) => {
  const clientId = orgA.clients.find((client) => client.kind === 'inhouse')!.clientId
  t.ok(orgA.clients.find((client) => client.kind === 'inhouse')!.scopes.includes('webhooks:write'), 'in-house clients may hold it')
  const writer = minter.forClient(clientId, { scope: 'webhooks:read webhooks:write', orgId: orgA.orgId })
  const reader = minter.forClient(clientId, { scope: 'webhooks:read', orgId: orgA.orgId })
  const created = await create(writer, orgA.orgId, { url: `${receiver.url}/erp`, eventTypes: ['permit.issued'] })
  t.equal(created.statusCode, 201, created.body)
  const { webhook } = created.json()
  t.equal(webhook.createdBy, clientId)
  const one = `${hooks(orgA.orgId)}/${webhook.id}`
  t.equal((await api(app, reader, 'GET', one)).statusCode, 200)
  t.equal((await api(app, reader, 'GET', `${one}/deliveries`)).statusCode, 200)
  const refused = await api(app, reader, 'PATCH', one, { enabled: false })
  t.equal(refused.statusCode, 403, 'webhooks:read does not write')
  t.match(refused.headers['www-authenticate'], /insufficient_scope/)
  t.equal((await api(app, writer, 'POST', `${one}/ping`)).statusCode, 200)
  t.equal((await api(app, writer, 'PATCH', one, { enabled: false })).json().enabled, false)
  t.equal((await api(app, minter.forClient(orgB.clients[0]!.clientId, { scope: 'webhooks:read webhooks:write', orgId: orgB.orgId }), 'GET', one)).statusCode, 404, "another organisation's client")
  t.equal((await api(app, writer, 'DELETE', one)).statusCode, 204)
  const surveyor = await api(app, superA, 'POST', `/v1/orgs/${orgA.orgId}/clients`, { name: 'Surveyor', kind: 'surveyor', scopes: ['webhooks:read'] })
  t.equal(surveyor.statusCode, 422, 'only in-house clients take webhooks scopes')
})

t.test('ping is sent now and signed; rotation signs with both secrets; the log shows it; redelivery re-queues it', async (t) => {
  const { webhook, secret } = (await create(superA, orgA.orgId, { url: `${receiver.url}/ping`, eventTypes: ['permit.issued'] })).json()
  const one = `${hooks(orgA.orgId)}/${webhook.id}`
  const pinged = await api(app, superA, 'POST', `${one}/ping`)
  t.equal(pinged.statusCode, 200, pinged.body)
  t.match(pinged.json(), { outcome: 'delivered', statusCode: 200, responseExcerpt: 'ok', error: null })
  const request = receiver.requests.at(-1)!
  t.match(verify(request, secret), { type: 'webhook.ping', data: { webhookId: webhook.id, organisationId: orgA.orgId } })
  t.equal(request.headers['webhook-id'], pinged.json().deliveryId)

  const rotated = await api(app, superA, 'POST', `${one}/rotate-secret`, { overlapSeconds: 600 })
  t.equal(rotated.statusCode, 200)
  const fresh = rotated.json().secret
  t.not(fresh, secret)
  t.ok(rotated.json().webhook.previousSecretExpiresAt)
  receiver.respond = (_request, response) => response.writeHead(503).end('busy')
  const failed = await api(app, superA, 'POST', `${one}/ping`)
  t.match(failed.json(), { outcome: 'failed', statusCode: 503, error: 'answered 503', responseExcerpt: 'busy' })
  t.ok(verifies(receiver.requests.at(-1)!, secret) && verifies(receiver.requests.at(-1)!, fresh), 'both secrets verify during the overlap')
  const hook = await db.selectFrom('webhooks').select('failing_since').where('id', '=', webhook.id).executeTakeFirstOrThrow()
  t.equal(hook.failing_since, null, 'a ping does not start a failing period')

  const log = await api(app, viewerA, 'GET', `${one}/deliveries?limit=1`)
  t.equal(log.statusCode, 200)
  t.match(log.json().items, [{ id: failed.json().deliveryId, eventType: 'webhook.ping', state: 'failed', attempts: 1, lastStatusCode: 503 }], 'newest first')
  t.ok(log.json().next, 'a second page')
  const page2 = await api(app, viewerA, 'GET', log.json().next)
  t.match(page2.json(), { items: [{ id: pinged.json().deliveryId, state: 'delivered' }], next: null })
  const detail = await api(app, viewerA, 'GET', `${one}/deliveries/${failed.json().deliveryId}`)
  t.match(detail.json(), { payload: { type: 'webhook.ping' }, attemptLog: [{ outcome: 'failed', statusCode: 503, responseExcerpt: 'busy' }] })

  receiver.respond = (_request, response) => response.end('ok')
  const again = await api(app, superA, 'POST', `${one}/deliveries/${failed.json().deliveryId}/redeliver`)
  t.equal(again.statusCode, 202, again.body)
  await drainQueue(app, 'webhook.deliver')
  const after = await api(app, viewerA, 'GET', `${one}/deliveries/${failed.json().deliveryId}`)
  t.match(after.json(), { state: 'delivered', attempts: 2, attemptLog: [{ outcome: 'failed' }, { outcome: 'delivered' }] })
  t.equal(receiver.requests.at(-1)!.headers['webhook-id'], failed.json().deliveryId, 'the same message: the same webhook-id')
  t.equal((await api(app, superB, 'POST', `/v1/orgs/${orgA.orgId}/webhooks/${webhook.id}/deliveries/${failed.json().deliveryId}/redeliver`)).statusCode, 404)
})

t.test('through the engine: a receiver down for its first attempts gets every step, in order', async (t) => {
  const { webhook, secret } = (await create(superA, orgA.orgId, { url: `${receiver.url}/engine`, eventTypes: ['permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved'] })).json()
  let refusals = 2
  receiver.respond = (request, response) => {
    if (request.url === '/engine' && refusals > 0) {
      refusals -= 1
      return response.writeHead(503).end()
    }
    response.end('ok')
  }
  const permit = await insertPermit(db, { nib: '8120000000001' })
  for (const step of ['forwarded', 'received', 'under_review', 'approved'] as const) {
    await db.transaction().execute((trx) => moveStatus(trx, permit.id, step, { type: 'permit.status_changed', actor: { type: 'system' }, hop: 'inatrade', outcome: 'succeeded' }))
  }
  await fanOutPermitEvents({ db, jobs: app.jobs, menuOfPermitType: () => 'SSM_PERIZINAN' })
  await drainQueue(app, 'webhook.deliver', { timeoutMs: 30_000 })
  const got = receiver.requests.filter((request) => request.url === '/engine').map((request) => verify(request, secret) as { type: string })
  t.same(got.map((message) => message.type), ['permit.forwarded', 'permit.forwarded', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved'])
  const rows = await db.selectFrom('webhook_deliveries').select(['state']).where('webhook_id', '=', webhook.id).execute()
  t.ok(rows.length === 4 && rows.every((row) => row.state === 'delivered'))
})
