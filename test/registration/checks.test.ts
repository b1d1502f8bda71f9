/** Unit tests of the check pipeline's pieces: shape rules, PDF inspection, mobile numbers, order. */
import t from 'tap'
import { REGISTRATION_CHECKS, runChecks } from '../../src/modules/registration/checks/index.ts'
import { sameName, sameNpwp } from '../../src/modules/registration/checks/oss.ts'
import { normaliseMobile, shapeErrors, TRADER_REQUIREMENTS } from '../../src/modules/registration/checks/shape.ts'
import type { CheckContext } from '../../src/modules/registration/checks/types.ts'
import { inspectPdf } from '../../src/modules/registration/pdf.ts'
import type { RegistrationForm } from '../../src/modules/registration/schemas.ts'
import { AppError } from '../../src/errors/app-error.ts'
import { companyForm, minimalPdf } from './helpers.ts'

t.test('the pipeline runs in the documented order', async (t) => {
  t.same(REGISTRATION_CHECKS.map((check) => check.name), ['shape', 'oss', 'djp', 'documents', 'duplicates'])
})

t.test('a failed shape skips the rest; an upstream outage is recorded as error and reported', async (t) => {
  const base = { normalised: { nib: null, npwp: null, identityNumber: '', mobile: '', email: '' }, db: undefined as never, upstreams: undefined as never }
  const failing = { name: 'shape', run: async () => ({ status: 'failed' as const, reason: null, errors: [] }) }
  const later = { name: 'later', run: async () => ({ status: 'passed' as const, reason: null, errors: [] }) }
  const one = await runChecks({ ...base, form: {} as RegistrationForm, results: [] } as CheckContext, [failing, later])
  t.match(one.results, [{ step: 'shape', status: 'failed' }, { step: 'later', status: 'skipped' }])
  const down = { name: 'oss', run: async () => Promise.reject(new AppError('UPSTREAM_UNAVAILABLE')) }
  const two = await runChecks({ ...base, form: {} as RegistrationForm, results: [] } as CheckContext, [later, down, later])
  t.match(two.results, [{ status: 'passed' }, { step: 'oss', status: 'error' }, { status: 'passed' }])
  t.equal(two.upstreamError?.code, 'UPSTREAM_UNAVAILABLE')
  const bug = { name: 'bug', run: async () => Promise.reject(new Error('boom')) }
  await t.rejects(runChecks({ ...base, form: {} as RegistrationForm, results: [] } as CheckContext, [bug]), /boom/, 'a bug is not an upstream outage')
})

t.test('required identifiers by trader type (Permendag 20/2021 art. 6)', async (t) => {
  t.same(TRADER_REQUIREMENTS.company, { nib: true, npwp: 'required' })
  t.same(TRADER_REQUIREMENTS.foundation, { nib: false, npwp: 'required' })
  t.same(TRADER_REQUIREMENTS.government_enterprise, { nib: false, npwp: 'required' })
  t.same(TRADER_REQUIREMENTS.individual, { nib: false, npwp: 'npwpOrNik' })
  const form = (overrides: Record<string, unknown>, applicant: Record<string, unknown> = {}) => companyForm(overrides, applicant) as RegistrationForm
  const reasons = (f: RegistrationForm) => shapeErrors(f).map((e) => e.reason)
  t.same(reasons(form({})), [])
  t.same(reasons(form({ nib: '8120.0000.00001' })), [], 'formatted NIB accepted')
  t.same(reasons(form({ npwp: '0010000000010000' })), [], '16-digit NPWP')
  t.same(reasons(form({ nibKind: 'none' })), ['nib_required', 'nib_not_expected'])
  t.same(reasons(form({ traderType: 'individual', nibKind: 'none', nib: undefined, npwpKind: 'none', npwp: undefined })), [], 'an individual with a NIK needs no NPWP')
  t.same(reasons(form({ traderType: 'ministry_agency', nibKind: 'none', nib: undefined, npwpKind: 'none', npwp: undefined }, { identityType: 'passport', identityNumber: 'A1234567' })), [])
  t.same(reasons(form({ npwpKind: 'none' })), ['npwp_not_expected', 'npwp_required'])
})

t.test('identifier helpers', async (t) => {
  t.equal(normaliseMobile('0812-3456-7890'), '+6281234567890')
  t.equal(normaliseMobile('6281234567890'), '+6281234567890')
  t.equal(normaliseMobile('+62 812 3456 7890'), '+6281234567890')
  t.equal(normaliseMobile('0212345678'), undefined, 'a landline is not a mobile number')
  t.ok(sameName('BUDI  SANTOSO,', 'Budi Santoso'))
  t.notOk(sameName('Budi Santosa', 'Budi Santoso'))
  t.ok(sameNpwp('010000000010000', '0010000000010000'))
})

t.test('PDF inspection by content', async (t) => {
  t.same(inspectPdf(minimalPdf()), { ok: true })
  t.match(inspectPdf(Buffer.from('GIF89a')), { ok: false, problem: 'not_pdf' })
  t.match(inspectPdf(Buffer.alloc(0)), { ok: false, problem: 'not_pdf' })
  t.match(inspectPdf(Buffer.from('%PDF-9.9\n%%EOF')), { ok: false, problem: 'unparseable' })
  t.match(inspectPdf(minimalPdf().subarray(0, 60)), { ok: false, problem: 'unparseable' }, 'truncated')
  const shifted = Buffer.from(minimalPdf().toString('latin1').replace(/startxref\n(\d+)/, (_m, n) => `startxref\n${Number(n) + 3}`), 'latin1')
  t.match(inspectPdf(shifted), { ok: false, problem: 'unparseable' }, 'startxref must point at the xref')
  const stream = Buffer.from('%PDF-1.7\n5 0 obj\n<< /Type /XRef >>\nstream\nendstream\nendobj\nstartxref\n9\n%%EOF\n', 'latin1')
  t.same(inspectPdf(stream), { ok: true }, 'cross-reference streams (PDF 1.5+) are accepted')
})
