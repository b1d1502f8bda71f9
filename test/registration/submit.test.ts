/**
 * POST /v1/registrations and public tracking: the multipart contract, upload rules (type by
 * content, size, structure), each trader type's requirements, and each sandbox identity's outcome.
 */
import t from 'tap'
import { TRACKING_LIMITS } from '../../src/modules/registration/routes.ts'
import { buildTestApp, setupTestContext } from '../helpers/app.ts'
import { companyForm, formFor, IDENTITIES, minimalPdf, submit } from './helpers.ts'

const context = await setupTestContext(t)
const app = await buildTestApp(t, context)
await app.ready()
const pdf = minimalPdf()

t.test('a company with a confirmed NIB registers without upload: 202, tracking number, every step passed', async (t) => {
  const response = await submit(app, { form: formFor(IDENTITIES.exporter16, { businessTypes: ['exporter'] }) })
  t.equal(response.statusCode, 202, response.body)
  const receipt = response.json()
  t.match(receipt.trackingNumber, /^REG(-[A-Z2-7]{4}){5}$/)
  t.equal(receipt.status, 'pending_review')
  t.equal(receipt.statusUrl, `/v1/registrations/${receipt.trackingNumber}`)
  t.equal(response.headers.location, receipt.statusUrl)
  t.same(receipt.checks.map((c: { step: string }) => c.step), ['shape', 'oss', 'djp', 'documents', 'duplicates'], 'in pipeline order')
  t.ok(receipt.checks.every((c: { status: string }) => c.status === 'passed'))

  const tracked = await app.inject({ method: 'GET', url: receipt.statusUrl })
  t.equal(tracked.statusCode, 200)
  const body = tracked.json()
  t.equal(body.status, 'pending_review')
  t.equal(body.checks.length, 5)
  for (const secret of [IDENTITIES.exporter16.nik, IDENTITIES.exporter16.npwp, '6281234567890', 'sandbox.test', 'Ahmad']) {
    t.notOk(tracked.body.includes(secret), `tracking shows no personal data (${secret.slice(0, 4)}…)`)
  }
  const lower = await app.inject({ method: 'GET', url: `/v1/registrations/${receipt.trackingNumber.toLowerCase()}` })
  t.equal(lower.statusCode, 200, 'tracking numbers are case-insensitive')

  const row = await context.database.handle.db.selectFrom('registrations').selectAll().where('tracking_number', '=', receipt.trackingNumber).executeTakeFirstOrThrow()
  t.equal(row.npwp, '0010000000010000', 'NPWP stored as digits')
  t.equal(row.identity_number, IDENTITIES.exporter16.nik)
  t.equal(row.mobile, '+6281234567890', 'mobile normalised')
})

t.test('formatted NPWP is accepted and normalised; the PDF is stored with its hash', async (t) => {
  const response = await submit(app, { form: formFor(IDENTITIES.bumn, { traderType: 'government_enterprise', npwp: '01.000.000.0-011.000' }), file: { content: pdf } })
  t.equal(response.statusCode, 202, response.body)
  const db = context.database.handle.db
  const row = await db.selectFrom('registrations').select(['id', 'npwp']).where('tracking_number', '=', response.json().trackingNumber).executeTakeFirstOrThrow()
  t.equal(row.npwp, '010000000011000')
  const document = await db.selectFrom('registration_documents').selectAll().where('registration_id', '=', row.id).executeTakeFirstOrThrow()
  t.equal(document.size_bytes, pdf.length)
  t.match(document.sha256, /^[0-9a-f]{64}$/)
  t.same(Buffer.from(document.content), pdf)
})

