/**
 * Signing-key rotation through configuration, and the provider's storage housekeeping.
 */
import * as oidc from 'openid-client'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { deleteExpiredOidcPayloads } from '../../src/identity/adapter.ts'
import { generateSigningKey } from '../../src/identity/keys.ts'
import { setupTestContext, testConfig } from '../helpers/app.ts'
import { freePort } from '../helpers/live-gateway.ts'
import { machineClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
const previousKey = generateSigningKey()
const newKey = generateSigningKey()
const port = await freePort()
const url = `http://127.0.0.1:${port}`

async function instance(keys: Record<string, unknown>[]) {
  const config = testConfig({ PUBLIC_URL: url, PORT: String(port), OIDC_JWKS: JSON.stringify({ keys }) })
  return buildApp({ config, database: context.database.handle, upstreams: context.upstreams })
}

t.test('rotation: the new key signs, tokens signed by the previous key stay valid, both are published', async (t) => {
  const before = await instance([previousKey])
  const created = await before.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
  const client = created.json().clients[0]
  await before.listen({ port, host: '127.0.0.1' })
  const oldToken = (await oidc.clientCredentialsGrant(await machineClient(url, client), { scope: 'org:read' })).access_token
  await before.close()

  const after = await instance([newKey, previousKey])
  t.teardown(() => after.close())
  await after.listen({ port, host: '127.0.0.1' })
  const jwks = (await (await fetch(`${url}/oidc/jwks`)).json()) as { keys: { kid: string }[] }
  t.same(jwks.keys.map((key) => key.kid), [newKey.kid, previousKey.kid], 'both keys published, the new one first')

  const newToken = (await oidc.clientCredentialsGrant(await machineClient(url, client), { scope: 'org:read' })).access_token
  const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid
  t.equal(kidOf(oldToken), previousKey.kid)
  t.equal(kidOf(newToken), newKey.kid, 'the first key signs')
  for (const token of [oldToken, newToken]) {
    const me = await after.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(me.statusCode, 200, `a token signed with ${kidOf(token)} is accepted`)
  }

  const retired = await instance([newKey])
  t.teardown(() => retired.close())
  const refused = await retired.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${oldToken}` } })
  t.equal(refused.statusCode, 401, 'once the previous key is removed, its tokens are refused')
})

t.test('rotation from an RSA key to an EC key: RS256 tokens stay valid while ES256 ones are issued', async (t) => {
  const rsaKey = generateSigningKey('RS256')
  const ecKey = generateSigningKey('ES256')
  const algOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg
  const before = await instance([rsaKey])
  const created = await before.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })
  const client = created.json().clients[0]
  await before.listen({ port, host: '127.0.0.1' })
  const rsaToken = (await oidc.clientCredentialsGrant(await machineClient(url, client), { scope: 'org:read' })).access_token
  await before.close()
  t.equal(algOf(rsaToken), 'RS256', 'an RSA key signs RS256')

  const after = await instance([ecKey, rsaKey])
  t.teardown(() => after.close())
  await after.listen({ port, host: '127.0.0.1' })
  const ecToken = (await oidc.clientCredentialsGrant(await machineClient(url, client), { scope: 'org:read' })).access_token
  t.equal(algOf(ecToken), 'ES256', 'the new EC key signs ES256')
  for (const token of [rsaToken, ecToken]) {
    const me = await after.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(me.statusCode, 200, `a ${algOf(token)} token is accepted`)
  }
  // A token whose header names the other algorithm than its key's is refused, whatever its signature.
  const [, payload, signature] = rsaToken.split('.')
  const relabelled = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: rsaKey.kid })).toString('base64url')}.${payload}.${signature}`
  const refused = await after.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${relabelled}` } })
  t.equal(refused.statusCode, 401, 'ES256 under an RSA key is refused')
})

t.test('expired provider rows are swept; live ones stay', async (t) => {
  const db = context.database.handle.db
  await db
    .insertInto('oidc_payloads')
    .values([
      { model: 'Session', id: 'expired-1', payload: '{}', expires_at: new Date(Date.now() - 60_000) },
      { model: 'Session', id: 'live-1', payload: '{}', expires_at: new Date(Date.now() + 60_000) },
    ])
    .execute()
  const removed = await deleteExpiredOidcPayloads(db)
  t.ok(removed >= 1)
  const left = await db.selectFrom('oidc_payloads').select('id').where('id', 'in', ['expired-1', 'live-1']).execute()
  t.same(left.map((row) => row.id), ['live-1'])
})
