/**
 * Submitting a permit: each check's 422 (field and check named, nothing stored), 503 on an upstream
 * outage (nothing stored), 202 with Location, the permit and a receipt that jose verifies with the
 * public JWKS alone, the forwarding job committed with the row (a rollback leaves neither), the
 * dry run, the body limit, and a burst that costs one OSS and one KSWP look-up.
 */
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose'
import t from 'tap'
import { api, clientToken, createOrg, sandboxControl, setupPermitTest, storedCounts, sugarImport, sugarLine } from './helpers.ts'

const { context, app, db, minter, jobs } = await setupPermitTest(t)
const importer = await createOrg(app, '8120000000001')
const exporter = await createOrg(app, '8120000000010')
const kswpInvalid = await createOrg(app, '8120000000004')
const surveyorOrg = await createOrg(app, '8120000000011')
const writer = clientToken(minter, importer, 'inhouse', 'permits:read permits:write')
const sandbox = sandboxControl(context)

const submit = (token: string, body: unknown, headers: Record<string, string> = {}) => api(app, token, 'POST', '/v1/permits', body, headers)

t.test('accepted: 202, Location, the permit, a receipt; the row, its first event and its forwarding job', async (t) => {
  const body = sugarImport('ERP-PO-0001')
  const response = await submit(writer, body)
  t.equal(response.statusCode, 202, response.body)
  const { permit, receipt } = response.json()
  t.equal(response.headers.location, `/v1/permits/${permit.id}`)
  t.match(permit, { status: 'submitted', permitType: 'PI-GULA', clientReference: 'ERP-PO-0001', statusUrl: `/v1/permits/${permit.id}`, eventsUrl: `/v1/permits/${permit.id}/events` })
  t.match(permit.referenceNumber, /^PRM-\d{4}-[A-Z2-7]{10}$/)
  t.ok(new Date(permit.dueAt) > new Date(permit.submittedAt), 'an SLA due time')

  const row = await db.selectFrom('permits').selectAll().where('id', '=', permit.id).executeTakeFirstOrThrow()
  // The person in charge INATRADE is told of: OSS's first with a NIK, from the pipeline's look-up.
  const oss = await context.upstreams.oss.getBusiness('8120000000001')
  const person = oss.found ? oss.business.personsInCharge.find((candidate) => /^[0-9]{16}$/.test(candidate.nik)) : undefined
  t.ok(person, 'the sandbox lists a person in charge with a NIK')
  t.same(
    row.applicant,
    { nib: '8120000000001', npwp: '010000000001000', name: 'PT Sandbox Impor Sejahtera', address: row.applicant.address, personInCharge: { name: person!.name, nik: person!.nik } },
    'the applicant from the organisation\'s record, with the person in charge',
  )
  t.ok(row.applicant.address, 'with its address')
  const read = await api(app, writer, 'GET', `/v1/permits/${permit.id}`)
  t.same(Object.keys(read.json().applicant).sort(), ['address', 'name', 'nib', 'npwp'], 'the API never shows the person in charge (a NIK)')
  t.equal(row.receipt, receipt)
  t.equal(row.organisation_id, importer.orgId)
  t.equal(row.submitted_by_type, 'client')
  const events = await db.selectFrom('permit_events').selectAll().where('permit_id', '=', permit.id).execute()
  events.sort((a, b) => a.sequence - b.sequence)
  t.match(events, [
    { sequence: 1, type: 'permit.oss_checked', status_to: null, actor_type: 'system', hop: 'oss', outcome: 'succeeded' },
    { sequence: 2, type: 'permit.kswp_checked', status_to: null, actor_type: 'system', hop: 'djp_kswp', outcome: 'succeeded' },
    { sequence: 3, type: 'permit.submitted', status_to: 'submitted', actor_type: 'client', hop: 'gateway', outcome: 'succeeded' },
  ])
  t.equal(events.length, 3)
  t.ok(events.every((event) => event.trace_id === row.trace_id), 'one trace id')
  t.equal(await jobs.committed('permit.forward', permit.id), 1, 'the forwarding job is committed')
})

