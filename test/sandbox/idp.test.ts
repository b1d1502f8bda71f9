import { readFile } from 'node:fs/promises'
import path from 'node:path'
import * as client from 'openid-client'
import t from 'tap'
import { loadFixtures } from '../../src/sandbox/fixtures.ts'
import { DEFAULT_SSO_ACCOUNTS_PATH, loadSsoAccounts, parseSsoAccounts } from '../../src/sandbox/idp-accounts.ts'
import { isAllowedRedirectUri, KEMENDAG_IDP, OSS_IDP, SandboxIdp } from '../../src/sandbox/idp-provider.ts'
import { buildOssStub } from '../../src/sandbox/oss-stub.ts'
import {
  KEMENDAG_SSO_CALLBACK_PATH, KEMENDAG_SSO_CLIENT_SECRET, OSS_SSO_CALLBACK_PATH, OSS_SSO_CLIENT_SECRET, SANDBOX_SSO_CLIENT_ID,
  startSandbox,
} from '../../src/sandbox/start-sandbox.ts'
import { fixtureStore } from './helpers.ts'

const PASSWORD = 'Sandbox#2026'
/** Nothing listens there: the tests only read the Location the IdP sends the browser to. */
const OSS_REDIRECT = `http://127.0.0.1:9${OSS_SSO_CALLBACK_PATH}`
const KEMENDAG_REDIRECT = `http://127.0.0.1:9${KEMENDAG_SSO_CALLBACK_PATH}`

const sandbox = await startSandbox({ timeScale: 0.01 })
t.teardown(() => sandbox.close())

/**
 * Just enough of a browser: keeps cookies (by name and path; both IdPs share the host, so this
 * also shows their cookie names do not collide), follows redirects by hand and posts forms.
 */
class Browser {
  readonly cookies = new Map<string, { name: string; value: string; path: string }>()

  async fetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const cookie = [...this.cookies.values()]
      .filter((c) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
    const headers = new Headers(init.headers)
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(target, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const pathAttribute = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
      const expires = attributes.find((a) => a.toLowerCase().startsWith('expires='))?.slice(8)
      const key = `${name}|${pathAttribute}`
      if (value === '' || (expires !== undefined && Date.parse(expires) <= Date.now())) this.cookies.delete(key)
      else this.cookies.set(key, { name, value, path: pathAttribute })
    }
    return response
  }

  /**
   * GETs `url` and follows redirects while they stay on `origin` (the IdP). Ends on a page (the
   * response) or on a redirect elsewhere (`leftTo`, the URL the browser would go to next).
   */
  async follow(url: URL | string, origin: string, first?: Response): Promise<{ response: Response; url: URL; leftTo?: URL }> {
    let current = new URL(url)
    let response = first ?? await this.fetch(current)
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current }
      await response.body?.cancel()
      const next = new URL(location, current)
      if (next.origin !== origin) return { response, url: current, leftTo: next }
      current = next
      response = await this.fetch(current)
    }
    throw new Error('too many redirects')
  }

  async submit(action: URL, fields: Record<string, string>): Promise<Response> {
    return this.fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  }
}

/** The login form's action, resolved against the page's URL. */
function formAction(html: string, pageUrl: URL): URL {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]
  if (!action) throw new Error(`no login form in:\n${html}`)
  return new URL(action.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))), pageUrl)
}

interface Idp {
  name: string
  issuer: string
  secret: string
  redirectUri: string
}

const OSS: Idp = { name: 'OSS', issuer: sandbox.ossIssuer, secret: OSS_SSO_CLIENT_SECRET, redirectUri: OSS_REDIRECT }
const KEMENDAG: Idp = { name: 'SSO Kemendag', issuer: sandbox.kemendagIssuer, secret: KEMENDAG_SSO_CLIENT_SECRET, redirectUri: KEMENDAG_REDIRECT }

function discover(idp: Idp, secret = idp.secret): Promise<client.Configuration> {
  return client.discovery(new URL(idp.issuer), SANDBOX_SSO_CLIENT_ID, undefined, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  })
}

