/**
 * The resource server against forged and broken access tokens. Negative cases are minted with the
 * gateway's own private signing key, so only the one property under test is wrong; the same
 * helper minting a correct token is accepted, which proves the helper itself. Real tokens from the
 * token endpoint cover scopes and payload tampering.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { issuerOf } from '../../src/identity/provider.ts'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'
import { jwt, tokenMinter, type Signer } from '../helpers/tokens.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
// Probe routes, added before `ready`: one needing a scope, one needing only a valid token.
app.get('/v1/probe/needs-permits', { config: { scopes: ['permits:write'] } }, async (request) => ({ subject: request.principal?.subject }))
app.get('/v1/probe/whoami', async (request) => ({ principal: request.principal ? { ...request.principal, scopes: [...request.principal.scopes] } : null }))
await app.ready()

const config = testConfig()
const ISSUER = issuerOf(config)

const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
// No assertion at the top level: tap would end the root test (and run teardowns) early.
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const inhouse = (created.json().clients as { kind: string; clientId: string; clientSecret: string }[]).find((c) => c.kind === 'inhouse')
if (!inhouse) throw new Error('the test organisation has no inhouse client')

const minter = tokenMinter(app, config)
const KID = minter.kid
const publicKey = minter.publicKey

/** A token from the real token endpoint (client credentials, HTTP Basic). */
async function clientToken(scope: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/oidc/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${inhouse!.clientId}:${inhouse!.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  })
  if (response.statusCode !== 200) throw new Error(`token endpoint answered ${response.statusCode}: ${response.body}`)
  return response.json().access_token as string
}

const encode = (part: unknown): string => Buffer.from(JSON.stringify(part)).toString('base64url')
const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

function validHeader(): Record<string, unknown> {
  return minter.header()
}

/** Claims as the provider issues them for a client-credentials grant. */
function validClaims(): Record<string, unknown> {
  return minter.claims({ sub: inhouse!.clientId, client_id: inhouse!.clientId, scope: 'org:read permits:write' })
}

/** A correct token unless `header` or `claims` override something; signed by the gateway's key by default. */
function mint(options: { header?: Record<string, unknown>; claims?: Record<string, unknown>; signer?: Signer } = {}): string {
  return jwt({ ...validHeader(), ...options.header }, { ...validClaims(), ...options.claims }, options.signer ?? minter.signer)
}

function call(url: string, authorization?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
}

/** 401 INVALID_TOKEN problem+json with a Bearer challenge carrying error="invalid_token". */
function assertInvalidToken(t: Test, response: LightMyRequestResponse, message: string): void {
  t.equal(response.statusCode, 401, `${message}: 401`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${message}: problem+json`)
  t.match(response.json(), { status: 401, code: 'INVALID_TOKEN', title: 'Invalid access token' }, `${message}: INVALID_TOKEN`)
  const challenge = String(response.headers['www-authenticate'] ?? '')
  t.match(challenge, /^Bearer realm="insw-gateway", error="invalid_token"/, `${message}: Bearer challenge with error="invalid_token"`)
  t.notMatch(response.body, /permits:write|org:read/, `${message}: nothing about the token's content is echoed`)
}

t.test('the minting helper is sound: a correctly minted token is accepted', async (t) => {
  const response = await call('/v1/probe/whoami', `Bearer ${mint()}`)
  t.equal(response.statusCode, 200)
  t.match(response.json(), {
    principal: { kind: 'client', subject: inhouse.clientId, clientId: inhouse.clientId, scopes: ['org:read', 'permits:write'] },
  })
  const scoped = await call('/v1/probe/needs-permits', `Bearer ${mint()}`)
  t.equal(scoped.statusCode, 200, 'and passes a scope check it satisfies')
})

t.test('a real token from the token endpoint is accepted', async (t) => {
  const token = await clientToken('org:read')
  const me = await call('/v1/me', `Bearer ${token}`)
  t.equal(me.statusCode, 200)
  t.equal(me.json().clientId, inhouse.clientId)
})

t.test('alg "none" is refused, with or without a signature part', async (t) => {
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ header: { alg: 'none' }, signer: { alg: 'none' } })}`), 'alg none')
  const noKid = jwt({ alg: 'none', typ: 'at+jwt' }, validClaims(), { alg: 'none' })
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${noKid}`), 'alg none without kid')
  const withSignature = `${mint({ header: { alg: 'none' }, signer: { alg: 'none' } })}${mint().split('.')[2]}`
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${withSignature}`), 'alg none carrying a real signature')
})

t.test('algorithm confusion: HS256 keyed with the gateway public key is refused', async (t) => {
  const published = await app.inject({ method: 'GET', url: '/oidc/jwks' })
  t.equal(published.statusCode, 200)
  const publishedJwk = (published.json().keys as Record<string, unknown>[]).find((key) => key.kid === KID)
  t.ok(publishedJwk, 'the signing key is published')
  const secrets: Record<string, string | Buffer> = {
    'SPKI PEM (what the verifier holds)': publicKey.export({ format: 'pem', type: 'spki' }) as string,
    // PKCS#1 exists for RSA keys only; an EC key has SPKI, DER and JWK forms.
    ...(publicKey.asymmetricKeyType === 'rsa' ? { 'PKCS#1 PEM': publicKey.export({ format: 'pem', type: 'pkcs1' }) as string } : {}),
    'DER': publicKey.export({ format: 'der', type: 'spki' }),
    'published JWK (JSON)': JSON.stringify(publishedJwk),
    'published JWKS document': published.body,
  }
  for (const [form, secret] of Object.entries(secrets)) {
    const forged = mint({ header: { alg: 'HS256' }, signer: { alg: 'HS256', secret } })
    assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${forged}`), `HS256 with the public key as ${form}`)
  }
})