t.test('sandbox identities: OSS unknown, NPWP invalid, NPWP not found, wrong person in charge: one generic answer, precise findings for the operator only', async (t) => {
  const db = context.database.handle.db
  const cases = [
    { identity: IDENTITIES.ossUnknown, pointer: '/form/nib', reason: 'oss_nib_not_found' },
    { identity: IDENTITIES.npwpInvalid, pointer: '/form/npwp', reason: 'djp_npwp_invalid' },
    { identity: IDENTITIES.npwpNotFound, pointer: '/form/npwp', reason: 'djp_npwp_not_found' },
    { identity: { ...IDENTITIES.approved, nik: '3171000101800099' }, pointer: '/form/applicant/identityNumber', reason: 'oss_not_person_in_charge' },
    { identity: { ...IDENTITIES.approved, name: 'Budi Santosa' }, pointer: '/form/applicant/fullName', reason: 'oss_name_mismatch' },
    { identity: { ...IDENTITIES.approved, npwp: '010000000002000' }, pointer: '/form/npwp', reason: 'oss_npwp_mismatch' },
  ]
  for (const [index, { identity, pointer, reason }] of cases.entries()) {
    const email = `refused-${index}@sandbox.test`
    const response = await submit(app, { form: formFor(identity, { contact: { email, mobile: '+6281234567890' } }), file: { content: pdf } })
    t.equal(response.statusCode, 422, `${identity.nib}: ${reason}`)
    t.match(response.json().errors, [{ pointer: '/form', in: 'body', detail: /^the data do not match the OSS\/DJP records/, reason: 'records_mismatch' }], 'the caller learns no more')
    t.equal(response.json().errors.length, 1)
    t.notOk(response.body.includes(reason))
    const refused = await db.selectFrom('registrations').select(['status', 'checks']).where('email', '=', email).executeTakeFirstOrThrow()
    t.equal(refused.status, 'refused', 'kept for operators')
    t.match(refused.checks.flatMap((check) => check.errors), [{ pointer, reason }], 'with the precise finding')
    const mail = await db.selectFrom('mail_outbox').select(['subject', 'body_text']).where('recipient', '=', email).executeTakeFirstOrThrow()
    t.match(mail.body_text, /Reference: REG-/, 'the applicant is told by mail, with a reference for the helpdesk')
    t.notOk(mail.body_text.includes(pointer.replace('/form/', '')), 'but not which field: the address is the caller\'s choice')
  }
  const indonesian = await submit(app, { form: formFor(IDENTITIES.ossUnknown), file: { content: pdf } }, { 'accept-language': 'id' })
  t.match(indonesian.json().errors[0].detail, /tidak sesuai dengan data OSS\/DJP/)
  t.match(indonesian.json().title, /Validasi gagal/)
})

t.test('the name match ignores case and spacing', async (t) => {
  const response = await submit(app, { form: formFor(IDENTITIES.ossSlow, { organisationName: 'PT Sandbox Registri Lambat' }), file: { content: pdf } })
  t.equal(response.statusCode, 202, 'OSS slow (2 s, scaled) still answers')
  const spaced = await submit(app, { form: formFor({ ...IDENTITIES.npwpInvalid, name: '  AGUS   setiawan ' }, { contact: { email: 'spaced@sandbox.test', mobile: '+6281234567890' } }), file: { content: pdf } })
  t.equal(spaced.statusCode, 422, 'refused for the NPWP')
  const refused = await context.database.handle.db.selectFrom('registrations').select('checks').where('email', '=', 'spaced@sandbox.test').executeTakeFirstOrThrow()
  t.equal(refused.checks.find((check) => check.step === 'oss')?.status, 'passed', 'the name matched')
})

t.test('DJP KSWP down: 503, nothing stored', async (t) => {
  const response = await submit(app, { form: formFor(IDENTITIES.djpDown), file: { content: pdf } })
  t.equal(response.statusCode, 503, response.body)
  t.equal(response.json().code, 'UPSTREAM_UNAVAILABLE')
  t.match(response.headers['retry-after'], /^\d+$/, 'the registrant learns when to try again')
  const stored = await context.database.handle.db.selectFrom('registrations').select('id').where('nib', '=', IDENTITIES.djpDown.nib).execute()
  t.equal(stored.length, 0)
})