interface Authorization {
  url: URL
  verifier: string
  state: string
  nonce: string
}

async function authorization(config: client.Configuration, redirectUri: string, extra: Record<string, string> = {}): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  })
  return { url, verifier, state, nonce }
}

/** Opens the authorization URL and logs in on the form; returns where the IdP sends the browser. */
async function logIn(browser: Browser, idp: Idp, auth: Authorization, username: string, password = PASSWORD): Promise<URL> {
  const origin = new URL(idp.issuer).origin
  const page = await browser.follow(auth.url, origin)
  if (page.leftTo) return page.leftTo
  const html = await page.response.text()
  const posted = await browser.submit(formAction(html, page.url), { username, password, action: 'login' })
  const done = await browser.follow(page.url, origin, posted)
  if (!done.leftTo) throw new Error(`login did not redirect (${done.response.status}):\n${await done.response.text()}`)
  return done.leftTo
}

function jwtHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

t.test('both issuers serve OpenID Connect discovery', async (t) => {
  t.equal(sandbox.ossIssuer, `${sandbox.ossUrl}/sso`)
  t.equal(sandbox.kemendagIssuer, `${sandbox.inatradeUrl}/sso`)
  for (const idp of [OSS, KEMENDAG]) {
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    t.equal(response.status, 200, idp.name)
    const metadata = await response.json() as Record<string, unknown>
    t.equal(metadata.issuer, idp.issuer)
    t.equal(metadata.authorization_endpoint, `${idp.issuer}/auth`)
    t.equal(metadata.token_endpoint, `${idp.issuer}/token`)
    t.same(metadata.code_challenge_methods_supported, ['S256'])
    t.same(metadata.response_types_supported, ['code'])
    t.same(metadata.id_token_signing_alg_values_supported, ['RS256'])
    t.same(metadata.token_endpoint_auth_methods_supported, ['client_secret_basic'])
    t.same(metadata.scopes_supported, ['openid', 'profile', 'email'])
    t.ok((metadata.claims_supported as string[]).includes('nib'))
    const jwks = await (await fetch(metadata.jwks_uri as string)).json() as { keys: Array<Record<string, unknown>> }
    t.equal(jwks.keys.length, 1)
    t.match(jwks.keys[0], { kty: 'RSA', alg: 'RS256', use: 'sig' })
    t.notOk('d' in jwks.keys[0]!, 'only the public key is published')
  }
})

t.test('OSS: authorization code with PKCE, claims in the id_token and at userinfo', async (t) => {
  const config = await discover(OSS)
  const auth = await authorization(config, OSS.redirectUri)
  const browser = new Browser()
  // The username is matched case-insensitively, as people type it.
  const callback = await logIn(browser, OSS, auth, 'Budi.Santoso')
  t.equal(`${callback.origin}${callback.pathname}`, OSS_REDIRECT)
  t.equal(callback.searchParams.get('state'), auth.state)
  t.equal(callback.searchParams.get('iss'), OSS.issuer)
  t.ok(callback.searchParams.get('code'))

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce, idTokenExpected: true,
  })
  t.equal(jwtHeader(tokens.id_token!).alg, 'RS256')
  const claims = tokens.claims()!
  t.match(claims, {
    iss: OSS.issuer,
    aud: SANDBOX_SSO_CLIENT_ID,
    sub: 'oss-budi.santoso',
    preferred_username: 'budi.santoso',
    name: 'Budi Santoso',
    email: 'budi.santoso@imporsejahtera.sandbox.test',
    email_verified: true,
    nib: '8120000000001',
  })
  t.notOk('nik' in claims, 'the NIK is not released')

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  t.same(userinfo, {
    sub: 'oss-budi.santoso',
    preferred_username: 'budi.santoso',
    name: 'Budi Santoso',
    email: 'budi.santoso@imporsejahtera.sandbox.test',
    email_verified: true,
    nib: '8120000000001',
  })

  // The journal shows the IdP traffic too, but never a password (form bodies are not read into it).
  const journal = await (await fetch(`${sandbox.ossUrl}/__sandbox/requests`)).json() as Array<{ method: string; url: string; statusCode: number | null; body: unknown }>
  t.match(journal.find((entry) => entry.method === 'POST' && entry.url === '/sso/token'), { statusCode: 200, body: null })
  t.notMatch(JSON.stringify(journal), PASSWORD)
})

