/**
 * Issue 8, item 12 (HTML forms): a repeated form field or a JSON body on the sign-in, forgot
 * password, reset password and verify-email forms is a client's mistake: a 4xx HTML page, never
 * a 500.
 */
import t, { type Test } from 'tap'
import { setupTestContext, startListeningApp } from '../helpers/app.ts'
import { openLoginPage, swaggerUiClient } from '../helpers/oidc.ts'

const context = await setupTestContext(t)
const { url } = await startListeningApp(t, context)
const swaggerUi = await swaggerUiClient(url)

async function post(path: string, body: string, contentType: string, cookie = '') {
  const response = await fetch(new URL(path, url), { method: 'POST', redirect: 'manual', headers: { 'content-type': contentType, origin: url, cookie }, body })
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() }
}

function assertClientMistake(t: Test, answer: Awaited<ReturnType<typeof post>>, expected: number, what: string) {
  t.equal(answer.status, expected, `${what}: ${expected}`)
  t.match(answer.type, /^text\/html/, `${what}: an HTML page, as the form's pages are`)
  t.match(answer.text, /not sent the way the page sends it|tidak dikirim seperti/, `${what}: says what went wrong`)
}

const form = 'application/x-www-form-urlencoded'
const json = 'application/json'

t.test('sign-in form', async (t) => {
  const page = await openLoginPage(url, swaggerUi)
  const cookie = [...page.browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  const action = `${page.loginUrl.pathname}/login`
  const csrf = encodeURIComponent(page.csrf)
  assertClientMistake(t, await post(action, `username=a&username=b&password=Secret%231a&csrf=${csrf}`, form, cookie), 400, 'a repeated username')
  assertClientMistake(t, await post(action, `username=a&password=x&password=y&csrf=${csrf}`, form, cookie), 400, 'a repeated password')
  assertClientMistake(t, await post(action, JSON.stringify({ username: 1, password: ['x'], csrf: page.csrf }), json, cookie), 415, 'a JSON body')
  assertClientMistake(t, await post(action, JSON.stringify({ username: 'a', password: 'Secret#1a', csrf: page.csrf }), json, cookie), 415, 'a JSON body of strings')
})

t.test('forgot-password form', async (t) => {
  assertClientMistake(t, await post('/account/forgot-password', 'email=a%40b.example&username=a&username=b', form), 400, 'a repeated username')
  assertClientMistake(t, await post('/account/forgot-password', JSON.stringify({ email: { $ne: '' }, username: ['a'] }), json), 415, 'a JSON body')
})

t.test('reset-password form', async (t) => {
  assertClientMistake(t, await post('/account/reset-password', 'token=abc&password=Fresh%23Pass2026&password=Fresh%23Pass2026&confirm=Fresh%23Pass2026', form), 400, 'a repeated password')
  assertClientMistake(t, await post('/account/reset-password', JSON.stringify({ token: 'abc', password: ['Fresh#Pass2026'], confirm: ['Fresh#Pass2026'] }), json), 415, 'a JSON body')
})

t.test('verify-email form', async (t) => {
  assertClientMistake(t, await post('/account/verify-email', 'token=aaaaaaaaaaaaaaaaaaaaaaaa&token=bbbbbbbbbbbbbbbbbbbbbbbbbb', form), 400, 'a repeated token')
  assertClientMistake(t, await post('/account/verify-email', JSON.stringify({ token: 'aaaaaaaaaaaaaaaaaaaaaaaa' }), json), 415, 'a JSON body')
})