t.test('duplicates: a pending registration for the NIB, and an NIB that is already an organisation', async (t) => {
  const first = await submit(app, { form: formFor(IDENTITIES.approved) })
  t.equal(first.statusCode, 202, first.body)
  const again = await submit(app, { form: formFor(IDENTITIES.approved) })
  t.equal(again.statusCode, 409, 'a duplicate is a conflict, as the contract says')
  t.equal(again.json().code, 'CONFLICT')
  t.match(again.json().errors, [{ pointer: '/form/nib', reason: 'registration_pending' }])

  const org = await app.inject({ method: 'POST', url: '/v1/sandbox/test-organisations', payload: { nib: '8120000000002' } })
  t.equal(org.statusCode, 201)
  const taken = await submit(app, { form: formFor({ nib: '8120000000002', npwp: '010000000002000', name: 'Hendra Wijaya', nik: '3578000302750003' }) })
  t.equal(taken.statusCode, 409)
  t.match(taken.json().errors, [{ pointer: '/form/nib', reason: 'already_registered' }])
  const takenMismatch = await submit(app, { form: formFor({ nib: '8120000000002', npwp: '010000000002000', name: 'Someone Else', nik: '3578000302750099' }) })
  t.equal(takenMismatch.statusCode, 422, 'whether a business has access is told only to data that match its records')
  t.equal(takenMismatch.json().errors[0].reason, 'records_mismatch')
})

t.test('trader types: what each must supply (Permendag 20/2021 art. 6)', async (t) => {
  const shapeErrors = async (form: Record<string, unknown>) => {
    const response = await submit(app, { form, file: { content: pdf } })
    return { status: response.statusCode, reasons: (response.json().errors ?? []).map((e: { reason: string }) => e.reason) as string[] }
  }
  const noNib = { nibKind: 'none', nib: undefined }
  const noNpwp = { npwpKind: 'none', npwp: undefined }
  t.match(await shapeErrors(companyForm(noNib)), { status: 422, reasons: ['nib_required'] }, 'company: NIB required')
  t.match(await shapeErrors(companyForm(noNpwp)), { status: 422, reasons: ['npwp_required'] }, 'company: NPWP required')
  t.match(await shapeErrors(companyForm({ traderType: 'individual_business', ...noNib })), { status: 422, reasons: ['nib_required'] }, 'individual business: NIB required')
  t.match(await shapeErrors(companyForm({ traderType: 'government_enterprise', ...noNib, ...noNpwp })), { status: 422, reasons: ['npwp_required'] }, 'BUMN: NPWP required')
  t.match(await shapeErrors(companyForm({ traderType: 'foundation', ...noNib, ...noNpwp })), { status: 422, reasons: ['npwp_required'] }, 'foundation: NPWP required')
  t.match(
    await shapeErrors(companyForm({ traderType: 'individual', ...noNib, ...noNpwp }, { identityType: 'passport', identityNumber: 'B1234567' })),
    { status: 422, reasons: ['npwp_or_nik_required'] },
    'individual: NPWP or NIK',
  )

  // Individuals with only a NIK, embassies and ministries without NIB or NPWP pass the shape check
  // (and, with nothing confirmed electronically, must upload the power of attorney).
  const individual = await submit(app, { form: companyForm({ traderType: 'individual', userType: 'individual', ...noNib, ...noNpwp, organisationName: 'Perorangan Satu', contact: { email: 'satu@sandbox.test', mobile: '0812-3456-7891' } }) })
  t.equal(individual.statusCode, 422)
  t.match(individual.json().errors, [{ pointer: '/powerOfAttorney', reason: 'power_of_attorney_required' }])
  const withUpload = await submit(app, {
    form: companyForm({ traderType: 'individual', userType: 'individual', ...noNib, ...noNpwp, organisationName: 'Perorangan Satu', contact: { email: 'satu@sandbox.test', mobile: '0812-3456-7891' } }),
    file: { content: pdf },
  })
  t.equal(withUpload.statusCode, 202, withUpload.body)
  t.match(withUpload.json().checks, [{ step: 'shape', status: 'passed' }, { step: 'oss', status: 'skipped' }, { step: 'djp', status: 'skipped' }, { step: 'documents', status: 'passed' }, { step: 'duplicates', status: 'skipped' }])

  const embassy = await submit(app, {
    form: companyForm({ traderType: 'foreign_embassy', userType: 'foreign_representative', ...noNib, ...noNpwp, organisationName: 'Embassy of Sandboxia' }, { identityType: 'passport', identityNumber: 'x1234567' }),
    file: { content: pdf },
  })
  t.equal(embassy.statusCode, 202, embassy.body)
  const ministry = await submit(app, { form: companyForm({ traderType: 'ministry_agency', userType: 'government', ...noNib, ...noNpwp, organisationName: 'Kementerian Sandbox' }), file: { content: pdf } })
  t.equal(ministry.statusCode, 202, ministry.body)

  const foundation = await submit(app, { form: companyForm({ traderType: 'foundation', ...noNib, npwp: IDENTITIES.foundation.npwp, organisationName: 'Yayasan Sandbox Peduli Pendidikan' }) })
  t.equal(foundation.statusCode, 422, 'foundation: NPWP confirmed, but no OSS record: the upload is required')
  t.match(foundation.json().errors, [{ reason: 'power_of_attorney_required' }])
  const foundationOk = await submit(app, { form: companyForm({ traderType: 'foundation', ...noNib, npwp: IDENTITIES.foundation.npwp, organisationName: 'Yayasan Sandbox Peduli Pendidikan' }), file: { content: pdf } })
  t.equal(foundationOk.statusCode, 202, foundationOk.body)
  const secondFoundation = await submit(app, { form: companyForm({ traderType: 'foundation', ...noNib, npwp: IDENTITIES.foundation.npwp, organisationName: 'Yayasan Lain' }), file: { content: pdf } })
  t.match(secondFoundation.json().errors, [{ pointer: '/form/npwp', reason: 'registration_pending' }], 'without NIB, duplicates by NPWP')
})

