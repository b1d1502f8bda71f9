import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import {
  DEFAULT_FIXTURES_PATH, IdentityConflictError, IdentityStore, loadFixtures, parseFixtures, SandboxFixtureError,
  type SandboxIdentity,
} from '../../src/sandbox/fixtures.ts'
import { upstreamDefaults } from '../../src/upstreams/index.ts'
import { NIB } from './helpers.ts'

t.test('the shipped fixtures load and cover every scripted outcome', async (t) => {
  const identities = await loadFixtures()
  const byNib = (nib: string) => identities.find((identity) => identity.nib === nib)
  t.equal(byNib(NIB.approved)?.inatrade?.outcome, 'APPROVED')
  t.equal(byNib(NIB.rejected)?.inatrade?.outcome, 'REJECTED')
  t.ok(byNib(NIB.rejected)?.inatrade?.rejectionReason)
  t.equal(byNib(NIB.ossUnknown)?.oss?.found, false)
  t.equal(byNib(NIB.npwpInvalid)?.djp?.status, 'INVALID')
  t.equal(byNib(NIB.npwpNotFound)?.djp?.status, 'NOT_FOUND')
  t.equal(byNib(NIB.slow)?.inatrade?.mode, 'slow')
  t.equal(byNib(NIB.flaky)?.inatrade?.mode, 'flaky')
  t.equal(byNib(NIB.down)?.inatrade?.mode, 'down')
  t.equal(byNib(NIB.hangUp)?.inatrade?.hangUp, true)
  t.ok(byNib(NIB.exporter)?.oss?.businessTypes?.includes('EXPORTER'))
  t.equal(byNib(NIB.bumn)?.oss?.legalForm, 'PERSERO')
  t.ok(identities.some((identity) => !identity.nib && identity.npwp && identity.djp?.status === 'VALID'), 'a foundation known by NPWP only')
})

t.test('OSS slow is slow but within the gateway\'s OSS timeout, so it can succeed', async (t) => {
  const identities = await loadFixtures()
  const slow = identities.find((identity) => identity.nib === NIB.ossSlow)?.oss as { mode?: string; delayMs?: number } | undefined
  t.equal(slow?.mode, 'slow')
  t.ok(slow?.delayMs !== undefined && slow.delayMs >= 1000, 'noticeably slow')
  t.ok(slow?.delayMs !== undefined && slow.delayMs < upstreamDefaults.lookupMs - 500, `${slow?.delayMs} ms leaves room under the ${upstreamDefaults.lookupMs} ms timeout`)
})

t.test('the shipped identities are synthetic, well-formed and distinct', async (t) => {
  const identities = await loadFixtures()
  const nibs = identities.flatMap((identity) => (identity.nib ? [identity.nib] : []))
  const npwps = identities.flatMap((identity) => (identity.npwp ? [identity.npwp] : []))
  const niks = identities.flatMap((identity) => identity.oss?.personsInCharge?.map((person) => person.nik) ?? [])
  t.ok(nibs.every((nib) => /^81200000000\d\d$/.test(nib)), 'NIBs are 81200000000xx')
  t.equal(new Set(nibs).size, nibs.length, 'NIBs are unique')
  t.equal(new Set(npwps).size, npwps.length, 'NPWPs are unique')
  t.equal(new Set(niks).size, niks.length, 'NIKs are unique')
  t.ok(niks.every((nik) => /^\d{4}00\d{10}$/.test(nik)), 'NIKs use the non-existent district 00')
  t.equal(new Set(identities.map((identity) => identity.label)).size, identities.length, 'labels are unique')
})

t.test('fixtures/README.md documents every identity', async (t) => {
  const readme = await readFile(path.join(path.dirname(DEFAULT_FIXTURES_PATH), 'README.md'), 'utf8')
  for (const identity of await loadFixtures()) {
    if (identity.nib) t.match(readme, `| ${identity.nib} |`, `README lists NIB ${identity.nib}`)
    if (identity.npwp) t.match(readme, `| ${identity.npwp} |`, `README lists NPWP ${identity.npwp}`)
    for (const person of identity.oss?.personsInCharge ?? []) t.match(readme, person.nik, `README lists NIK of ${person.name}`)
  }
})

const good: SandboxIdentity = {
  nib: '8120000000099',
  label: 'Test importer',
  oss: {
    found: true,
    name: 'PT Uji Coba',
    legalForm: 'PT',
    businessTypes: ['IMPORTER'],
    address: { street: 'Jl. Uji No. 1', city: 'Kota Bogor', province: 'Jawa Barat', postalCode: '16111' },
    kbli: [{ code: '46900', title: 'Perdagangan Besar Berbagai Macam Barang' }],
    personsInCharge: [{ name: 'Joko Susilo', nik: '3271000101900001', position: 'Direktur' }],
    lastChangedAt: '2025-01-01T00:00:00Z',
  },
  npwp: '010000000099000',
}