t.test('SSO Kemendag: the same flow, with its own claims', async (t) => {
  const config = await discover(KEMENDAG)
  const auth = await authorization(config, KEMENDAG.redirectUri)
  const callback = await logIn(new Browser(), KEMENDAG, auth, 'siti.rahmawati')
  t.equal(`${callback.origin}${callback.pathname}`, KEMENDAG_REDIRECT)
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce, idTokenExpected: true,
  })
  const claims = tokens.claims()!
  t.match(claims, {
    iss: KEMENDAG.issuer,
    sub: 'kemendag-siti.rahmawati',
    preferred_username: 'siti.rahmawati',
    name: 'Siti Rahmawati',
    email: 'siti.rahmawati@imporsejahtera.sandbox.test',
    nib: '8120000000001',
  })
  t.notOk('email_verified' in claims)
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  t.equal(userinfo.nib, '8120000000001')
  t.equal(userinfo.preferred_username, 'siti.rahmawati')
})

t.test('a wrong password shows the login page again with an error, and no redirect', async (t) => {
  for (const [idp, username, title] of [[OSS, 'ahmad.fauzi', 'OSS — Login'], [KEMENDAG, 'hendra.wijaya', 'SSO Kemendag — Login']] as const) {
    const config = await discover(idp)
    const auth = await authorization(config, idp.redirectUri)
    const browser = new Browser()
    const page = await browser.follow(auth.url, new URL(idp.issuer).origin)
    t.equal(page.response.status, 200)
    t.match(page.url.pathname, /^\/sso\/interaction\/[\w-]+$/)
    const html = await page.response.text()
    t.match(html, `<title>${title}</title>`)
    t.match(html, 'name="username"')
    t.match(html, 'type="password"')

    const wrong = await browser.submit(formAction(html, page.url), { username, password: 'not-the-password', action: 'login' })
    t.equal(wrong.status, 401, idp.name)
    t.equal(wrong.headers.get('location'), null)
    const errorHtml = await wrong.text()
    t.match(errorHtml, 'Nama pengguna atau kata sandi salah.')
    t.match(errorHtml, `value="${username}"`, 'the username is kept')
    t.notMatch(errorHtml, 'not-the-password')

    const unknown = await browser.submit(formAction(html, page.url), { username: 'nobody', password: PASSWORD, action: 'login' })
    t.equal(unknown.status, 401, 'an unknown user gets the same answer')
    t.match(await unknown.text(), 'Nama pengguna atau kata sandi salah.')

    // The same interaction still works with the right password.
    const right = await browser.submit(formAction(html, page.url), { username, password: PASSWORD, action: 'login' })
    const done = await browser.follow(page.url, new URL(idp.issuer).origin, right)
    t.equal(done.leftTo?.pathname, new URL(idp.redirectUri).pathname)
    t.ok(done.leftTo?.searchParams.get('code'))
  }
})

t.test('cancelling the login returns access_denied to the gateway', async (t) => {
  const config = await discover(OSS)
  const auth = await authorization(config, OSS.redirectUri)
  const browser = new Browser()
  const page = await browser.follow(auth.url, new URL(OSS.issuer).origin)
  const cancelled = await browser.submit(formAction(await page.response.text(), page.url), { action: 'cancel' })
  const done = await browser.follow(page.url, new URL(OSS.issuer).origin, cancelled)
  t.equal(done.leftTo?.searchParams.get('error'), 'access_denied')
  t.equal(done.leftTo?.searchParams.get('state'), auth.state)
})

