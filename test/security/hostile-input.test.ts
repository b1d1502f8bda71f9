/**
 * Hostile input by hand (issue 13 item 4, beside the contract fuzzer in test/fuzz): oversized
 * bodies, prototype-pollution keys, Unicode edge cases and normalisation, SQL and HTML
 * metacharacters, header injection, and multipart abuse on the registration upload. Each answers a
 * 4xx problem (or, for text that is merely unusual, stores and returns it exactly), never a 5xx.
 */
import { connect } from 'node:net'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, setupTestContext, startListeningApp } from '../helpers/app.ts'
import { api, createOrg } from '../helpers/orgs.ts'
import { tokenMinter } from '../helpers/tokens.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'
import { formFor, IDENTITIES } from '../registration/helpers.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context, { env: { RATE_LIMIT_SCALE: '1000' } })
await app.ready()
const org = await createOrg(app, '8120000000001')
const token = tokenMinter(app).forUser(org.superAdmin.userId, { orgId: org.orgId })
const groups = `/v1/orgs/${org.orgId}/groups`

function assertProblem(t: Test, response: LightMyRequestResponse, label: string, status?: number): void {
  t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: 4xx (got ${response.statusCode} ${response.body.slice(0, 160)})`)
  if (status) t.equal(response.statusCode, status, `${label}: ${status}`)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
}

const rawJson = (url: string, body: string) => app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: body })

t.test('an oversized body is 413 before it is parsed', async (t) => {
  const huge = JSON.stringify({ level: 'non_admin', name: 'big', rights: [], filler: 'x'.repeat(2 * 1024 * 1024) })
  assertProblem(t, await rawJson(groups, huge), '2 MiB of JSON', 413)
})

t.test('prototype-pollution keys are refused and pollute nothing', async (t) => {
  for (const body of [
    '{"level":"non_admin","name":"p1","rights":[],"__proto__":{"polluted":true}}',
    '{"level":"non_admin","name":"p2","rights":[],"constructor":{"prototype":{"polluted":true}}}',
    '{"level":"non_admin","name":"p3","rights":[{"menu":"SSM_PERIZINAN","actions":["view"],"__proto__":{"polluted":true}}]}',
  ]) {
    assertProblem(t, await rawJson(groups, body), body.slice(40, 90))
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  const listed = (await api(app, token, 'GET', groups)).json().items as { name: string }[]
  t.notOk(listed.some((group) => ['p1', 'p2', 'p3'].includes(group.name)), 'nothing stored')
})

t.test('SQL and HTML metacharacters are data: stored and returned exactly, escaped as JSON', async (t) => {
  const name = `'; drop table groups; -- <script>alert("x")</script> \\ %_ $1`
  const created = await api(app, token, 'POST', groups, { level: 'non_admin', name, rights: [] })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().name, name, 'returned exactly')
  t.notMatch(created.body, /<script>alert\("x"\)/, 'the quote inside is JSON-escaped')
  const read = await api(app, token, 'GET', `${groups}/${created.json().id}`)
  t.equal(read.json().name, name, 'read back exactly')
  t.equal((await api(app, token, 'GET', groups)).statusCode, 200, 'the table is still there')
  const search = await api(app, token, 'GET', `/v1/orgs/${org.orgId}/audit-events?actor=${encodeURIComponent("' or 1=1 --")}`)
  t.equal(search.statusCode, 200, 'a filter value with SQL in it is a value')
  t.same(search.json().items, [], 'and matches nothing')
})

