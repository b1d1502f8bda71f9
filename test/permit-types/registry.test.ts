// The permit-type registry: the fixture is valid, each type's payload schema accepts a good
// application and refuses bad ones at the right pointer, and unbounded input is refused cheaply.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { PermitType } from '../../src/modules/permit-types/catalogue.ts'
import { DEFAULT_PERMIT_TYPES_PATH, isHsCodeAllowed, loadPermitTypes, normaliseHsCode } from '../../src/modules/permit-types/registry.ts'

const registry = loadPermitTypes()

/** A valid payload for any type: lines with an HS code the type allows, plus its own required fields. */
function goodPayload(type: PermitType): Record<string, unknown> {
  const prefix = type.allowedHsPrefixes[0] ?? '0901'
  const hsCode = (prefix + '0000000000').slice(0, 8)
  const country = type.direction === 'import' ? { originCountry: 'CN' } : { destinationCountry: 'JP' }
  const payload: Record<string, unknown> = {
    lines: [{ hsCode, description: `Goods under ${hsCode}`, quantity: 25.5, unit: 'TNE', value: 125000, currency: 'USD', ...country }],
    [type.direction === 'import' ? 'portOfDischarge' : 'portOfLoading']: 'IDTPP',
    shipmentPeriod: { from: '2027-01-04', to: '2027-03-31' },
  }
  const properties = (type.payloadSchema.properties ?? {}) as Record<string, unknown>
  if ('pertekNumber' in properties) payload.pertekNumber = 'B/123/IND/PI/2026'
  if ('pertekDate' in properties) payload.pertekDate = '2026-11-20'
  if ('rkabNumber' in properties) payload.rkabNumber = 'T-456/MB.04/DJB.B/2026'
  if ('purpose' in properties) payload.purpose = 'Raw material for our own production'
  if ('surveyorNib' in properties) payload.surveyorNib = '8120000000099'
  return payload
}

t.test('the fixture holds the types the issue asks for, each complete', async (t) => {
  const types = registry.list()
  t.ok(types.length >= 5, `${types.length} types`)
  t.ok(types.some((type) => type.direction === 'import' && !type.certificateKind), 'an import approval')
  t.ok(types.some((type) => type.direction === 'export' && !type.certificateKind), 'an export approval')
  t.ok(types.some((type) => type.certificateKind === 'transactional'), 'a transactional Surat Keterangan')
  t.ok(types.some((type) => type.certificateKind === 'periodic'), 'a periodic Surat Keterangan')
  t.ok(types.some((type) => type.surveyorVerification), 'one needs a surveyor')
  t.ok(types.some((type) => !type.surveyorVerification), 'one needs none')
  t.ok(types.some((type) => type.requiredDocuments.some((document) => document.type === 'PERTEK')), 'one needs a Pertek')
  const transactional = types.find((type) => type.certificateKind === 'transactional')!
  t.same(transactional.reportingObligation.kind, 'after_validity')
  t.equal((transactional.reportingObligation as { workingDays: number }).workingDays, 15)
  for (const type of types) {
    t.equal(type.menu, 'SSM_PERIZINAN', `${type.code} menu`)
    t.equal(type.businessType, type.direction === 'import' ? 'IMPORTER' : 'EXPORTER', `${type.code} business type fits its direction`)
    t.ok(type.name.en && type.name.id, `${type.code} named in both languages`)
    t.equal(registry.get(type.code), type, `${type.code} found by code`)
  }
  t.equal(registry.get('NOPE'), undefined, 'unknown code')
})

t.test('list() hands out a copy: a caller cannot change the registry', async (t) => {
  const list = registry.list()
  list.pop()
  t.equal(registry.list().length, list.length + 1)
  t.throws(() => {
    ;(registry.get('PI-BAJA') as { slaWorkingDays: number }).slaWorkingDays = 99
  }, 'types are frozen')
})