t.test('a redirect_uri on a foreign origin or path is refused without redirecting', async (t) => {
  for (const idp of [OSS, KEMENDAG]) {
    const config = await discover(idp)
    const path = new URL(idp.redirectUri).pathname
    const other = idp === OSS ? KEMENDAG_SSO_CALLBACK_PATH : OSS_SSO_CALLBACK_PATH
    for (const redirectUri of [`https://evil.example${path}`, `http://10.0.0.1${path}`, `http://127.0.0.1:9${other}`, 'http://127.0.0.1:9/callback']) {
      const auth = await authorization(config, redirectUri)
      const response = await fetch(auth.url, { redirect: 'manual' })
      t.equal(response.status, 400, `${idp.name} refuses ${redirectUri}`)
      t.equal(response.headers.get('location'), null)
      const html = await response.text()
      t.match(html, 'redirect_uri')
      t.match(html, `${idp.name} — Terjadi kesalahan`)
    }
    // Any loopback origin and port is fine, as is a longer path ending in the callback path.
    for (const redirectUri of [`http://localhost:3000/api${path}`, `http://[::1]:8443${path}`]) {
      const response = await fetch((await authorization(config, redirectUri)).url, { redirect: 'manual' })
      t.equal(response.status, 303, `${idp.name} accepts ${redirectUri}`)
      t.match(response.headers.get('location'), /\/sso\/interaction\//)
      await response.body?.cancel()
    }
  }
})

t.test('PKCE is required', async (t) => {
  const config = await discover(OSS)
  const url = client.buildAuthorizationUrl(config, { redirect_uri: OSS.redirectUri, scope: 'openid', state: 'xyz' })
  const response = await fetch(url, { redirect: 'manual' })
  t.equal(response.status, 303)
  const location = new URL(response.headers.get('location')!)
  t.equal(`${location.origin}${location.pathname}`, OSS.redirectUri)
  t.equal(location.searchParams.get('error'), 'invalid_request')
  t.match(location.searchParams.get('error_description'), /PKCE/)
})

t.test('the token endpoint wants the client secret', async (t) => {
  const good = await discover(OSS)
  const auth = await authorization(good, OSS.redirectUri)
  const callback = await logIn(new Browser(), OSS, auth, 'bambang.prasetyo')
  const refused = { status: 401, cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }] }
  const bad = await discover(OSS, 'not-the-secret')
  await t.rejects(client.authorizationCodeGrant(bad, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }), refused)
  // The Kemendag secret is not the OSS one either.
  const crossed = await discover(OSS, KEMENDAG_SSO_CLIENT_SECRET)
  await t.rejects(client.authorizationCodeGrant(crossed, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }), refused)
  // A failed authentication does not burn the code: the right secret still redeems it.
  const tokens = await client.authorizationCodeGrant(good, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce })
  t.equal(tokens.claims()?.nib, '8120000000011')
})

