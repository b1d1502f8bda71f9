/**
 * The sandbox identities: the schema of `fixtures/sandbox-identities.json`, its loader, and the
 * mutable in-memory store the three stubs read from (testers change it at run time through the
 * control API, `POST /__sandbox/reset` puts the file's content back).
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Type, type Static } from 'typebox'
import { NIB_PATTERN, NIK_PATTERN, NPWP_PATTERN } from './identifiers.ts'
import { schemaProblems } from './schema-problems.ts'

export const DEFAULT_FIXTURES_PATH = fileURLToPath(new URL('../../fixtures/sandbox-identities.json', import.meta.url))

// Fixtures are hand-written: unknown keys are refused so that a typo ("failtimes") fails loudly
// instead of silently meaning "normal".
const strict = { additionalProperties: false } as const
const Text = Type.String({ minLength: 1, maxLength: 500 })
// Up to an hour: a drill's 10 s stall at a time scale of 0.01 is 1,000,000 ms before scaling.
const Millis = Type.Integer({ minimum: 0, maximum: 3_600_000 })

const Mode = Type.Union([Type.Literal('normal'), Type.Literal('slow'), Type.Literal('flaky'), Type.Literal('unreliable'), Type.Literal('down')])

/** How an upstream misbehaves for one identity; the same knobs in every section. */
const behaviour = {
  mode: Type.Optional(Mode),
  /** `slow`: added to every response (before `timeScale`). Default 3000. */
  delayMs: Type.Optional(Millis),
  /** `flaky`: how many attempts per idempotency key (or per URL for GETs) answer 503. Default 2. */
  failTimes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  /** `down`: destroy the socket instead of answering 503. */
  hangUp: Type.Optional(Type.Boolean()),
  /** `unreliable`: the share of attempts that fail at random (half before the work, half after it). Default 0.3. */
  failureRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
}

const BusinessType = Type.Union([
  Type.Literal('IMPORTER'), Type.Literal('EXPORTER'), Type.Literal('CARRIER'), Type.Literal('KEK'),
])

const Address = Type.Object({
  street: Text,
  city: Text,
  province: Text,
  postalCode: Type.String({ pattern: '^\\d{5}$' }),
}, strict)

const PersonInCharge = Type.Object({
  name: Text,
  nik: Type.String({ pattern: NIK_PATTERN }),
  position: Text,
}, strict)

const OssSection = Type.Object({
  /** false: OSS does not know the NIB (404), whatever else the entry says. */
  found: Type.Boolean(),
  name: Type.Optional(Text),
  legalForm: Type.Optional(Text),
  businessTypes: Type.Optional(Type.Array(BusinessType, { minItems: 1 })),
  address: Type.Optional(Address),
  kbli: Type.Optional(Type.Array(Type.Object({ code: Type.String({ pattern: '^\\d{5}$' }), title: Text }, strict))),
  personsInCharge: Type.Optional(Type.Array(PersonInCharge, { minItems: 1 })),
  lastChangedAt: Type.Optional(Type.String({ format: 'date-time' })),
  ...behaviour,
}, strict)

const DjpSection = Type.Object({
  status: Type.Union([Type.Literal('VALID'), Type.Literal('INVALID'), Type.Literal('NOT_FOUND')]),
  /** Defaults to the OSS name. */
  taxpayerName: Type.Optional(Text),
  /** Why an INVALID NPWP is not in good standing. */
  reason: Type.Optional(Text),
  ...behaviour,
}, strict)

const InatradeSection = Type.Object({
  /** Default APPROVED. */
  outcome: Type.Optional(Type.Union([Type.Literal('APPROVED'), Type.Literal('REJECTED')])),
  rejectionReason: Type.Optional(Text),
  /** [RECEIVED → UNDER_REVIEW, UNDER_REVIEW → outcome], before `timeScale`. Default [2000, 3000]. */
  stepDelaysMs: Type.Optional(Type.Array(Millis, { minItems: 2, maxItems: 2 })),
  ...behaviour,
}, strict)

export const SandboxIdentitySchema = Type.Object({
  /** Absent only for organisations registered by NPWP alone (foundations, BUMN without NIB). */
  nib: Type.Optional(Type.String({ pattern: NIB_PATTERN })),
  label: Text,
  oss: Type.Optional(OssSection),
  npwp: Type.Optional(Type.String({ pattern: NPWP_PATTERN })),
  djp: Type.Optional(DjpSection),
  inatrade: Type.Optional(InatradeSection),
}, strict)

export type SandboxIdentity = Static<typeof SandboxIdentitySchema>
export type UpstreamMode = Static<typeof Mode>
export interface UpstreamBehaviour {
  mode?: UpstreamMode
  delayMs?: number
  failTimes?: number
  hangUp?: boolean
  failureRate?: number
}

const OSS_FIELDS_WHEN_FOUND = ['name', 'legalForm', 'businessTypes', 'address', 'kbli', 'personsInCharge', 'lastChangedAt'] as const

export class SandboxFixtureError extends Error {
  readonly problems: string[]
  constructor(message: string, problems: string[] = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'SandboxFixtureError'
    this.problems = problems
  }
}

/** The store key: the NIB, or the NPWP for an identity without one. */
export function identityKey(identity: SandboxIdentity): string {
  return identity.nib ?? identity.npwp ?? ''
}