t.test('each type accepts a good payload and refuses bad ones at the right pointer', async (t) => {
  for (const type of registry.list()) {
    const good = goodPayload(type)
    t.same(registry.validatePayload(type.code, good), [], `${type.code}: good payload`)
    const line = (good.lines as Record<string, unknown>[])[0]!
    const countryKey = type.direction === 'import' ? 'originCountry' : 'destinationCountry'
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['HS code of 5 digits', { ...good, lines: [{ ...line, hsCode: '72085' }] }, '/payload/lines/0/hsCode', 'pattern'],
      ['HS code of 9 digits', { ...good, lines: [{ ...line, hsCode: '720851001' }] }, '/payload/lines/0/hsCode', 'pattern'],
      ['quantity 0', { ...good, lines: [{ ...line, quantity: 0 }] }, '/payload/lines/0/quantity', 'exclusiveMinimum'],
      ['negative value', { ...good, lines: [{ ...line, value: -1 }] }, '/payload/lines/0/value', 'exclusiveMinimum'],
      ['unknown unit', { ...good, lines: [{ ...line, unit: 'XYZ' }] }, '/payload/lines/0/unit', 'enum'],
      ['currency in lower case', { ...good, lines: [{ ...line, currency: 'usd' }] }, '/payload/lines/0/currency', 'pattern'],
      ['country of 3 letters', { ...good, lines: [{ ...line, [countryKey]: 'CHN' }] }, `/payload/lines/0/${countryKey}`, 'maxLength'],
      ['no lines', { ...good, lines: [] }, '/payload/lines', 'minItems'],
      ['missing shipment period', { ...good, shipmentPeriod: undefined }, '/payload/shipmentPeriod', 'required'],
      ['date not a date', { ...good, shipmentPeriod: { from: '2027-02-30', to: '2027-03-31' } }, '/payload/shipmentPeriod/from', 'format'],
      ['an unknown field', { ...good, nib: '8120000000001' }, '/payload/nib', 'additionalProperties'],
    ]
    for (const [name, payload, pointer, reason] of cases) {
      const errors = registry.validatePayload(type.code, JSON.parse(JSON.stringify(payload)))
      t.ok(errors.some((error) => error.pointer === pointer && error.reason === reason), `${type.code}: ${name} → ${pointer} ${reason}`, { errors })
      t.ok(errors.every((error) => error.detail.en && error.detail.id), `${type.code}: ${name}: details in both languages`)
    }
  }
})

t.test('a port that is not a UN/LOCODE names the port field in plain words', async (t) => {
  const payload = { ...goodPayload(registry.get('PI-BAJA')!), portOfDischarge: 'tpp01' }
  const [error] = registry.validatePayload('PI-BAJA', payload)
  t.same(error?.pointer, '/payload/portOfDischarge')
  t.match(error?.detail.en, /UN\/LOCODE/)
  t.match(error?.detail.id, /UN\/LOCODE/)
})

t.test('both HS code forms are accepted and normalise to the same digits', async (t) => {
  const type = registry.get('PI-BAJA')!
  const good = goodPayload(type)
  const line = (good.lines as Record<string, unknown>[])[0]!
  for (const hsCode of ['7208.51.00', '72085100', '7208.51.00.10', '7208510010']) {
    t.same(registry.validatePayload(type.code, { ...good, lines: [{ ...line, hsCode }] }), [], hsCode)
  }
  t.equal(normaliseHsCode('0901.11.10'), '09011110')
  t.equal(normaliseHsCode('09011110'), '09011110')
  t.equal(normaliseHsCode('7208.51.00.10'), '7208510010')
})

t.test('isHsCodeAllowed: prefixes of the type, in either written form; an empty list allows any', async (t) => {
  const steel = registry.get('PI-BAJA')!
  t.equal(isHsCodeAllowed(steel, '7208.51.00'), true)
  t.equal(isHsCodeAllowed(steel, '72085100'), true)
  t.equal(isHsCodeAllowed(steel, '0901.11.10'), false, 'coffee is not steel')
  const sugar = registry.get('PI-GULA')!
  t.equal(isHsCodeAllowed(sugar, '1701.14.00'), true, 'an 8-digit prefix')
  t.equal(isHsCodeAllowed(sugar, '1701.91.00'), false, 'refined sugar is not covered')
  t.equal(isHsCodeAllowed(registry.get('SK-TRANSAKSI')!, '0901.11.10'), true)
})

t.test('every invalid field of an ordinary payload is listed', async (t) => {
  const type = registry.get('PE-BATUBARA')!
  const good = goodPayload(type)
  const line = (good.lines as Record<string, unknown>[])[0]!
  const errors = registry.validatePayload(type.code, { ...good, lines: [{ ...line, quantity: -5, currency: 'rupiah' }] })
  t.same(errors.map((error) => error.pointer).sort(), ['/payload/lines/0/currency', '/payload/lines/0/currency', '/payload/lines/0/quantity'])
})