t.test('the IdP session: single sign-on, prompt=login, logout and reset', async (t) => {
  const config = await discover(KEMENDAG)
  const origin = new URL(KEMENDAG.issuer).origin
  const browser = new Browser()
  await logIn(browser, KEMENDAG, await authorization(config, KEMENDAG.redirectUri), 'hendra.wijaya')
  t.ok([...browser.cookies.values()].every((cookie) => cookie.name.startsWith('kemendag_sso_') && cookie.path.startsWith('/sso')))

  // Logged in at the IdP: the next authorization goes straight back with a code.
  const again = await browser.follow((await authorization(config, KEMENDAG.redirectUri)).url, origin)
  t.ok(again.leftTo?.searchParams.get('code'), 'no login form the second time')

  const forced = await browser.follow((await authorization(config, KEMENDAG.redirectUri, { prompt: 'login' })).url, origin)
  t.equal(forced.response.status, 200, 'prompt=login shows the form')
  t.match(await forced.response.text(), 'SSO Kemendag — Login')

  // RP-initiated logout, back to the gateway.
  const endSession = client.buildEndSessionUrl(config, { post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' })
  const confirm = await browser.follow(endSession, origin)
  const confirmHtml = await confirm.response.text()
  t.match(confirmHtml, 'SSO Kemendag — Logout')
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmHtml)?.[1]
  const formUrl = /<form [^>]*action="([^"]+)"/.exec(confirmHtml)?.[1]
  t.ok(xsrf && formUrl)
  const loggedOut = await browser.follow(confirm.url, origin, await browser.submit(new URL(formUrl!, confirm.url), { xsrf: xsrf!, logout: 'yes' }))
  t.equal(loggedOut.leftTo?.href, 'http://127.0.0.1:9/logged-out')
  const afterLogout = await browser.follow((await authorization(config, KEMENDAG.redirectUri)).url, origin)
  t.equal(afterLogout.response.status, 200, 'logged out: the form again')
  await afterLogout.response.body?.cancel()

  // POST /__sandbox/reset forgets IdP sessions too.
  await logIn(browser, KEMENDAG, await authorization(config, KEMENDAG.redirectUri), 'hendra.wijaya')
  const reset = await fetch(`${sandbox.inatradeUrl}/__sandbox/reset`, { method: 'POST' })
  t.equal(reset.status, 204)
  const afterReset = await browser.follow((await authorization(config, KEMENDAG.redirectUri)).url, origin)
  t.equal(afterReset.response.status, 200, 'reset: the form again')
  await afterReset.response.body?.cancel()
})

t.test('an interaction page without its cookie is an error page', async (t) => {
  const response = await fetch(`${sandbox.ossIssuer}/interaction/abc123`)
  t.equal(response.status, 400)
  t.match(await response.text(), 'Sesi login sudah berakhir')
})

t.test('gatewayOrigins admits a gateway reached by name', async (t) => {
  const named = await startSandbox({ gatewayOrigins: ['https://gateway.example'] })
  t.teardown(() => named.close())
  const config = await discover({ ...OSS, issuer: named.ossIssuer })
  for (const [redirectUri, status] of [[`https://gateway.example${OSS_SSO_CALLBACK_PATH}`, 303], [`https://other.example${OSS_SSO_CALLBACK_PATH}`, 400]] as const) {
    const response = await fetch((await authorization(config, redirectUri)).url, { redirect: 'manual' })
    t.equal(response.status, status, redirectUri)
    await response.body?.cancel()
  }
  await t.rejects(startSandbox({ gatewayOrigins: ['gateway.example'] }), { message: /gatewayOrigins: "gateway.example" is not an http\(s\) origin/ })
})

t.test('the redirect rule', async (t) => {
  const origins = new Set(['https://gateway.example'])
  const cases: Array<[string, boolean]> = [
    ['http://127.0.0.1:3000/federated/oss/callback', true],
    ['https://localhost/api/v1/auth/federated/oss/callback', true],
    ['http://[::1]:1/federated/oss/callback?x=1', true],
    ['https://gateway.example/federated/oss/callback', true],
    ['https://gateway.example:8443/federated/oss/callback', false],
    ['http://gateway.example/federated/oss/callback', false],
    ['https://evil.example/federated/oss/callback', false],
    ['http://127.0.0.2/federated/oss/callback', false],
    ['http://127.0.0.1/federated/oss/callback/', false],
    ['http://127.0.0.1/federated/oss/callback#frag', false],
    ['http://user:pw@127.0.0.1/federated/oss/callback', false],
    ['javascript://127.0.0.1/federated/oss/callback', false],
    ['not a url', false],
  ]
  for (const [uri, allowed] of cases) t.equal(isAllowedRedirectUri(uri, OSS_SSO_CALLBACK_PATH, origins), allowed, uri)
})