/** Human-readable problems with one candidate identity; empty when it is valid. */
export function identityProblems(value: unknown): string[] {
  const problems = schemaProblems(SandboxIdentitySchema, value, 'entry')
  return problems.length > 0 ? problems : ruleProblems(value as SandboxIdentity)
}

function ruleProblems(identity: SandboxIdentity): string[] {
  const problems: string[] = []
  if (!identity.nib && !identity.npwp) problems.push('entry needs a nib or an npwp')
  if (identity.oss && !identity.nib) problems.push('/oss needs a nib')
  if (identity.oss?.found) {
    const missing = OSS_FIELDS_WHEN_FOUND.filter((field) => identity.oss![field] === undefined)
    if (missing.length > 0) problems.push(`/oss is found but lacks ${missing.join(', ')}`)
  }
  if (identity.djp && identity.djp.status !== 'NOT_FOUND') {
    if (!identity.npwp) problems.push(`/djp status ${identity.djp.status} needs an npwp`)
    if (!identity.djp.taxpayerName && !identity.oss?.name) problems.push('/djp needs a taxpayerName (no OSS name to fall back on)')
  }
  if (identity.inatrade && !identity.nib) problems.push('/inatrade needs a nib (applications are filed by NIB)')
  return problems
}

function describeEntry(entry: unknown): string {
  if (typeof entry !== 'object' || entry === null) return ''
  const { nib, npwp, label } = entry as Record<string, unknown>
  const id = typeof nib === 'string' ? `nib ${nib}` : typeof npwp === 'string' ? `npwp ${npwp}` : 'no nib/npwp'
  return typeof label === 'string' ? ` (${id}, "${label}")` : ` (${id})`
}

/** Validates a parsed fixtures document; throws one error listing every bad entry. */
export function parseFixtures(document: unknown, source = 'sandbox fixtures'): SandboxIdentity[] {
  if (!Array.isArray(document)) {
    throw new SandboxFixtureError(`${source}: must be a JSON array of identities`)
  }
  const problems: string[] = []
  const keys = new Map<string, number>()
  const npwps = new Map<string, number>()
  document.forEach((entry: unknown, index) => {
    const entryProblems = identityProblems(entry)
    if (entryProblems.length > 0) {
      problems.push(`entry #${index}${describeEntry(entry)}: ${entryProblems.join('; ')}`)
      return
    }
    const identity = entry as SandboxIdentity
    const key = identityKey(identity)
    if (keys.has(key)) problems.push(`entry #${index}${describeEntry(entry)}: duplicates the key of entry #${keys.get(key)}`)
    else keys.set(key, index)
    if (identity.npwp) {
      if (npwps.has(identity.npwp)) problems.push(`entry #${index}${describeEntry(entry)}: npwp already used by entry #${npwps.get(identity.npwp)}`)
      else npwps.set(identity.npwp, index)
    }
  })
  if (problems.length > 0) {
    throw new SandboxFixtureError(`${source}: invalid sandbox identities\n  - ${problems.join('\n  - ')}`, problems)
  }
  return document as SandboxIdentity[]
}

export async function loadFixtures(path: string | URL = DEFAULT_FIXTURES_PATH): Promise<SandboxIdentity[]> {
  const source = typeof path === 'string' ? path : fileURLToPath(path)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new SandboxFixtureError(`${source}: cannot read sandbox fixtures (${(error as Error).message})`, [], { cause: error })
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new SandboxFixtureError(`${source}: not valid JSON (${(error as Error).message})`, [], { cause: error })
  }
  return parseFixtures(document, source)
}

export class IdentityConflictError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'IdentityConflictError'
  }
}

/**
 * The identities the stubs answer from. One store is shared by the three stubs of a sandbox, so
 * an identity changed through any stub's control API is seen by all of them.
 */
export class IdentityStore {
  readonly #initial: readonly SandboxIdentity[]
  readonly #byKey = new Map<string, SandboxIdentity>()

  constructor(initial: readonly SandboxIdentity[]) {
    // Copies both ways: run-time edits must never leak into what `reset` restores.
    this.#initial = structuredClone(initial)
    this.reset()
  }

  reset(): void {
    this.#byKey.clear()
    for (const identity of this.#initial) this.#byKey.set(identityKey(identity), structuredClone(identity))
  }

  list(): SandboxIdentity[] {
    return [...this.#byKey.values()]
  }

  get(key: string): SandboxIdentity | undefined {
    return this.#byKey.get(key)
  }

  byNib(nib: string): SandboxIdentity | undefined {
    const identity = this.#byKey.get(nib)
    return identity?.nib === nib ? identity : undefined
  }

  byNpwp(npwp: string): SandboxIdentity | undefined {
    for (const identity of this.#byKey.values()) if (identity.npwp === npwp) return identity
    return undefined
  }

  /** Adds or replaces an already validated identity; `created` tells which. */
  put(identity: SandboxIdentity): { created: boolean } {
    const key = identityKey(identity)
    const holder = identity.npwp ? this.byNpwp(identity.npwp) : undefined
    if (holder && identityKey(holder) !== key) {
      throw new IdentityConflictError(`npwp ${identity.npwp} already belongs to identity ${identityKey(holder)}`)
    }
    const created = !this.#byKey.has(key)
    this.#byKey.set(key, structuredClone(identity))
    return { created }
  }
}
