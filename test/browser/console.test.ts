/**
 * The operator console in a real browser (Debian's Chromium through playwright-core): an operator
 * signs in through the gateway's SSO, approves a registration (its power of attorney framed on the
 * page), retries a dead letter and lifts a sanction; no page logs an error or a CSP violation.
 * Screenshots of each page (desktop, and the overview on a phone) go to /tmp/console-*.png.
 * Like swagger-login.test.ts: the embedded run only; without the browser, skipped locally.
 */
import { access, constants } from 'node:fs/promises'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { startConsoleGateway } from '../helpers/console.ts'
import { createOrg } from '../helpers/orgs.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { formFor, IDENTITIES, minimalPdf, submit } from '../registration/helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const STEP_TIMEOUT_MS = 20_000
const browserMissing = await access(CHROMIUM, constants.X_OK).then(
  () => undefined,
  () => `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`,
)
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false'
const onServerDatabase = process.env.DATABASE_URL ? 'browser tests run on the embedded database only' : undefined
const NAME = 'operator console: sign in, approve a registration, retry a dead letter, lift a sanction'

if ((browserMissing && !inCi) || onServerDatabase) {
  t.test(NAME, { skip: onServerDatabase ?? browserMissing }, () => {})
} else {
  t.test(NAME, { timeout: 120_000 }, async (t) => {
    if (browserMissing) throw new Error(`browser test cannot run: ${browserMissing}`)
    const { app, url, db, minter, operator } = await startConsoleGateway(t)
    const registered = await submit(app, { form: formFor(IDENTITIES.approved), file: { content: minimalPdf() } })
    t.equal(registered.statusCode, 202)
    const tracking = registered.json().trackingNumber as string
    const org = await createOrg(app, '8120000000010')
    const operatorId = (await db.selectFrom('users').select('id').where('username', '=', operator.username).executeTakeFirstOrThrow()).id
    const token = minter.forUser(operatorId, { scope: 'openid registrations:read registrations:write' })
    const sanction = await app.inject({ method: 'POST', url: `/v1/operator/compliance/${org.orgId}/sanctions`, headers: { authorization: `Bearer ${token}` }, payload: { kind: 'profile_change', step: 1, reason: 'Change of directors not reported' } })
    t.equal(sanction.statusCode, 201)

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'], timeout: STEP_TIMEOUT_MS })
    t.teardown(() => browser.close())
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    desktop.setDefaultTimeout(STEP_TIMEOUT_MS)
    const problems: string[] = []
    const page = await desktop.newPage()
    page.on('console', (message) => {
      // Ours only: Chromium's PDF viewer (an extension, in the framed document) logs its own.
      if ((message.type() === 'error' || message.type() === 'warning') && message.location().url.startsWith(url)) problems.push(`${message.type()}: ${message.text()} (${message.location().url})`)
    })
    // Our pages run no script: an uncaught error can only be the framed PDF viewer's (Chromium's own).
    page.on('pageerror', (error) => {
      if (!/chrome-extension:|chrome:\/\//.test(error.stack ?? '') && !/^Assertion failed/.test(error.message)) problems.push(`error: ${error.message}`)
    })
    const trail: string[] = []
    page.on('request', (request) => trail.push(`${request.method()} ${request.url().replace(url, '')} origin=${request.headers().origin ?? '-'}`))
    page.on('response', (response) => trail.push(`${response.status()} ${response.url().replace(url, '')}`))
    page.on('requestfailed', (request) => trail.push(`failed ${request.url().replace(url, '')} ${request.failure()?.errorText}`))
    const shot = (name: string, on: Page = page) => on.screenshot({ path: `/tmp/console-${name}.png`, fullPage: true })

    // Sign in: the console sends us to the gateway's SSO login page and back.
    await page.goto(`${url}/console`)
    t.match(page.url(), `${url}/interaction/`, 'the SSO login page')
    await page.locator('#username').fill(operator.username)
    await page.locator('#password').fill(operator.password)
    await page.locator('form button[type="submit"]').click()
    await page.waitForURL(`${url}/console`)
    t.equal(await page.locator('h1').innerText(), 'Overview')
    await shot('overview')

    // Approve the registration, its power of attorney framed on the page.
    await page.getByRole('link', { name: 'Registrations' }).click()
    await page.getByRole('link', { name: tracking }).click()
    const pdfFrame = page.locator('iframe[title="Power of attorney (surat kuasa)"]')
    await pdfFrame.waitFor()
    // The framed PDF viewer finishes loading before we act (a click during its start-up may be lost).
    await page.waitForLoadState('load')
    t.equal(await pdfFrame.getAttribute('src'), `/console/registrations/${tracking}/power-of-attorney`)
    await shot('registration')
    // By keyboard, as an operator tabbing through the page would: a mouse click scrolled down past the
    // framed PDF viewer is sometimes taken by the viewer (Chromium's, not ours) and never reaches the button.
    const approve = page.getByRole('button', { name: 'Approve' })
    await approve.focus()
    await Promise.all([page.waitForURL(/done=/, { waitUntil: 'commit' }), page.keyboard.press('Enter')]).catch(async (error: Error) => {
      await shot('failure')
      throw new Error(`no decision page after Approve (at ${page.url()}): ${error.message}; trail: ${trail.slice(-12).join(' | ')}`)
    })
    await page.locator('p.notice').waitFor()
    t.match(await page.locator('p.notice').innerText(), /Approved/)
    t.equal((await db.selectFrom('registrations').select('status').where('tracking_number', '=', tracking).executeTakeFirstOrThrow()).status, 'approved')

    // The activation mail failed (no retries): a dead letter to retry.
    await page.getByRole('link', { name: 'Dead letters' }).click()
    for (let i = 0; i < 50 && (await page.locator('code', { hasText: 'mail.deliver.dead' }).count()) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      await page.reload()
    }
    await shot('jobs')
    await page.getByRole('button', { name: /^Retry mail\.deliver\.dead/ }).first().click()
    await page.locator('p.notice').waitFor()
    t.match(await page.locator('p.notice').innerText(), /Sent back to its queue/)

    // Lift the sanction.
    await page.getByRole('link', { name: 'Compliance' }).click()
    await shot('compliance')
    await page.locator(`a[href="/console/compliance/${org.orgId}"]`).click()
    await page.getByLabel('Why it is lifted').fill('Reported on 2026-12-03')
    await shot('standing')
    await page.getByRole('button', { name: 'Lift' }).click()
    await page.locator('p.notice').waitFor()
    t.match(await page.locator('p.notice').innerText(), /Sanction lifted/)
    t.equal((await db.selectFrom('sanctions').select('status').where('organisation_id', '=', org.orgId).executeTakeFirstOrThrow()).status, 'lifted')

    // A permit's journey, looked up by its reference number.
    const applicant = (await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })).json()
    const inhouse = applicant.clients.find((client: { kind: string }) => client.kind === 'inhouse')
    const submitted = await app.inject({ method: 'POST', url: '/v1/permits', headers: { authorization: `Bearer ${minter.forClient(inhouse.clientId, { scope: 'permits:read permits:write' })}` }, payload: sampleSubmission('browser-journey-1') })
    const reference = submitted.json().permit.referenceNumber as string
    await page.getByRole('link', { name: 'Permits' }).click()
    await page.getByLabel(/Find a permit/).fill(reference)
    await page.getByRole('button', { name: 'Find' }).click()
    await page.locator('ol.timeline li').first().waitFor()
    t.match(await page.locator('h1').innerText(), reference)
    t.ok((await page.locator('ol.timeline li').count()) >= 3, 'its steps as a timeline')
    await shot('journey')

    // On a phone, in Indonesian.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, storageState: await desktop.storageState() })
    const small = await phone.newPage()
    await small.goto(`${url}/console?lang=id`)
    t.equal(await small.locator('h1').innerText(), 'Ringkasan')
    const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')
    t.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow} px)`)
    await shot('phone-id', small)

    t.same(problems, [], 'no page logged an error or a CSP violation')
  })
}