t.test('an invalid entry is refused with a message naming it and the field', async (t) => {
  const bad = { ...good, nib: '8120000000098', label: 'Broken one', djp: { status: 'MAYBE' }, inatrade: { mode: 'normal', failtimes: 2 } }
  const error = t.throws(() => parseFixtures([good, bad], 'test.json')) as SandboxFixtureError
  t.ok(error instanceof SandboxFixtureError)
  t.match(error.message, /^test\.json: invalid sandbox identities/)
  t.match(error.message, 'entry #1 (nib 8120000000098, "Broken one")')
  t.match(error.message, '/djp/status must be one of "VALID", "INVALID", "NOT_FOUND"')
  t.match(error.message, '/inatrade has unknown field(s) failtimes')
  t.notMatch(error.message, 'entry #0', 'the valid entry is not blamed')
})

t.test('the rules beyond the schema are enforced', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['bad NIB shape', { ...good, nib: '81200' }, '/nib must match pattern'],
    ['found without profile', { ...good, oss: { found: true, name: 'PT X' } }, '/oss is found but lacks legalForm, businessTypes'],
    ['neither nib nor npwp', { label: 'Nobody' }, 'entry needs a nib or an npwp'],
    ['inatrade without nib', { label: 'Yayasan', npwp: '010000000098000', inatrade: { outcome: 'APPROVED' } }, '/inatrade needs a nib'],
    ['djp VALID without a name', { nib: '8120000000097', label: 'No name', npwp: '010000000097000', djp: { status: 'VALID' } }, '/djp needs a taxpayerName'],
    ['bad NIK', { ...good, oss: { ...good.oss, personsInCharge: [{ name: 'A', nik: '123', position: 'Direktur' }] } }, '/oss/personsInCharge/0/nik must match pattern'],
    ['not an object', 'hello', 'entry must be object'],
  ]
  for (const [name, entry, expected] of cases) {
    t.throws(() => parseFixtures([entry]), { message: new RegExp(expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) }, name)
  }
  t.throws(() => parseFixtures([good, { ...good, label: 'Twin' }]), { message: /entry #1 .*duplicates the key of entry #0/ })
  t.throws(() => parseFixtures([good, { ...good, nib: '8120000000096', label: 'Same NPWP' }]), { message: /npwp already used by entry #0/ })
  t.throws(() => parseFixtures({ identities: [] }), { message: /must be a JSON array/ })
})

t.test('loadFixtures reports unreadable and malformed files by path', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sandbox-fixtures-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const broken = path.join(dir, 'broken.json')
  await writeFile(broken, '[{ "nib": ')
  await t.rejects(loadFixtures(broken), { name: 'SandboxFixtureError', message: new RegExp(`^${broken}: not valid JSON`) })
  await t.rejects(loadFixtures(path.join(dir, 'missing.json')), { name: 'SandboxFixtureError', message: /cannot read sandbox fixtures/ })
  const valid = path.join(dir, 'valid.json')
  await writeFile(valid, JSON.stringify([good]))
  t.same(await loadFixtures(valid), [good])
})

t.test('IdentityStore: lookups, put, conflicts and reset', async (t) => {
  const foundation: SandboxIdentity = { label: 'Yayasan', npwp: '010000000095000', djp: { status: 'VALID', taxpayerName: 'YAYASAN UJI' } }
  const initial = [good, foundation]
  const store = new IdentityStore(initial)
  t.equal(store.byNib(good.nib!)?.label, 'Test importer')
  t.equal(store.byNpwp(good.npwp!)?.nib, good.nib)
  t.equal(store.get(foundation.npwp!)?.label, 'Yayasan', 'an identity without NIB is keyed by NPWP')
  t.equal(store.byNib(foundation.npwp!), undefined, 'an NPWP key is not an NIB')

  store.byNib(good.nib!)!.label = 'mutated in place'
  t.same(store.put({ ...good, label: 'Replaced' }), { created: false })
  t.same(store.put({ ...good, nib: '8120000000090', npwp: '010000000090000', label: 'New' }), { created: true })
  t.throws(() => store.put({ ...good, nib: '8120000000091', label: 'Thief' }), IdentityConflictError)
  t.equal(store.list().length, 3)

  store.reset()
  t.equal(store.list().length, 2)
  t.equal(store.byNib(good.nib!)?.label, 'Test importer', 'reset undoes in-place edits too')
  t.equal(initial[0]?.label, 'Test importer', 'the caller\'s array is never touched')
})