t.test('shape: formats, with field pointers', async (t) => {
  const response = await submit(app, {
    form: companyForm({ nib: '81200000001', npwp: '12345', contact: { email: 'a@sandbox.test', mobile: '12345' } }, { identityNumber: '1234567' }),
  })
  t.equal(response.statusCode, 422)
  const reasons = response.json().errors.map((e: { pointer: string; reason: string }) => `${e.pointer}:${e.reason}`)
  t.same(reasons.sort(), ['/form/applicant/identityNumber:nik_format', '/form/contact/mobile:mobile_format', '/form/nib:nib_format', '/form/npwp:npwp_format'].sort())
  const passportWithNib = await submit(app, { form: companyForm({}, { identityType: 'passport', identityNumber: 'B1234567' }) })
  t.match(passportWithNib.json().errors, [{ pointer: '/form/applicant/identityType', reason: 'nik_required_with_nib' }])

  const schema = await submit(app, { form: { ...companyForm(), acceptTerms: false, extra: 1 } })
  t.equal(schema.statusCode, 422)
  const pointers = schema.json().errors.map((e: { pointer: string }) => e.pointer)
  t.ok(pointers.includes('/form/acceptTerms'), 'the terms must be accepted')
  t.ok(pointers.some((p: string) => p.startsWith('/form')), 'schema errors point into the form part')
  const missing = await submit(app, { file: { content: pdf } })
  t.equal(missing.statusCode, 422)
  t.match(missing.json().errors, [{ pointer: '/form', reason: 'required' }])
  const badJson = await submit(app, { formText: '{"purpose":' })
  t.equal(badJson.statusCode, 400)
  t.equal(badJson.json().code, 'MALFORMED_JSON')
})