t.test('the receipt verifies with jose and the public JWKS alone, and signs the canonical submission', async (t) => {
  const body = sugarImport('ERP-PO-0002')
  const response = await submit(writer, body)
  const { permit, receipt } = response.json()
  const jwks = (await app.inject({ method: 'GET', url: '/oidc/jwks' })).json()
  t.notOk(jwks.keys.some((key: Record<string, unknown>) => 'd' in key), 'only public keys are published')
  t.equal(decodeProtectedHeader(receipt).typ, 'permit-receipt+jwt')
  const { payload } = await compactVerify(receipt, createLocalJWKSet(jwks))
  const claims = JSON.parse(new TextDecoder().decode(payload))
  const sha = createHash('sha256').update(canonicalize(body)!).digest('hex')
  t.match(claims, { iss: 'http://gateway.test/oidc', permitId: permit.id, orgId: importer.orgId, clientReference: 'ERP-PO-0002', submissionSha256: sha, receivedAt: permit.submittedAt })
  t.type(claims.iat, 'number')

  const verified = await app.inject({ method: 'POST', url: '/v1/receipts/verify', payload: { receipt } })
  t.equal(verified.statusCode, 200)
  t.match(verified.json(), { valid: true, claims: { permitId: permit.id, submissionSha256: sha } })
  const [header, , signature] = receipt.split('.')
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, clientReference: 'other' })).toString('base64url')}.${signature}`
  t.match((await app.inject({ method: 'POST', url: '/v1/receipts/verify', payload: { receipt: forged } })).json(), { valid: false, reason: /signature/ })
  const accessToken = writer
  t.match((await app.inject({ method: 'POST', url: '/v1/receipts/verify', payload: { receipt: accessToken } })).json(), { valid: false, reason: /typ/ }, 'an access token is no receipt')
  t.match((await app.inject({ method: 'POST', url: '/v1/receipts/verify', payload: { receipt: 'nonsense' } })).json(), { valid: false })
})

t.test('each check refuses with 422 naming the field and the check, and nothing is stored', async (t) => {
  const before = await storedCounts(db, importer.orgId)
  const cases: [string, unknown, string, string][] = [
    ['unknown type', sugarImport('bad-1', { permitType: 'PI-NOPE' }), '/permitType', 'shape.unknown_permit_type'],
    ['payload against the type\'s schema', sugarImport('bad-2', { payload: { lines: [sugarLine({ unit: 'BOX' })] } }), '/payload/lines/0/unit', 'shape.'],
    ['a required document missing', { ...sugarImport('bad-3'), documents: [{ type: 'NIB', name: 'nib.pdf' }] }, '/documents', 'shape.document_missing'],
    ['business type at OSS', { ...sugarImport('bad-4'), documents: ['NIB', 'EXPORTER_REGISTRATION', 'STATEMENT_LETTER'].map((type) => ({ type, name: 'x.pdf' })), permitType: 'PE-SAWIT', payload: { lines: [{ hsCode: '1511.10.00', description: 'Crude palm oil', quantity: 1000, unit: 'TNE', value: 900000, currency: 'USD', destinationCountry: 'IN' }], portOfLoading: 'IDBLW', shipmentPeriod: sugarImport('x').payload.shipmentPeriod } }, '/permitType', 'oss.business_type_mismatch'],
    ['HS code not allowed by the type', sugarImport('bad-5', { payload: { lines: [sugarLine({ hsCode: '1701.99.10' })] } }), '/payload/lines/0/hsCode', 'business_rules.hs_code_not_allowed'],
    ['period over', sugarImport('bad-6', { payload: { shipmentPeriod: { from: '2026-01-05', to: '2026-02-27' } } }), '/payload/shipmentPeriod/to', 'business_rules.period_over'],
    ['insurer unknown', sugarImport('bad-7', { insurerNib: '8120000000099' }), '/insurerNib', 'business_rules.insurer_unknown'],
  ]
  for (const [name, body, pointer, reason] of cases) {
    const response = await submit(writer, body)
    t.equal(response.statusCode, 422, `${name}: ${response.body}`)
    const problem = response.json()
    t.equal(problem.code, 'VALIDATION_FAILED')
    const error = problem.errors.find((candidate: { pointer: string }) => candidate.pointer === pointer)
    t.ok(error, `${name}: names ${pointer}`)
    t.ok(error?.reason.startsWith(reason), `${name}: reason ${error?.reason} is of ${reason}`)
  }
  t.same(await storedCounts(db, importer.orgId), before, 'nothing stored')
  t.notOk(jobs.sent.some((job) => (job.data.permitId as string | undefined) === undefined), 'no job without a permit')
})

t.test('DJP KSWP: an NPWP not in good standing is a 422 of djp_kswp', async (t) => {
  const response = await submit(clientToken(minter, kswpInvalid, 'inhouse', 'permits:write'), sugarImport('kswp-1'))
  t.equal(response.statusCode, 422, response.body)
  t.match(response.json().errors, [{ pointer: '', reason: 'djp_kswp.npwp_invalid' }])
  t.same(await storedCounts(db, kswpInvalid.orgId), { permits: 0, events: 0 })
})

t.test('a surveyor: required by the type, and known to the gateway', async (t) => {
  const steel = {
    permitType: 'PI-BAJA',
    clientReference: 'steel-1',
    payload: { lines: [{ hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 200, unit: 'TNE', value: 150000, currency: 'USD', originCountry: 'JP' }], portOfDischarge: 'IDTPP', shipmentPeriod: sugarImport('x').payload.shipmentPeriod },
    documents: ['NIB', 'PROFORMA_INVOICE', 'SURVEYOR_AGREEMENT', 'PERTEK'].map((type) => ({ type, name: `${type.toLowerCase()}.pdf` })),
  }
  const missing = await submit(writer, steel)
  t.equal(missing.statusCode, 422, missing.body)
  t.match(missing.json().errors, [{ pointer: '/surveyorNib', reason: 'business_rules.surveyor_required' }])
  const unknown = await submit(writer, { ...steel, surveyorNib: '8120000000098' })
  t.match(unknown.json().errors, [{ pointer: '/surveyorNib', reason: 'business_rules.surveyor_unknown' }])
  const named = await submit(writer, { ...steel, surveyorNib: '8120000000011' })
  t.equal(named.statusCode, 202, named.body)
  const row = await db.selectFrom('permits').selectAll().where('id', '=', named.json().permit.id).executeTakeFirstOrThrow()
  t.equal(row.surveyor_organisation_id, surveyorOrg.orgId, 'the surveyor\'s organisation is linked')
})

t.test('an OSS outage is 503 with Retry-After, and nothing is stored', async (t) => {
  const entry = await sandbox.identity('8120000000001')
  await sandbox.putIdentity('8120000000001', { ...entry, oss: { ...(entry.oss as object), mode: 'down' } })
  context.upstreams.oss.invalidate()
  t.teardown(() => sandbox.reset())
  const before = await storedCounts(db, importer.orgId)
  const sentBefore = jobs.sent.length
  const response = await submit(writer, sugarImport('outage-1'))
  t.equal(response.statusCode, 503, response.body)
  t.equal(response.json().code, 'UPSTREAM_UNAVAILABLE')
  t.match(response.headers['retry-after'], /^\d+$/)
  t.same(await storedCounts(db, importer.orgId), before, 'no row, no event')
  t.equal(jobs.sent.length, sentBefore, 'no job')
  await sandbox.reset()
  context.upstreams.oss.invalidate()
  const later = await submit(writer, sugarImport('outage-1'))
  t.equal(later.statusCode, 202, 'the same submission passes once OSS is back')
})

t.test('a KSWP outage is 503 too', async (t) => {
  const org = await createOrg(app, '8120000000014')
  const response = await submit(clientToken(minter, org, 'inhouse', 'permits:write'), sugarImport('kswp-down-1'))
  t.equal(response.statusCode, 503, response.body)
  t.ok(response.headers['retry-after'])
  t.same(await storedCounts(db, org.orgId), { permits: 0, events: 0 })
})

t.test('the row and its job commit together: a failed enqueue leaves neither', async (t) => {
  const before = await storedCounts(db, importer.orgId)
  jobs.failNext()
  const response = await submit(writer, sugarImport('rollback-1'))
  t.equal(response.statusCode, 500)
  const attempted = jobs.sent.at(-1)!
  t.equal(attempted.queue, 'permit.forward')
  t.same(await storedCounts(db, importer.orgId), before, 'no permit, no event')
  t.equal(await jobs.committed('permit.forward', attempted.data.permitId as string), 0, 'no job')
  const retried = await submit(writer, sugarImport('rollback-1'))
  t.equal(retried.statusCode, 202, 'the clientReference is free for the retry')
})

t.test('a burst by one organisation costs one OSS and one KSWP look-up', async (t) => {
  context.upstreams.oss.invalidate()
  context.upstreams.djp.invalidate()
  await sandbox.clearJournals()
  const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => submit(writer, sugarImport(`burst-${i}`))))
  t.same(responses.map((response) => response.statusCode), [202, 202, 202, 202, 202, 202])
  const oss = (await sandbox.journal('oss')).filter((entry) => entry.url.includes('/businesses/8120000000001'))
  const djp = (await sandbox.journal('djp')).filter((entry) => entry.url.includes('/taxpayers/'))
  t.equal(oss.length, 1, 'one OSS look-up')
  t.equal(djp.length, 1, 'one KSWP look-up')
  await submit(writer, sugarImport('burst-later'))
  t.equal((await sandbox.journal('oss')).length, 1, 'the next one is served from the cache')
})

t.test('validate: the same pipeline as a dry run, with each check; no row, no job', async (t) => {
  const before = await storedCounts(db, importer.orgId)
  const sent = jobs.sent.length
  const good = await api(app, writer, 'POST', '/v1/permits/validate', sugarImport('dry-1'))
  t.equal(good.statusCode, 200, good.body)
  t.same(good.json(), {
    valid: true,
    checks: ['shape', 'oss', 'djp_kswp', 'business_rules'].map((step) => ({ step, status: 'passed', reason: null, errors: [] })),
  })
  const bad = await api(app, writer, 'POST', '/v1/permits/validate', sugarImport('dry-2', { payload: { lines: [sugarLine({ hsCode: '0901.11.10' })] } }), { 'accept-language': 'id' })
  t.equal(bad.statusCode, 200)
  t.match(bad.json(), { valid: false, checks: [{ step: 'shape', status: 'passed' }, { step: 'oss', status: 'passed' }, { step: 'djp_kswp', status: 'passed' }, { step: 'business_rules', status: 'failed', errors: [{ pointer: '/payload/lines/0/hsCode', reason: 'business_rules.hs_code_not_allowed', detail: /tidak tercakup/ }] }] })
  const shapeless = await api(app, writer, 'POST', '/v1/permits/validate', sugarImport('dry-3', { permitType: 'PI-NOPE' }))
  t.match(shapeless.json(), { valid: false, checks: [{ step: 'shape', status: 'failed' }, { step: 'oss', status: 'skipped' }, { step: 'djp_kswp', status: 'skipped' }, { step: 'business_rules', status: 'skipped' }] })
  t.same(await storedCounts(db, importer.orgId), before)
  t.equal(jobs.sent.length, sent)
})

t.test('body limit: a permit of 100 lines is more than 64 KiB and accepted; more than 512 KiB is 413', async (t) => {
  // SK-BERKALA (periodic certificate) takes up to 100 lines of any HS code.
  const lines = Array.from({ length: 100 }, (_, i) => sugarLine({ hsCode: `8471.30.${String(i % 90 + 10)}`, description: `Laptop computers, lot ${i}, café grade `.padEnd(500, 'é') }))
  const { pertekNumber: _n, pertekDate: _d, ...base } = sugarImport('x').payload
  const big = { permitType: 'SK-BERKALA', clientReference: 'big-1', payload: { ...base, lines, purpose: 'Periodic imports of laptops for resale '.padEnd(500, '.'), notes: 'n'.repeat(1000) }, documents: [{ type: 'NIB', name: 'nib.pdf' }, { type: 'STATEMENT_LETTER', name: 'statement.pdf' }] }
  t.ok(Buffer.byteLength(JSON.stringify(big)) > 64 * 1024, 'over the API\'s 64 KiB default')
  const response = await submit(writer, big)
  t.equal(response.statusCode, 202, response.body.slice(0, 300))
  const tooBig = await submit(writer, sugarImport('big-2', { payload: { notes: 'x'.repeat(600 * 1024) } }))
  t.equal(tooBig.statusCode, 413)
})

t.test('rights: Create on SSM Perizinan or permits:write', async (t) => {
  const readOnly = await submit(clientToken(minter, importer, 'inhouse', 'permits:read'), sugarImport('rights-1'))
  t.equal(readOnly.statusCode, 403)
  t.equal(readOnly.json().code, 'INSUFFICIENT_SCOPE')
  const insurer = await submit(clientToken(minter, importer, 'insurer', 'permits:read permits:write'), sugarImport('rights-2'))
  t.equal(insurer.statusCode, 403, 'an insurer client never submits')
  const superAdmin = minter.forUser(importer.superAdmin.userId, { orgId: importer.orgId, scope: 'openid permits:read permits:write' })
  await db.updateTable('users').set({ nik: '3171234567890001' }).where('id', '=', importer.superAdmin.userId).execute()
  const byUser = await submit(superAdmin, sugarImport('rights-3'))
  t.equal(byUser.statusCode, 202, 'a super admin holds Create on the organisation\'s menus')
  const stored = await db.selectFrom('permits').select(['submitted_by_type', 'applicant']).where('id', '=', byUser.json().permit.id).executeTakeFirstOrThrow()
  t.equal(stored.submitted_by_type, 'user')
  const user = await db.selectFrom('users').select('full_name').where('id', '=', importer.superAdmin.userId).executeTakeFirstOrThrow()
  t.same(stored.applicant.personInCharge, { name: user.full_name, nik: '3171234567890001' }, 'a submitting user with a NIK on file is the person in charge')
  const anonymous = await app.inject({ method: 'POST', url: '/v1/permits', payload: sugarImport('rights-4') })
  t.equal(anonymous.statusCode, 401)
  t.equal(exporter.orgId.length, 36)
})