t.test('/sso is 503 until the IdP is attached, 404 on a stub without one', async (t) => {
  const idp = await SandboxIdp.create(OSS_IDP, { accounts: [] })
  const withIdp = await buildOssStub({ identities: await fixtureStore(), sso: idp })
  t.teardown(() => withIdp.close())
  const early = await withIdp.inject({ url: '/sso/.well-known/openid-configuration' })
  t.equal(early.statusCode, 503)
  t.equal(early.json().error, 'SSO_NOT_READY')
  const without = await buildOssStub({ identities: await fixtureStore() })
  t.teardown(() => without.close())
  t.equal((await without.inject({ url: '/sso/.well-known/openid-configuration' })).statusCode, 404)
  t.throws(() => {
    idp.attach('http://127.0.0.1:1/sso')
    idp.attach('http://127.0.0.1:2/sso')
  }, /already attached/)
})

t.test('the shipped SSO accounts are valid and belong to sandbox identities', async (t) => {
  const accounts = await loadSsoAccounts()
  const identities = await loadFixtures()
  const byNib = (nib: string) => identities.find((identity) => identity.nib === nib)
  const ossNibs = accounts.oss.map((account) => account.nib)
  for (const nib of ['8120000000001', '8120000000010', '8120000000011']) t.ok(ossNibs.includes(nib), `an OSS account for ${nib}`)
  const kemendagNibs = accounts.kemendag.map((account) => account.nib)
  for (const nib of ['8120000000001', '8120000000002']) t.ok(kemendagNibs.includes(nib), `a Kemendag account for ${nib}`)
  for (const account of accounts.oss) {
    // An OSS account is a person in charge of the business: same NIK and name as the identity says.
    const person = byNib(account.nib)?.oss?.personsInCharge?.find((p) => p.nik === account.nik)
    t.equal(person?.name, account.name, `${account.username} is a person in charge of ${account.nib}`)
  }
  for (const account of accounts.kemendag) {
    const names = byNib(account.nib)?.oss?.personsInCharge?.map((p) => p.name) ?? []
    t.ok(names.includes(account.name), `${account.username} is a person in charge of ${account.nib}`)
  }
  const readme = await readFile(path.join(path.dirname(DEFAULT_SSO_ACCOUNTS_PATH), 'README.md'), 'utf8')
  t.match(readme, '## Sandbox SSO accounts')
  for (const account of [...accounts.oss, ...accounts.kemendag]) {
    t.match(readme, `| ${account.username} |`, `README lists ${account.username}`)
    t.match(readme, account.password, 'README gives the password')
  }
})

t.test('an invalid accounts file is refused with the problems named', async (t) => {
  const account = { username: 'budi', password: PASSWORD, name: 'Budi', email: 'budi@x.test', nib: '8120000000001', nik: '3171000101800001' }
  t.throws(() => parseSsoAccounts({ oss: [{ ...account, role: 'admin' }], kemendag: [] }, 'a.json'), {
    name: 'SandboxFixtureError', message: /^a\.json: invalid sandbox SSO accounts[\s\S]*\/oss\/0 has unknown field\(s\) role/,
  })
  t.throws(() => parseSsoAccounts({ oss: [account, { ...account, name: 'Twin' }], kemendag: [] }), { message: /\/oss\/1 duplicates the username "budi" of \/oss\/0/ })
  t.throws(() => parseSsoAccounts({ oss: [{ ...account, username: 'Budi' }], kemendag: [] }), { message: /\/oss\/0\/username must match pattern/ })
  t.throws(() => parseSsoAccounts({ oss: [], kemendag: [{ ...account }] }), { message: /\/kemendag\/0 has unknown field\(s\) nik/ })
  t.throws(() => parseSsoAccounts([]), { message: /accounts must be object/ })
  const dir = t.testdir({ 'bad.json': '{' })
  await t.rejects(startSandbox({ ssoAccountsPath: `${dir}/bad.json` }), { name: 'SandboxFixtureError', message: /bad\.json: not valid JSON/ })
  t.same(KEMENDAG_IDP.claims({ username: 'a.b', password: 'x', name: 'A', email: 'a@b.test', nib: '8120000000002' }), {
    sub: 'kemendag-a.b', preferred_username: 'a.b', name: 'A', email: 'a@b.test', nib: '8120000000002',
  })
})