t.test('unbounded input is refused at its size, with one error', async (t) => {
  const type = registry.get('PI-BAJA')!
  const good = goodPayload(type)
  const line = (good.lines as Record<string, unknown>[])[0]!
  const manyLines = registry.validatePayload(type.code, { ...good, lines: Array.from({ length: 200_000 }, () => ({ ...line, hsCode: 'bad' })) })
  t.same(manyLines, [{ pointer: '/payload/lines', reason: 'maxItems', detail: { en: 'must have at most 100 items', id: 'maksimal 100 item' } }])
  const longText = registry.validatePayload(type.code, { ...good, lines: [{ ...line, description: 'x'.repeat(5_000_000) }] })
  t.same(longText.map((error) => [error.pointer, error.reason]), [['/payload/lines/0/description', 'maxLength']])
  const longHs = registry.validatePayload(type.code, { ...good, lines: [{ ...line, hsCode: '1'.repeat(1_000_000) }] })
  t.same(longHs.map((error) => [error.pointer, error.reason]), [['/payload/lines/0/hsCode', 'maxLength']], 'length is checked before the pattern')
})

t.test('non-object payloads and unknown codes are refused, not thrown', async (t) => {
  for (const payload of [null, 'text', 42, [], undefined]) {
    const errors = registry.validatePayload('SK-TRANSAKSI', payload)
    t.ok(errors.length > 0 && errors[0]!.pointer.startsWith('/payload'), `${JSON.stringify(payload)} refused`)
  }
  t.same(registry.validatePayload('NOPE', {}).map((error) => [error.pointer, error.reason]), [['/permitType', 'enum']])
})

t.test('a broken fixture stops the start with one line naming the entry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'permit-types-'))
  const fixture = JSON.parse(readFileSync(DEFAULT_PERMIT_TYPES_PATH, 'utf8')) as { permitTypes: Record<string, unknown>[] }
  const write = (mutate: (types: Record<string, unknown>[]) => void) => {
    const copy = structuredClone(fixture)
    mutate(copy.permitTypes)
    const path = join(dir, `types-${Math.random().toString(36).slice(2)}.json`)
    writeFileSync(path, JSON.stringify(copy))
    return path
  }
  const cases: [string, (types: Record<string, unknown>[]) => void, RegExp][] = [
    ['a missing SLA', (types) => delete types[2]!.slaWorkingDays, /entry #2 \(PI-GULA\): slaWorkingDays/],
    ['a duplicate code', (types) => (types[1]!.code = types[0]!.code), /entry #1 \(PI-BAJA\): code is used twice/],
    ['an unbounded string', (types) => ((types[0]!.payloadSchema as { properties: Record<string, unknown> }).properties.notes = { type: 'string' }), /entry #0 \(PI-BAJA\).*notes: a string without maxLength/],
    ['an unbounded array', (types) => ((types[3]!.payloadSchema as { properties: { lines: Record<string, unknown> } }).properties.lines.maxItems = undefined), /entry #3 \(PE-BATUBARA\).*lines: an array without maxItems/],
    ['a schema that does not compile', (types) => ((types[4]!.payloadSchema as Record<string, unknown>).type = 'thing'), /entry #4 \(PE-SAWIT\): payloadSchema does not compile/],
    ['an unknown schema keyword', (types) => ((types[4]!.payloadSchema as Record<string, unknown>).maxLenght = 3), /entry #4 \(PE-SAWIT\): payloadSchema does not compile/],
    ['a wrong menu', (types) => (types[5]!.menu = 'OTHER'), /entry #5 \(SK-TRANSAKSI\): menu/],
    ['lines without an HS code', (types) => delete (types[6]!.payloadSchema as { properties: { lines: { items: { properties: Record<string, unknown> } } } }).properties.lines.items.properties.hsCode, /entry #6 \(SK-BERKALA\): payloadSchema must require commodity lines/],
  ]
  for (const [name, mutate, message] of cases) {
    const path = write(mutate)
    t.throws(() => loadPermitTypes(path), { message }, name)
    try {
      loadPermitTypes(path)
    } catch (error) {
      t.notOk((error as Error).message.includes('\n'), `${name}: one line`)
    }
  }
  const notJson = join(dir, 'broken.json')
  writeFileSync(notJson, '{ "permitTypes": [')
  t.throws(() => loadPermitTypes(notJson), { message: /cannot be read as JSON/ })
})
