/**
 * Issue 8, item 9: lockout must not enumerate or be weaponised. Unknown usernames, wrong
 * passwords and locked sources answer alike (status, page, words) and take alike (a locked source
 * and an unknown username still run the slow hash); a lock stops the guessing source, not the
 * owner signing in with the right password from elsewhere, even during a distributed attack.
 */
import t from 'tap'
import { hashPassword, verifyPassword } from '../../src/modules/identity/accounts/password-hash.ts'
import { authenticate, LOCKOUT_THRESHOLD } from '../../src/modules/identity/accounts/service.ts'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { openLoginPage, swaggerUiClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
// Behind a proxy: X-Forwarded-For names the source, so one test can sign in from several places.
const { app, url } = await startListeningApp(t, context, { env: { TRUST_PROXY: 'true' } })
const swaggerUi = await swaggerUiClient(url)
const db = context.database.handle.db

async function newOrganisation(nib: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib } })
  if (response.statusCode !== 201) throw new Error(`test organisation not created: ${response.body}`)
  return response.json().superAdmin as { userId: string; username: string; password: string }
}

/** Signs in through the HTML form from a given client address; returns the status, the error words and whether a code came back. */
async function signInFrom(ip: string, username: string, password: string) {
  const page = await openLoginPage(url, swaggerUi)
  const headers = { 'x-forwarded-for': ip }
  const submitted = await page.browser.post(new URL(`${page.loginUrl.pathname}/login`, url), { username, password, csrf: page.csrf }, headers)
  const { response, url: landed } = await page.browser.follow(submitted, url, (next) => next.href.startsWith(`${url}/docs/oauth2-redirect.html`))
  const html = response.status === 200 || response.status >= 400 ? await response.text() : ''
  return {
    status: response.status,
    words: /<p class="error"[^>]*>([^<]*)</.exec(html)?.[1],
    signedIn: Boolean(landed.searchParams.get('code')),
  }
}

t.test('unknown username, wrong password and locked source answer alike; the owner elsewhere signs in', async (t) => {
  const owner = await newOrganisation('8120000000010')
  const attacker = '203.0.113.7'
  const answers = []
  for (let attempt = 0; attempt < LOCKOUT_THRESHOLD + 2; attempt++) answers.push(await signInFrom(attacker, owner.username, 'Wrong-password-1!'))
  const lockedRightPassword = await signInFrom(attacker, owner.username, owner.password)
  const unknown = await signInFrom('203.0.113.8', 'USER.19990101.01.00042', 'Wrong-password-1!')
  const wrongOnce = answers[0]!
  t.equal(wrongOnce.status, 401)
  t.ok(wrongOnce.words, 'the page says why')
  for (const [index, answer] of answers.entries()) {
    t.same({ status: answer.status, words: answer.words }, { status: wrongOnce.status, words: wrongOnce.words }, `attempt ${index + 1} reads like a wrong password`)
  }
  t.same({ status: lockedRightPassword.status, words: lockedRightPassword.words, signedIn: false }, { status: 401, words: wrongOnce.words, signedIn: lockedRightPassword.signedIn }, 'the locked source, even with the right password, reads like a wrong password')
  t.notOk(lockedRightPassword.signedIn, 'and is not signed in')
  t.same({ status: unknown.status, words: unknown.words }, { status: 401, words: wrongOnce.words }, 'an unknown username reads like a wrong password')

  const home = await signInFrom('198.51.100.20', owner.username, owner.password)
  t.ok(home.signedIn, 'the owner, from another address, signs in with the right password')
  const still = await signInFrom(attacker, owner.username, owner.password)
  t.notOk(still.signedIn, "the owner's success does not unlock the attacker's source")
})

t.test('a locked source and an unknown username take as long as a wrong password (the slow hash runs)', async (t) => {
  const owner = await newOrganisation('8120000000011')
  const lockedIp = '203.0.113.50'
  for (let attempt = 0; attempt < LOCKOUT_THRESHOLD; attempt++) await authenticate(db, owner.username, 'Wrong-password-1!', { ip: lockedIp })
  const time = async (run: () => Promise<unknown>) => {
    const started = process.hrtime.bigint()
    await run()
    return Number(process.hrtime.bigint() - started) / 1e6
  }
  const stored = await hashPassword('Baseline#2026')
  const samples = { hash: [] as number[], wrong: [] as number[], locked: [] as number[], unknown: [] as number[] }
  // Interleaved, so a busy machine slows every kind alike; fresh sources so the wrong ones never lock.
  for (let round = 0; round < 6; round++) {
    samples.hash.push(await time(() => verifyPassword('Baseline#2026', stored)))
    samples.wrong.push(await time(() => authenticate(db, owner.username, 'Wrong-password-1!', { ip: `198.51.100.${100 + round}` })))
    samples.locked.push(await time(() => authenticate(db, owner.username, owner.password, { ip: lockedIp })))
    samples.unknown.push(await time(() => authenticate(db, `nobody.${round}`, 'Wrong-password-1!', { ip: `198.51.100.${110 + round}` })))
  }
  // The fastest of each kind: a busy machine (CI runs test files in parallel) only ever adds time,
  // so the minimum is the closest to what the work itself costs.
  const fastest = (values: number[]) => Math.min(...values)
  const hash = fastest(samples.hash)
  t.match(await authenticate(db, owner.username, owner.password, { ip: lockedIp }), { ok: false, reason: 'locked' }, 'the source is locked')
  for (const kind of ['wrong', 'locked', 'unknown'] as const) {
    const took = fastest(samples[kind])
    t.ok(took > hash * 0.6, `${kind}: ${took.toFixed(1)} ms, at least the cost of one password hash (${hash.toFixed(1)} ms)`)
  }
})

t.test('a distributed attack: one failure locks a source, a clean source still signs in', async (t) => {
  const owner = await newOrganisation('8120000000013')
  for (let source = 1; source <= 12; source++) {
    t.match(await authenticate(db, owner.username, 'Wrong-password-1!', { ip: `192.0.2.${source}` }), { ok: false })
  }
  t.match(await authenticate(db, owner.username, 'Wrong-password-1!', { ip: '192.0.2.200' }), { ok: false, reason: 'invalid_credentials' }, 'a new guesser gets one guess')
  t.match(await authenticate(db, owner.username, owner.password, { ip: '192.0.2.200' }), { ok: false, reason: 'locked' }, 'and then is locked out of this username')
  t.match(await authenticate(db, owner.username, owner.password, { ip: '198.51.100.77' }), { ok: true }, 'the owner from a clean source signs in')
})

t.test('the addresses of one IPv6 /64 are one source', async (t) => {
  const owner = await newOrganisation('8120000000014')
  for (let attempt = 0; attempt < LOCKOUT_THRESHOLD; attempt++) {
    await authenticate(db, owner.username, 'Wrong-password-1!', { ip: `2001:db8:1:2::${attempt + 1}` })
  }
  t.match(await authenticate(db, owner.username, owner.password, { ip: '2001:db8:1:2:ffff::9' }), { ok: false, reason: 'locked' }, 'another address in the /64 is locked too')
  t.match(await authenticate(db, owner.username, owner.password, { ip: '2001:db8:1:3::1' }), { ok: true }, 'the next /64 is not')
})
