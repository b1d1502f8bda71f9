/**
 * Swagger UI in a real browser sends the multipart registration: the `form` part pre-filled from
 * the contract's example (sent as JSON), a PDF chosen for `powerOfAttorney`, Execute → 202.
 * Proves the contract's multipart description is usable as it is, by testers without curl.
 */
import { access, constants, writeFile } from 'node:fs/promises'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { minimalPdf } from '../registration/helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const STEP_TIMEOUT_MS = 20_000
const PDF_PATH = '/tmp/insw-surat-kuasa-test.pdf'
const browserMissing = await access(CHROMIUM, constants.X_OK).then(
  () => undefined,
  () => `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`,
)
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false'
// Runs once, on the embedded database: Swagger UI does not depend on the database kind (see swagger-login.test.ts).
const onServerDatabase = process.env.DATABASE_URL ? 'browser tests run on the embedded database only' : undefined

// 120 s for the whole flow: 53 s were seen beside another test file on a two-core CI machine.
t.test('Swagger UI: submit a registration with its PDF', { skip: onServerDatabase ?? (browserMissing && !inCi ? browserMissing : false), timeout: 120_000 }, async (t) => {
  if (browserMissing) throw new Error(`browser test cannot run: ${browserMissing}`)
  const context = await setupTestContext(t)
  const { url } = await startListeningApp(t, context)
  await writeFile(PDF_PATH, minimalPdf())
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: STEP_TIMEOUT_MS })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.setDefaultTimeout(STEP_TIMEOUT_MS)

  await page.goto(`${url}/docs/`)
  const operation = page.locator('#operations-Registration-submitRegistration')
  await operation.locator('.opblock-summary').click()
  // tryItOutEnabled is on: the button only shows when it is not.
  const tryItOut = operation.getByRole('button', { name: 'Try it out' })
  if (await tryItOut.isVisible()) await tryItOut.click()
  const formField = operation.locator('tr[data-property-name="form"] textarea')
  await formField.waitFor().catch(async (error) => {
    await page.screenshot({ path: '/tmp/swagger-registration.png', fullPage: true })
    throw error
  })
  const example = JSON.parse(await formField.inputValue()) as { nib: string; contact: { email: string } }
  t.equal(example.nib, '8120000000010', 'the form part is pre-filled from the contract example (not the tester section\'s 8120000000001)')
  await operation.locator('tr[data-property-name="powerOfAttorney"] input[type="file"]').setInputFiles(PDF_PATH)
  await operation.getByRole('button', { name: 'Execute' }).click()

  const status = operation.locator('.live-responses-table .response .response-col_status').first()
  await status.waitFor()
  const body = await operation.locator('.live-responses-table .response-col_description pre.microlight').first().innerText()
  t.equal((await status.innerText()).trim(), '202', body)
  t.match(body, /"trackingNumber": "REG-/)
  const stored = await context.database.handle.db.selectFrom('registration_documents').select('size_bytes').executeTakeFirst()
  t.equal(stored?.size_bytes, minimalPdf().length, 'the PDF arrived')
})
