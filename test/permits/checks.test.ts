/** Unit tests of the permit check pipeline's pieces: order, outage handling, the 422, business rules, receipts' hash. */
import t from 'tap'
import { AppError } from '../../src/errors/app-error.ts'
import { canonicalSha256 } from '../../src/identity/receipts.ts'
import { effectiveSurveyorNib, hsDigits, payloadRuleErrors } from '../../src/modules/permits/checks/business-rules.ts'
import type { PermitType } from '../../src/modules/permit-types/catalogue.ts'
import { checksFailed, PERMIT_CHECKS, runPermitChecks } from '../../src/modules/permits/checks/index.ts'
import type { PermitCheck, PermitCheckContext } from '../../src/modules/permits/checks/types.ts'

const NOW = new Date('2026-12-02T03:00:00Z')
const line = (overrides: Record<string, unknown> = {}) => ({ hsCode: '1701.14.00', description: 'Raw sugar', quantity: 10, unit: 'TNE', value: 5000, currency: 'USD', originCountry: 'TH', ...overrides })
const allowing = (...allowedHsPrefixes: string[]) => ({ allowedHsPrefixes }) as unknown as PermitType
const reasons = (errors: { pointer: string; reason: string }[]) => errors.map((error) => `${error.pointer} ${error.reason}`)

t.test('the pipeline runs in the documented order', async (t) => {
  t.same(PERMIT_CHECKS.map((check) => check.name), ['shape', 'oss', 'djp_kswp', 'business_rules'])
})

t.test('a failed shape skips the rest; an outage is recorded as error and reported; a bug is not an outage', async (t) => {
  const context = () => ({ results: [] }) as unknown as PermitCheckContext
  const step = (name: PermitCheck['name'], run: PermitCheck['run']): PermitCheck => ({ name, run })
  const ok = async () => ({ status: 'passed' as const, reason: null, errors: [] })
  const shapeFails = step('shape', async () => ({ status: 'failed', reason: null, errors: [] }))
  const one = await runPermitChecks(context(), [shapeFails, step('oss', ok)])
  t.match(one.results, [{ step: 'shape', status: 'failed' }, { step: 'oss', status: 'skipped' }])
  t.equal(one.passed, false)
  const down = step('oss', async () => Promise.reject(new AppError('UPSTREAM_UNAVAILABLE', { retryAfter: 5 })))
  const two = await runPermitChecks(context(), [step('shape', ok), down, step('djp_kswp', ok)])
  t.match(two.results, [{ status: 'passed' }, { step: 'oss', status: 'error' }, { step: 'djp_kswp', status: 'passed' }])
  t.equal(two.upstreamError?.code, 'UPSTREAM_UNAVAILABLE')
  t.equal(two.upstreamError?.retryAfter, 5, 'the upstream\'s Retry-After is kept')
  await t.rejects(runPermitChecks(context(), [step('shape', async () => Promise.reject(new Error('boom')))]), /boom/)
})

t.test('the 422 names each field and the check that refused it', async (t) => {
  const error = checksFailed(
    [
      { step: 'shape', status: 'passed', reason: null, errors: [] },
      { step: 'oss', status: 'failed', reason: null, errors: [{ pointer: '/permitType', reason: 'business_type_mismatch', detail: { en: 'needs IMPORTER', id: 'perlu IMPORTER' } }] },
      { step: 'business_rules', status: 'failed', reason: null, errors: [{ pointer: '/payload/lines/0/quantity', reason: 'not_positive', detail: { en: 'must be > 0', id: 'harus > 0' } }] },
    ],
    'id',
  )
  t.equal(error.code, 'VALIDATION_FAILED')
  t.match(error.detail, { en: /oss, business_rules/ })
  t.same(error.errors, [
    { pointer: '/permitType', in: 'body', detail: 'perlu IMPORTER', reason: 'oss.business_type_mismatch' },
    { pointer: '/payload/lines/0/quantity', in: 'body', detail: 'harus > 0', reason: 'business_rules.not_positive' },
  ])
})

t.test('business rules: HS codes allowed by the type, in either notation', async (t) => {
  t.equal(hsDigits('1701.14.00'), '17011400')
  const payload = { lines: [line(), line({ hsCode: '72085100' }), line({ hsCode: '1701.99.10' })] }
  t.same(reasons(payloadRuleErrors(payload, allowing('17011300', '17011400'), NOW)), ['/payload/lines/1/hsCode hs_code_not_allowed', '/payload/lines/2/hsCode hs_code_not_allowed'])
  t.same(payloadRuleErrors(payload, allowing(), NOW), [], 'an empty list allows any code')
  t.same(payloadRuleErrors({ lines: [line({ hsCode: '7208.51.00' })] }, allowing('72'), NOW), [], 'a 2-digit chapter prefix')
})

t.test('business rules: quantities and values must be positive', async (t) => {
  const payload = { lines: [line({ quantity: 0 }), line({ value: -1 }), line()] }
  t.same(reasons(payloadRuleErrors(payload, allowing(), NOW)), ['/payload/lines/0/quantity not_positive', '/payload/lines/1/value not_positive'])
})

t.test('business rules: periods in order and not over (Asia/Jakarta days)', async (t) => {
  const period = (from: string, to: string) => payloadRuleErrors({ lines: [line()], shipmentPeriod: { from, to } }, allowing(), NOW)
  t.same(period('2027-01-04', '2027-03-31'), [])
  t.same(reasons(period('2027-03-31', '2027-01-04')), ['/payload/shipmentPeriod/to period_reversed'])
  t.same(reasons(period('2026-11-01', '2026-11-30')), ['/payload/shipmentPeriod/to period_over'])
  // 03:00 UTC is 10:00 WIB on 2 December: a period ending that day is still open.
  t.same(period('2026-11-01', '2026-12-02'), [])
  t.same(reasons(payloadRuleErrors({ validFrom: '2027-02-01', validUntil: '2027-01-01' }, allowing(), NOW)), ['/payload/validUntil period_reversed'], 'xFrom/xUntil pairs too')
})

t.test('the surveyor: from the envelope, else from the payload', async (t) => {
  t.equal(effectiveSurveyorNib({ surveyorNib: '8120000000011', payload: { surveyorNib: '8120000000010' } }), '8120000000011')
  t.equal(effectiveSurveyorNib({ payload: { surveyorNib: '8120000000010' } }), '8120000000010')
  t.equal(effectiveSurveyorNib({ payload: { surveyorNib: 'nope' } }), undefined)
})

t.test('the submission hash is over RFC 8785 canonical JSON: member order and spacing do not matter', async (t) => {
  const a = canonicalSha256({ b: 1, a: [1, 2, { y: 'é', x: 1.5e3 }] })
  const b = canonicalSha256(JSON.parse('{ "a": [1, 2, {"x": 1500, "y": "\\u00e9"}], "b": 1.0 }'))
  t.equal(a, b)
  t.match(a, /^[0-9a-f]{64}$/)
  t.not(canonicalSha256({ a: 1 }), canonicalSha256({ a: 2 }))
})
