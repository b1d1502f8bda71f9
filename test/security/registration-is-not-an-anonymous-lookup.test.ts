/**
 * Issue 8 item 8: an anonymous caller of POST /v1/registrations learnt whether a NIK is a person
 * in charge of a NIB (and under which name), a taxpayer's KSWP compliance reason, and which
 * businesses already have access. Every mismatch with the OSS/DJP records now gets one generic
 * answer; the findings go to operators and the contact address. Submissions have per-IP and
 * per-NIB budgets, and a guard hook for a captcha or proof of work.
 */
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { AppError } from '../../src/errors/app-error.ts'
import { buildTestApp, setupTestContext, testConfig } from '../helpers/app.ts'
import { formFor, IDENTITIES, minimalPdf, submit } from '../registration/helpers.ts'

const context = await setupTestContext(t)
const pdf = minimalPdf()

/** The answer without what differs per request anyway. */
function comparable(body: string): unknown {
  const { requestId: _requestId, ...rest } = JSON.parse(body) as Record<string, unknown>
  return rest
}

t.test('every records mismatch answers the same, and tells nothing about the records', async (t) => {
  const app = await buildTestApp(t, context)
  await app.ready()
  const org = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })
  t.equal(org.statusCode, 201)
  const probes = {
    'NIK not a person in charge': { ...IDENTITIES.approved, nik: '3171000101800099' },
    'NIK of a person in charge, another name': { ...IDENTITIES.approved, name: 'Budi Santosa' },
    'NIB unknown to OSS': IDENTITIES.ossUnknown,
    'taxpayer not in good standing': IDENTITIES.npwpInvalid,
    'NPWP unknown to KSWP': IDENTITIES.npwpNotFound,
    'a business that already has access, probed with a made-up applicant': { nib: '8120000000002', npwp: '010000000002000', name: 'Someone Else', nik: '3578000302750099' },
  }
  const answers = new Map<string, { status: number; body: unknown }>()
  for (const [label, identity] of Object.entries(probes)) {
    const response = await submit(app, { form: formFor(identity), file: { content: pdf } })
    answers.set(label, { status: response.statusCode, body: comparable(response.body) })
    t.notMatch(response.body, /SPT|person in charge|oss_|djp_|already_registered|Budi|Santoso/i, `${label}: no finding in the answer`)
  }
  const [first, ...rest] = [...answers.values()]
  t.equal(first!.status, 422)
  for (const [label, answer] of answers) t.same(answer, first, `${label}: the same answer as every other mismatch`)
  t.equal(rest.length, 5)
})

t.test('submissions are budgeted per IP address', async (t) => {
  const app = await buildTestApp(t, context, { env: { REGISTRATION_PER_IP: '3', REGISTRATION_PER_NIB: '100' } })
  await app.ready()
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await submit(app, { form: formFor({ ...IDENTITIES.approved, nik: `31710001018001${10 + i}` }), file: { content: pdf } })).statusCode)
  t.same(statuses, [422, 422, 422, 429])
  const other = await submit(app, { form: formFor({ ...IDENTITIES.approved, nik: '3171000101800120' }), file: { content: pdf } }, {}, '10.0.0.9')
  t.equal(other.statusCode, 422, 'another address has its own budget')
})

t.test('submissions are budgeted per NIB, whatever the address', async (t) => {
  const app = await buildTestApp(t, context, { env: { REGISTRATION_PER_IP: '100', REGISTRATION_PER_NIB: '2' } })
  await app.ready()
  const statuses = []
  for (let i = 0; i < 3; i++) {
    const response = await submit(app, { form: formFor({ ...IDENTITIES.bumn, nik: `36720006127000${20 + i}` }), file: { content: pdf } }, {}, `10.0.1.${i + 1}`)
    statuses.push(response.statusCode)
    if (response.statusCode === 429) t.match(response.headers['retry-after'], /^\d+$/)
  }
  t.same(statuses, [422, 422, 429])
  const otherNib = await submit(app, { form: formFor({ ...IDENTITIES.exporter16, nik: '1871001408760099' }), file: { content: pdf } }, {}, '10.0.1.9')
  t.equal(otherNib.statusCode, 422, 'another NIB has its own budget')
})

t.test('a registration guard (captcha, proof of work) runs before any upstream look-up', async (t) => {
  const seen: unknown[] = []
  const app = await buildApp({
    config: testConfig(),
    database: context.database.handle,
    upstreams: context.upstreams,
    registrationGuard: (request) => {
      seen.push(request.body.form?.nib)
      if (request.headers['x-captcha'] !== 'solved') {
        throw new AppError('VALIDATION_FAILED', { errors: [{ pointer: '/x-captcha', in: 'header', detail: 'solve the captcha', reason: 'captcha_required' }] })
      }
    },
  })
  t.teardown(() => app.close())
  const refused = await submit(app, { form: formFor(IDENTITIES.djpDown), file: { content: pdf } })
  t.equal(refused.statusCode, 422, 'refused by the guard, not a 503 from KSWP')
  t.equal(refused.json().errors[0].reason, 'captcha_required')
  const passed = await submit(app, { form: formFor(IDENTITIES.djpDown), file: { content: pdf } }, { 'x-captcha': 'solved' })
  t.equal(passed.statusCode, 503, 'past the guard the checks run')
  t.same(seen, [IDENTITIES.djpDown.nib, IDENTITIES.djpDown.nib])
})