t.test('an unknown or missing kid is refused', async (t) => {
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ header: { kid: 'not-a-known-key' } })}`), 'unknown kid')
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${jwt({ alg: minter.signer.alg, typ: 'at+jwt' }, validClaims(), minter.signer)}`), 'no kid')
})

t.test('a tampered payload with the original signature is refused', async (t) => {
  const real = await clientToken('org:read')
  t.equal((await call('/v1/probe/whoami', `Bearer ${real}`)).statusCode, 200, 'the untouched token works')
  const [header, payload, signature] = real.split('.') as [string, string, string]
  const claims = decode(payload)
  const escalated = `${header}.${encode({ ...claims, scope: 'org:read org:admin permits:write' })}.${signature}`
  assertInvalidToken(t, await call('/v1/probe/needs-permits', `Bearer ${escalated}`), 'scopes added')
  const otherSubject = `${header}.${encode({ ...claims, sub: 'someone-else', client_id: 'someone-else' })}.${signature}`
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${otherSubject}`), 'subject changed')
  const extended = `${header}.${encode({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${extended}`), 'lifetime extended')
})

t.test('a token signed by another RSA key under the right kid is refused', async (t) => {
  // Same algorithm and kid as the gateway's key, another key: only the signature is wrong.
  const { privateKey: attackerKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ signer: { alg: 'ES256', key: attackerKey } })}`), 'foreign key')
  const { privateKey: attackerRsa } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ header: { alg: 'RS256' }, signer: { alg: 'RS256', key: attackerRsa } })}`), 'RS256 under the ES256 key\'s kid')
})

t.test('wrong audience or issuer is refused', async (t) => {
  for (const aud of ['http://gateway.test/other-api', ISSUER, 'https://evil.example/v1', ['https://evil.example/v1']]) {
    assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ claims: { aud } })}`), `aud ${JSON.stringify(aud)}`)
  }
  for (const iss of ['https://evil.example/oidc', `${ISSUER}/`, 'http://gateway.test']) {
    assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ claims: { iss } })}`), `iss ${iss}`)
  }
})

t.test('an expired token is refused and the challenge says so', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const response = await call('/v1/probe/whoami', `Bearer ${mint({ claims: { iat: now - 600, exp: now - 60 } })}`)
  assertInvalidToken(t, response, 'expired')
  t.match(response.headers['www-authenticate'], /error_description="the access token expired"/)
})

t.test('a token not typed at+jwt (RFC 9068) is refused: an ID token or other JWT cannot be replayed', async (t) => {
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${mint({ header: { typ: 'JWT' } })}`), 'typ JWT')
  const { typ: _typ, ...untyped } = validHeader()
  assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${jwt(untyped, validClaims(), minter.signer)}`), 'no typ')
})

t.test('a token missing a required claim is refused', async (t) => {
  for (const claim of ['sub', 'client_id', 'exp', 'iat']) {
    const { [claim]: _removed, ...claims } = validClaims()
    const token = jwt(validHeader(), claims, minter.signer)
    assertInvalidToken(t, await call('/v1/probe/whoami', `Bearer ${token}`), `no ${claim}`)
  }
})

t.test('a malformed Authorization header is refused', async (t) => {
  for (const authorization of [
    'Bearer garbage',
    'Bearer a.b.c',
    `Bearer ${mint().split('.').slice(0, 2).join('.')}`,
    `Bearer ${mint()} extra`,
    'Bearer ',
    'Bearer',
    `bearer${mint()}`,
    `Basic ${Buffer.from(`${inhouse.clientId}:${inhouse.clientSecret}`).toString('base64')}`,
    `Token ${mint()}`,
  ]) {
    assertInvalidToken(t, await call('/v1/probe/whoami', authorization), `Authorization: ${authorization.slice(0, 20)}…`)
  }
})

t.test('no token: 401 UNAUTHENTICATED with a bare Bearer challenge', async (t) => {
  const response = await call('/v1/probe/whoami')
  t.equal(response.statusCode, 401)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { status: 401, code: 'UNAUTHENTICATED' })
  t.equal(response.headers['www-authenticate'], 'Bearer realm="insw-gateway"', 'no error attribute without credentials (RFC 6750 §3.1)')
  const scoped = await call('/v1/probe/needs-permits')
  t.equal(scoped.statusCode, 401, 'a scoped route asks for a token first')
  t.equal(scoped.headers['www-authenticate'], 'Bearer realm="insw-gateway"')
})

t.test('a valid token without the required scope: 403 INSUFFICIENT_SCOPE naming the scope', async (t) => {
  const readOnly = await clientToken('org:read permits:read')
  const response = await call('/v1/probe/needs-permits', `Bearer ${readOnly}`)
  t.equal(response.statusCode, 403)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { status: 403, code: 'INSUFFICIENT_SCOPE', detail: /permits:write/ })
  const challenge = String(response.headers['www-authenticate'])
  t.match(challenge, /^Bearer realm="insw-gateway", error="insufficient_scope"/)
  t.match(challenge, /scope="permits:write"/)

  const writer = await clientToken('permits:write')
  const allowed = await call('/v1/probe/needs-permits', `Bearer ${writer}`)
  t.equal(allowed.statusCode, 200, 'the same client with the scope gets through')
  t.same(allowed.json(), { subject: inhouse.clientId })
})

t.test('an unknown /v1 route answers 404 whatever the credentials, so ids cannot be probed through auth errors', async (t) => {
  for (const authorization of [undefined, 'Bearer garbage', `Bearer ${mint({ claims: { aud: 'https://evil.example' } })}`]) {
    const response = await call('/v1/no-such-thing/123', authorization)
    t.equal(response.statusCode, 404, `${authorization ?? 'no token'}: 404`)
    t.match(response.json(), { code: 'ROUTE_NOT_FOUND' })
    t.notOk(response.headers['www-authenticate'], 'no challenge')
  }
})

t.test('a percent-encoded path reaching a /v1 route still needs a token', async (t) => {
  for (const url of ['/%761/probe/whoami', '/v%31/probe/whoami', '/v1/probe/%77hoami', '/%76%31/probe/needs-permits']) {
    const response = await call(url)
    t.equal(response.statusCode, 401, `${url}: 401`)
    t.match(response.json(), { code: 'UNAUTHENTICATED' })
  }
})

t.test('public routes need no token', async (t) => {
  const live = await call('/health/live')
  t.equal(live.statusCode, 200)
  t.match(live.json(), { status: 'ok' })
  const jwks = await call('/oidc/jwks')
  t.equal(jwks.statusCode, 200, 'the provider publishes its keys to anyone')
})