t.test('Unicode edge cases: kept exactly as sent (no normalisation); a lone surrogate or NUL is refused', async (t) => {
  for (const name of ['Ekspor 🚢 ✓', 'عربي RTL \u202e override', 'zero\u200bwidth', 'e\u0301\u0301\u0301 stacked', '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} family']) {
    const created = await api(app, token, 'POST', groups, { level: 'non_admin', name, rights: [] })
    t.equal(created.statusCode, 201, `${JSON.stringify(name)}: ${created.body.slice(0, 120)}`)
    t.equal(created.json().name, name, `${JSON.stringify(name)}: returned exactly`)
  }
  const lone = await rawJson(groups, '{"level":"non_admin","name":"lone \\ud800 surrogate","rights":[]}')
  assertProblem(t, lone, 'a lone surrogate', 422)
  t.match(lone.json().errors, [{ pointer: '/name', reason: 'lone_surrogate' }], 'named, with its reason')
  assertProblem(t, await rawJson(groups, '{"level":"non_admin","name":"nul \\u0000 byte","rights":[]}'), 'a NUL', 422)
  // Text is stored as sent, never normalised: a receipt's SHA-256 is over the JSON the client sent,
  // so the gateway must not change a byte of it. The NFC and NFD spellings are two names.
  for (const name of ['Kafé Ekspor', 'Kafe\u0301 Ekspor']) {
    const created = await api(app, token, 'POST', groups, { level: 'non_admin', name, rights: [] })
    t.equal(created.statusCode, 201)
    t.equal(created.json().name, name, `${name.normalize('NFD') === name ? 'NFD' : 'NFC'}: the same code points back`)
  }
})

t.test('header injection: control characters in a header are refused, never echoed as a new header', async (t) => {
  const { url } = await startListeningApp(t, context)
  const port = Number(new URL(url).port)
  const raw = (request: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(request))
      let answer = ''
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
      socket.on('close', () => resolve(answer))
      socket.on('error', () => resolve(answer))
    })
  const split = await raw('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\rInjected: yes\r\nConnection: close\r\n\r\n')
  t.match(split, /^HTTP\/1\.1 400/, 'a bare CR inside a header value: 400')
  t.notMatch(split, /\r\nInjected:/i, 'nothing injected into the answer')
  const echoed = await raw('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc%0d%0aInjected:%20yes\r\nConnection: close\r\n\r\n')
  t.notMatch(echoed, /\r\nInjected:/i, 'an encoded CRLF is not decoded into a header')
  const writer = tokenMinter(app).forUser(org.superAdmin.userId, { orgId: org.orgId, scope: 'openid permits:read permits:write' })
  const key = await app.inject({ method: 'POST', url: '/v1/permits', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json', 'idempotency-key': 'key with spaces\tand tab' }, payload: sampleSubmission('hostile-key') })
  assertProblem(t, key, 'an Idempotency-Key with spaces and a tab', 422)
  t.match(key.json().errors, [{ in: 'header' }], 'the header is named')
})

t.test('multipart abuse on the registration upload: many parts, huge part headers, a PDF that is not one', async (t) => {
  const boundary = 'hostileboundary'
  const part = (name: string, value: string, extraHeaders = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n${extraHeaders}\r\n${value}\r\n`
  const send = (body: string | Buffer) =>
    app.inject({ method: 'POST', url: '/v1/registrations', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body })

  const many = Array.from({ length: 2000 }, (_, i) => part(`field${i}`, 'x')).join('') + `--${boundary}--\r\n`
  assertProblem(t, await send(many), '2,000 parts')
  const hugeHeader = part('form', '{}', `X-Filler: ${'y'.repeat(200_000)}\r\n`) + `--${boundary}--\r\n`
  assertProblem(t, await send(hugeHeader), 'a 200 kB part header')
  const manyFiles = Array.from({ length: 50 }, (_, i) => `--${boundary}\r\nContent-Disposition: form-data; name="powerOfAttorney"; filename="f${i}.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n`).join('') + `--${boundary}--\r\n`
  assertProblem(t, await send(manyFiles), '50 files')

  const form = JSON.stringify(formFor(IDENTITIES.exporter16))
  const notPdf = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="form"\r\nContent-Type: application/json\r\n\r\n${form}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="powerOfAttorney"; filename="surat-kuasa.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    Buffer.from('<html><body>I am not a PDF</body></html>'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  const refused = await send(notPdf)
  assertProblem(t, refused, 'HTML named surat-kuasa.pdf')
  t.match(refused.json().errors, [{ pointer: '/powerOfAttorney' }], 'the upload is named')
})