t.test('upload rules: PDF by content (415), at most 1 MB (413), must parse (422)', async (t) => {
  const form = formFor(IDENTITIES.npwpInvalid)
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(100)])
  const wrongType = await submit(app, { form, file: { content: png, name: 'surat-kuasa.pdf', type: 'application/pdf' } })
  t.equal(wrongType.statusCode, 415, 'a PNG named .pdf is refused')
  t.match(wrongType.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', errors: [{ pointer: '/powerOfAttorney', reason: 'not_pdf' }] })
  const html = await submit(app, { form, file: { content: Buffer.from('<html><script>alert(1)</script></html>'), name: 'x.pdf' } })
  t.equal(html.statusCode, 415)
  const tooLarge = await submit(app, { form, file: { content: minimalPdf(1024 * 1024 + 1000) } })
  t.equal(tooLarge.statusCode, 413)
  t.equal(tooLarge.json().code, 'PAYLOAD_TOO_LARGE')
  const justUnder = await submit(app, { form: formFor(IDENTITIES.ossSlow, { organisationName: 'x1' }), file: { content: minimalPdf(1024 * 1024 - 1000) } })
  t.not(justUnder.statusCode, 413, 'a PDF just under 1 MB is accepted')
  const truncated = await submit(app, { form, file: { content: pdf.subarray(0, pdf.length - 20) } })
  t.equal(truncated.statusCode, 422)
  t.match(truncated.json().errors, [{ pointer: '/powerOfAttorney', reason: 'unparseable' }])
  const forged = await submit(app, { form, file: { content: Buffer.from('%PDF-1.4\nhello\nstartxref\n3\n%%EOF\n') } })
  t.equal(forged.statusCode, 422, 'a startxref that points nowhere')
  const extra = await submit(app, { form, file: { content: pdf }, extra: { note: 'hi' } })
  t.equal(extra.statusCode, 422)
  const json = await app.inject({ method: 'POST', url: '/v1/registrations', payload: form })
  t.equal(json.statusCode, 415, 'JSON without multipart is refused')
})

t.test('tracking: unknown numbers are 404, then rate-limited per IP', async (t) => {
  const unknown = (ip: string) => app.inject({ method: 'GET', url: '/v1/registrations/REG-AAAA-AAAA-AAAA-AAAA-AAAA', remoteAddress: ip })
  const first = await unknown('203.0.113.9')
  t.equal(first.statusCode, 404)
  t.equal(first.json().code, 'NOT_FOUND')
  let last = first
  for (let i = 1; i <= TRACKING_LIMITS.unknownPerMinute; i++) last = await unknown('203.0.113.9')
  t.equal(last.statusCode, 429, 'too many unknown look-ups')
  t.ok(last.headers['retry-after'])
  t.equal((await unknown('203.0.113.10')).statusCode, 404, 'another IP has its own budget')
  const garbage = await app.inject({ method: 'GET', url: '/v1/registrations/not-a-number', remoteAddress: '203.0.113.11' })
  t.equal(garbage.statusCode, 404)
})

t.test('tracking numbers are unique and random', async (t) => {
  const { generateTrackingNumber } = await import('../../src/modules/registration/tracking-number.ts')
  const numbers = new Set(Array.from({ length: 2000 }, () => generateTrackingNumber()))
  t.equal(numbers.size, 2000)
  for (const number of [...numbers].slice(0, 20)) t.match(number, /^REG(-[A-Z2-7]{4}){5}$/)
})

t.test('NIK and NPWP never reach the log', async (t) => {
  const { captureLogs } = await import('../helpers/app.ts')
  const logs = captureLogs()
  const logged = await buildTestApp(t, context, { logs })
  await logged.ready()
  await submit(logged, { form: formFor(IDENTITIES.npwpInvalid), file: { content: pdf } })
  await submit(logged, { form: formFor(IDENTITIES.djpDown), file: { content: pdf } })
  await submit(logged, { form: formFor(IDENTITIES.bumn, { traderType: 'government_enterprise', nib: '8120.0000.00011' }), file: { content: pdf } })
  const text = logs.text()
  t.ok(text.length > 0, 'something was logged')
  for (const secret of [IDENTITIES.npwpInvalid.nik, IDENTITIES.npwpInvalid.npwp, IDENTITIES.djpDown.npwp, IDENTITIES.djpDown.nik, IDENTITIES.bumn.nik]) {
    t.notOk(text.includes(secret), `${secret.slice(0, 4)}… is not in the log`)
  }
})
