/**
 * The OIDC provider driven by a real relying-party library (openid-client) over real HTTP:
 * discovery, client credentials, authorization code + PKCE through the HTML login form,
 * refresh rotation, revocation, introspection, and a token from one instance accepted by another.
 */
import * as oidc from 'openid-client'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { setupTestContext, startListeningApp, testConfig } from '../helpers/app.ts'
import { FormSession } from '../helpers/form-session.ts'
import { machineClient, openLoginPage, signIn as signInWith, submitLogin, swaggerUiClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
const { app, url } = await startListeningApp(t, context)
const issuer = new URL(`${url}/oidc`)

const created = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000001' } })
// No assertion at the top level: tap would end the root test (and run teardowns) early.
if (created.statusCode !== 201) throw new Error(`test organisation not created: ${created.body}`)
const org = created.json()
const inhouse = org.clients.find((c: { kind: string }) => c.kind === 'inhouse')
const surveyor = org.clients.find((c: { kind: string }) => c.kind === 'surveyor')

const swaggerUi = await swaggerUiClient(url)
const redirectUri = `${url}/docs/oauth2-redirect.html`
const machineConfig = (client: { clientId: string; clientSecret: string }) => machineClient(url, client)
const signIn = (username: string, password: string) => signInWith(url, swaggerUi, username, password, 'openid profile email offline_access org:read permits:read')

t.test('discovery publishes the grants, PKCE S256 only, and the endpoints', async (t) => {
  const metadata = swaggerUi.serverMetadata()
  t.equal(metadata.issuer, issuer.href)
  t.same(metadata.code_challenge_methods_supported, ['S256'])
  t.match(metadata.grant_types_supported, ['authorization_code', 'refresh_token', 'client_credentials'])
  t.notOk(metadata.grant_types_supported?.includes('implicit'), 'no implicit grant')
  t.same(metadata.response_types_supported, ['code'])
  for (const endpoint of ['introspection_endpoint', 'revocation_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'jwks_uri'] as const) {
    t.match(metadata[endpoint], new RegExp(`^${url}/oidc/`), `${endpoint} is published`)
  }
  const jwks = (await (await fetch(metadata.jwks_uri!)).json()) as { keys: Record<string, unknown>[] }
  t.match(jwks.keys[0], { kty: 'EC', crv: 'P-256', alg: 'ES256' })
  t.notOk(jwks.keys.some((key) => 'd' in key), 'only public key material is published')
})

t.test('client credentials: a machine client gets an RFC 9068 JWT for the API and calls /v1/me', async (t) => {
  const config = await machineConfig(inhouse)
  const tokens = await oidc.clientCredentialsGrant(config, { scope: 'org:read permits:write' })
  t.equal(tokens.token_type, 'bearer')
  t.ok(tokens.expires_in! <= 300, 'short lifetime')
  const [header, payload] = tokens.access_token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()))
  t.match(header, { typ: 'at+jwt', alg: 'ES256' })
  t.match(payload, { sub: inhouse.clientId, client_id: inhouse.clientId, org_id: org.organisation.id, aud: `${url}/v1`, iss: issuer.href, scope: 'org:read permits:write' })
  const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.status, 200)
  t.match(await me.json(), { kind: 'client', client: { kind: 'inhouse' }, organisation: { nib: '8120000000001' } })
})

