/**
 * The operator console (/console) without a browser: an operator signs in through the gateway's
 * own SSO, sees the overview, approves a registration (its power of attorney shown inline),
 * retries a dead letter, lifts a sanction; a form without the session's token or from another
 * origin is refused; a person who is not an operator is turned away; Indonesian on request; signing
 * out ends the session. test/browser/console.test.ts does the same in Chromium.
 */
import t from 'tap'
import { startConsoleGateway } from '../helpers/console.ts'
import { FormSession, hiddenField } from '../helpers/form-session.ts'
import { createOrg } from '../helpers/orgs.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { formFor, IDENTITIES, minimalPdf, submit } from '../registration/helpers.ts'

const { app, url, db, minter, operator } = await startConsoleGateway(t)

/** Signs in at /console through the SSO login form; returns the browser and the page it lands on. */
async function signIn(username: string, password: string, start = '/console') {
  const browser = new FormSession({ origin: url })
  const { response, url: loginUrl } = await browser.follow(await browser.get(`${url}${start}`), `${url}${start}`)
  if (response.status !== 200) throw new Error(`no SSO login page: ${response.status}`)
  const csrf = hiddenField(await response.text(), 'csrf') ?? ''
  const submitted = await browser.post(new URL(`${loginUrl.pathname}/login`, url), { username, password, csrf })
  const landing = await browser.follow(submitted, url)
  return { browser, response: landing.response, at: landing.url, html: await landing.response.text() }
}

const session = await signIn(operator.username, operator.password)

t.test('an operator signs in through the gateway\'s SSO and sees the overview', async (t) => {
  t.equal(session.response.status, 200)
  t.equal(session.at.pathname, '/console')
  t.match(session.html, /<h1>Overview<\/h1>/)
  t.match(session.html, /Signed in as Siti Operator/)
  t.match(session.html, /INATRADE<\/dt><dd><span class="badge good">working/, 'the upstreams\' circuits')
  t.match(session.response.headers.get('content-security-policy'), /frame-src 'self'/)
  t.equal(session.response.headers.get('cache-control'), 'no-store')
  t.ok(session.browser.cookies.get('insw_console'), 'a sealed session cookie')
  t.notMatch(Buffer.from(session.browser.cookies.get('insw_console')!, 'base64url').toString('latin1'), /accessToken|refreshToken/, 'sealed: the tokens inside are not readable')
})

t.test('approve a registration: the queue, its power of attorney inline, the decision', async (t) => {
  const registered = await submit(app, { form: formFor(IDENTITIES.approved), file: { content: minimalPdf() } })
  t.equal(registered.statusCode, 202, registered.body)
  const tracking = registered.json().trackingNumber as string
  const queue = await (await session.browser.get(`${url}/console/registrations`)).text()
  t.match(queue, tracking, 'in the queue')
  const detail = await (await session.browser.get(`${url}/console/registrations/${tracking}`)).text()
  t.match(detail, /<iframe title="Power of attorney \(surat kuasa\)" src="\/console\/registrations\/REG-[^"]+\/power-of-attorney"/)
  const document = await session.browser.get(`${url}/console/registrations/${tracking}/power-of-attorney`)
  t.equal(document.status, 200)
  t.equal(document.headers.get('content-type'), 'application/pdf')
  t.equal(document.headers.get('x-frame-options'), 'SAMEORIGIN', 'framed by the console only')
  t.equal(Buffer.from(await document.arrayBuffer()).subarray(0, 5).toString(), '%PDF-')

  const csrf = hiddenField(detail, 'csrf')!
  const forged = await session.browser.post(`${url}/console/registrations/${tracking}/approve`, { csrf: 'forged' })
  t.equal(forged.status, 403, 'a form without the session\'s token is refused')
  const foreign = await session.browser.post(`${url}/console/registrations/${tracking}/approve`, { csrf }, { origin: 'https://evil.example' })
  t.equal(foreign.status, 403, 'and one from another origin')

  const approved = await session.browser.post(`${url}/console/registrations/${tracking}/approve`, { csrf })
  t.equal(approved.status, 303)
  const after = await (await session.browser.follow(approved, url)).response.text()
  t.match(after, /Approved: the applicant is emailed an activation link\./)
  t.match(after, /<span class="badge">approved<\/span>/)
  t.equal((await db.selectFrom('registrations').select('status').where('tracking_number', '=', tracking).executeTakeFirstOrThrow()).status, 'approved')
})

t.test('retry a dead letter: the activation mail that failed goes back to its queue', async (t) => {
  let jobs = ''
  for (let i = 0; i < 100 && !/mail\.deliver\.dead/.test(jobs); i++) {
    jobs = await (await session.browser.get(`${url}/console/jobs`)).text()
    if (!/mail\.deliver\.dead/.test(jobs)) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.match(jobs, /<code>mail\.deliver\.dead<\/code>/, 'the failed mail is listed')
  t.match(jobs, /550 mailbox unavailable/, 'with why')
  const action = /action="(\/console\/jobs\/[^"]+\/retry)"/.exec(jobs)![1]!
  const retried = await session.browser.post(`${url}${action}`, { csrf: hiddenField(jobs, 'csrf')! })
  t.equal(retried.status, 303)
  t.match(await (await session.browser.follow(retried, url)).response.text(), /Sent back to its queue\./)
})