t.test('client credentials: wrong secret and scopes beyond the client are refused', async (t) => {
  const wrong = await machineConfig({ clientId: inhouse.clientId, clientSecret: `${inhouse.clientSecret}x` })
  await t.rejects(oidc.clientCredentialsGrant(wrong, { scope: 'org:read' }), { code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401 })
  const config = await machineConfig(surveyor)
  await t.rejects(oidc.clientCredentialsGrant(config, { scope: 'permits:write' }), { code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_scope' })
})

t.test('authorization code + PKCE through the HTML login form, then refresh rotation and revocation', async (t) => {
  const { callback, verifier, state } = await signIn(org.superAdmin.username, org.superAdmin.password)
  t.ok(callback.searchParams.get('code'), 'redirected back with a code')
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: verifier, expectedState: state })
  t.match(tokens.claims(), { sub: org.superAdmin.userId, preferred_username: org.superAdmin.username, org_id: org.organisation.id })
  t.ok(tokens.refresh_token, 'a client allowed the refresh grant gets a refresh token')
  const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.match(await me.json(), { kind: 'user', clientId: 'swagger-ui', user: { level: 'super_admin' }, organisation: { id: org.organisation.id } })

  const refreshed = await oidc.refreshTokenGrant(swaggerUi, tokens.refresh_token!)
  t.not(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotates')
  t.ok(refreshed.access_token)
  t.match(await oidc.tokenIntrospection(swaggerUi, refreshed.refresh_token!), {
    active: true,
    client_id: 'swagger-ui',
    sub: org.superAdmin.userId,
  })
  await oidc.tokenRevocation(swaggerUi, refreshed.refresh_token!)
  t.equal((await oidc.tokenIntrospection(swaggerUi, refreshed.refresh_token!)).active, false, 'revoked: inactive at introspection')
  await t.rejects(oidc.refreshTokenGrant(swaggerUi, refreshed.refresh_token!), { code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant' }, 'a revoked refresh token is dead')
})

t.test('replaying a rotated refresh token revokes the whole token family', async (t) => {
  const { callback, verifier, state } = await signIn(org.superAdmin.username, org.superAdmin.password)
  const tokens = await oidc.authorizationCodeGrant(swaggerUi, callback, { pkceCodeVerifier: verifier, expectedState: state })
  const rotated = await oidc.refreshTokenGrant(swaggerUi, tokens.refresh_token!)
  await t.rejects(oidc.refreshTokenGrant(swaggerUi, tokens.refresh_token!), { code: 'OAUTH_RESPONSE_BODY_ERROR', error: 'invalid_grant' }, 'the old refresh token is refused')
  t.equal((await oidc.tokenIntrospection(swaggerUi, rotated.refresh_token!)).active, false, 'and its successor was revoked with it')
})

t.test('PKCE is required', async (t) => {
  const authorizationUrl = oidc.buildAuthorizationUrl(swaggerUi, { redirect_uri: redirectUri, scope: 'openid', state: 'x' })
  const response = await fetch(authorizationUrl, { redirect: 'manual' })
  const location = new URL(response.headers.get('location') ?? `${url}/`)
  t.equal(location.searchParams.get('error'), 'invalid_request')
  t.match(location.searchParams.get('error_description'), /requires PKCE/)
})

t.test('a wrong password shows a clear error on the login page', async (t) => {
  const { response } = await signIn(org.superAdmin.username, 'Wrong-password-1!')
  t.equal(response.status, 401)
  const html = await response.text()
  t.match(html, /The username or password is wrong/)
  t.match(html, new RegExp(`value="${org.superAdmin.username.replaceAll('.', '\\.')}"`), 'the username is kept')
})

t.test('login page is in Indonesian on request and refuses a forged form post', async (t) => {
  const page = await openLoginPage(url, swaggerUi, { uiLocales: 'id', origin: 'https://evil.example' })
  t.match(page.html, /Masuk ke INSW/)
  t.match(page.html, /<html lang="id">/)
  const forged = await submitLogin(url, page, org.superAdmin.username, org.superAdmin.password)
  t.equal(forged.response.status, 403, 'a post from another origin is refused')
  const noCookie = await new FormSession({ origin: url }).post(new URL(`${page.loginUrl.pathname}/login`, url), { username: 'x', password: 'y' })
  t.equal(noCookie.status, 400, 'without the interaction cookie the request is treated as expired')
  const ownOrigin = await openLoginPage(url, swaggerUi)
  const badToken = await ownOrigin.browser.post(new URL(`${ownOrigin.loginUrl.pathname}/login`, url), {
    username: org.superAdmin.username,
    password: org.superAdmin.password,
    csrf: 'forged',
  })
  t.equal(badToken.status, 403, 'a post without the form token is refused')
})

t.test('a token from instance A is accepted by instance B sharing the database', async (t) => {
  const config = await machineConfig(inhouse)
  const tokens = await oidc.clientCredentialsGrant(config, { scope: 'org:read' })
  const instanceB = await buildApp({ config: testConfig({ PUBLIC_URL: url }), database: context.database.handle, upstreams: context.upstreams })
  t.teardown(() => instanceB.close())
  const me = await instanceB.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().clientId, inhouse.clientId)
})