t.test('lift a sanction from the organisation\'s standing', async (t) => {
  const org = await createOrg(app, '8120000000010')
  const operatorId = (await db.selectFrom('users').select('id').where('username', '=', operator.username).executeTakeFirstOrThrow()).id
  const token = minter.forUser(operatorId, { scope: 'openid registrations:read registrations:write' })
  const applied = await app.inject({
    method: 'POST',
    url: `/v1/operator/compliance/${org.orgId}/sanctions`,
    headers: { authorization: `Bearer ${token}` },
    payload: { kind: 'profile_change', step: 1, reason: 'Change of directors not reported' },
  })
  t.equal(applied.statusCode, 201, applied.body)
  const list = await (await session.browser.get(`${url}/console/compliance`)).text()
  t.match(list, `/console/compliance/${org.orgId}`)
  const standing = await (await session.browser.get(`${url}/console/compliance/${org.orgId}`)).text()
  t.match(standing, /Change of directors not reported/)
  const action = /action="(\/console\/compliance\/[^"]+\/lift)"/.exec(standing)![1]!
  const lifted = await session.browser.post(`${url}${action}`, { csrf: hiddenField(standing, 'csrf')!, reason: 'Reported on 2026-12-03' })
  t.equal(lifted.status, 303)
  const after = await (await session.browser.follow(lifted, url)).response.text()
  t.match(after, /Sanction lifted\./)
  t.match(after, /<h2>Active sanctions<\/h2><p>Nothing here\.<\/p>/)
})

t.test('a refusal of the API is shown, not swallowed: a reason too short to reject with', async (t) => {
  const registered = await submit(app, { form: formFor(IDENTITIES.bumn), file: { content: minimalPdf() } })
  t.equal(registered.statusCode, 202, registered.body)
  const tracking = registered.json().trackingNumber as string
  const detail = await (await session.browser.get(`${url}/console/registrations/${tracking}`)).text()
  const refused = await session.browser.post(`${url}/console/registrations/${tracking}/reject`, { csrf: hiddenField(detail, 'csrf')!, reason: 'no' })
  const page = await (await session.browser.follow(refused, url)).response.text()
  t.match(page, /role="alert">The gateway refused this:/)
  t.match(page, /<span class="badge">pending_review<\/span>/, 'nothing decided')
})

t.test('a permit\'s journey as a timeline, found by its reference number', async (t) => {
  const created = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })).json()
  const inhouse = created.clients.find((client: { kind: string }) => client.kind === 'inhouse')
  const token = minter.forClient(inhouse.clientId, { scope: 'permits:read permits:write' })
  const submitted = await app.inject({ method: 'POST', url: '/v1/permits', headers: { authorization: `Bearer ${token}` }, payload: sampleSubmission('console-journey-1') })
  t.equal(submitted.statusCode, 202, submitted.body)
  const reference = submitted.json().permit.referenceNumber as string
  const lookup = await (await session.browser.get(`${url}/console/permits`)).text()
  t.match(lookup, /<input type="text" id="reference" name="reference"/)
  const journey = await (await session.browser.get(`${url}/console/permits?reference=${reference}`)).text()
  t.match(journey, `<h1>A permit&#39;s journey: ${reference}</h1>`)
  t.match(journey, /<code>permit\.oss_checked<\/code>[\s\S]*<code>permit\.submitted<\/code> · <strong>– → submitted<\/strong>/, 'the steps in order')
  const missing = await session.browser.get(`${url}/console/permits?reference=PRM-2026-ZZZZZZZZZZ`)
  t.equal(missing.status, 404)
  t.match(await missing.text(), /No permit has this reference number or id\./)
})

t.test('Indonesian on request, remembered', async (t) => {
  const indonesian = await (await session.browser.get(`${url}/console?lang=id`)).text()
  t.match(indonesian, /<html lang="id">/)
  t.match(indonesian, /<h1>Ringkasan<\/h1>/)
  t.match(await (await session.browser.get(`${url}/console/jobs`)).text(), /<h1>Pekerjaan gagal<\/h1>/, 'the next page too')
  await session.browser.get(`${url}/console?lang=en`)
})

t.test('a person who is not a platform operator is turned away at the callback', async (t) => {
  const org = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000006' } })).json()
  const outsider = await signIn(org.superAdmin.username, org.superAdmin.password)
  t.equal(outsider.response.status, 403)
  t.match(outsider.html, /not a platform operator/)
  t.notOk(outsider.browser.cookies.get('insw_console'), 'no session')
  const again = await outsider.browser.get(`${url}/console`)
  t.equal(again.status, 303, 'and the console still asks to sign in')
})

t.test('signing out ends the session', async (t) => {
  const own = await signIn(operator.username, operator.password)
  const out = await own.browser.post(`${url}/console/logout`, { csrf: hiddenField(own.html, 'csrf')! })
  t.equal(out.status, 200)
  t.notOk(own.browser.cookies.get('insw_console'), 'the cookie is cleared')
  const after = await own.browser.get(`${url}/console`)
  t.equal(after.status, 303)
  t.match(after.headers.get('location'), /^\/oidc\/auth\?/)
})
