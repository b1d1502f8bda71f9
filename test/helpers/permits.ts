/**
 * Permit rows for tests of the INATRADE side of the journey, inserted directly (the submission
 * route is another module's), and the plumbing those tests share: journey deps over the test
 * context, a fake job engine that records what was sent, a RetryLater stand-in, and event reads.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import type { JobContext, JobEngine, SendOptions } from '../../src/jobs/types.ts'
import type { JourneyDeps } from '../../src/modules/permits/journey-deps.ts'
import type { Upstreams } from '../../src/upstreams/index.ts'

/** The engine's own: the job runs again at `until`, not counted as an attempt. */
export { RetryLater as TestRetryLater } from '../../src/jobs/types.ts'
import { RetryLater } from '../../src/jobs/types.ts'

export interface SentJob {
  queue: string
  data: object
  options?: SendOptions
}

export function recordingJobs(): { sent: SentJob[]; send: JourneyDeps['jobs']['send']; sendMany: JobEngine['sendMany'] } {
  const sent: SentJob[] = []
  return {
    sent,
    async send(_executor, queue, data, options) {
      sent.push({ queue, data, options })
      return `job-${sent.length}`
    },
    async sendMany(_executor, queue, jobs) {
      for (const { data, options } of jobs) sent.push({ queue, data, options })
    },
  }
}

export const silentLog = { info() {}, warn() {}, error() {} }

export function testJourneyDeps(db: Kysely<Database>, upstreams: Upstreams, overrides: Partial<JourneyDeps> = {}): JourneyDeps & { sent: SentJob[] } {
  const jobs = recordingJobs()
  return {
    db,
    inatrade: upstreams.inatrade,
    oss: upstreams.oss,
    inatradeBreaker: () => upstreams.breakerStates().inatrade,
    jobs,
    retryLater: (until, reason) => new RetryLater(until, reason),
    publicUrl: 'http://gateway.test',
    licence: {},
    maxDeferredAttempts: 20,
    log: silentLog,
    ...overrides,
    sent: jobs.sent,
  }
}

export function jobContext(retryCount = 0, isLastAttempt = false): JobContext {
  return { id: `job-${randomBytes(4).toString('hex')}`, retryCount, isLastAttempt }
}

/** The organisation of a sandbox NIB (created once per database). */
export async function insertOrganisation(db: Kysely<Database>, nib: string): Promise<string> {
  const existing = await db.selectFrom('organisations').select('id').where('nib', '=', nib).executeTakeFirst()
  if (existing) return existing.id
  const npwp = `01${nib.slice(-10)}000`
  await db.insertInto('organisations').values({ nib, npwp, name: `PT Uji ${nib.slice(-3)}` }).onConflict((oc) => oc.column('nib').doNothing()).execute()
  const row = await db.selectFrom('organisations').select('id').where('nib', '=', nib).executeTakeFirstOrThrow()
  return row.id
}

let serial = 0

/** A submitted permit of the sandbox NIB (default 8120000000001, approved by the stub), ready to forward. */
export async function insertPermit(db: Kysely<Database>, options: { nib?: string; status?: string; inatradeId?: string; statusChangedAt?: Date } = {}) {
  const nib = options.nib ?? '8120000000001'
  const organisationId = await insertOrganisation(db, nib)
  serial += 1
  const tag = randomBytes(5).toString('hex').toUpperCase()
  const row = await db
    .insertInto('permits')
    .values({
      organisation_id: organisationId,
      reference_number: `PRM-2026-${tag}`,
      permit_type: 'PI-BAJA',
      client_reference: `client-${serial}-${randomBytes(3).toString('hex')}`,
      status: (options.status ?? 'submitted') as never,
      applicant: JSON.stringify({ nib, npwp: `01${nib.slice(-10)}000`.slice(0, 15), name: `PT Uji ${nib.slice(-3)}`, address: null }),
      payload: JSON.stringify({
        lines: [{ hsCode: '7208.51.00', description: 'Hot-rolled steel plate', quantity: 250, unit: 'TNE', value: 180000, currency: 'USD', originCountry: 'CN' }],
        portOfDischarge: 'IDTPP',
        shipmentPeriod: { from: '2027-01-01', to: '2027-03-31' },
      }),
      submission_sha256: randomBytes(32).toString('hex'),
      receipt: 'test.receipt.jws',
      trace_id: randomBytes(16).toString('hex'),
      submitted_by_type: 'client',
      submitted_by_id: 'inhouse-test',
      inatrade_id: options.inatradeId ?? null,
      due_at: new Date(Date.now() + 7 * 86_400_000),
      ...(options.statusChangedAt ? { status_changed_at: options.statusChangedAt, updated_at: options.statusChangedAt } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return row
}

export async function permitOf(db: Kysely<Database>, id: string) {
  return db.selectFrom('permits').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

export async function eventsOf(db: Kysely<Database>, id: string) {
  return db.selectFrom('permit_events').selectAll().where('permit_id', '=', id).orderBy('sequence').execute()
}

/**
 * The stub's journal for one idempotency key: POSTs seen, and how many created an application
 * (202; a replay of the same key answers 200 and creates nothing). Exactly once = created 1.
 */
export async function deliveredCount(inatradeUrl: string, idempotencyKey: string): Promise<{ total: number; created: number; replayed: number }> {
  const response = await fetch(`${inatradeUrl}/__sandbox/requests`)
  const entries = (await response.json()) as { method: string; url: string; headers: Record<string, string>; statusCode: number | null }[]
  const mine = entries.filter((entry) => entry.method === 'POST' && entry.url === '/inatrade/v1/applications' && entry.headers['idempotency-key'] === idempotencyKey)
  return { total: mine.length, created: mine.filter((entry) => entry.statusCode === 202).length, replayed: mine.filter((entry) => entry.statusCode === 200).length }
}

/** Replaces a sandbox identity's INATRADE section (its mode) through the control API. */
export async function setInatradeMode(inatradeUrl: string, nib: string, inatrade: Record<string, unknown>): Promise<void> {
  const current = (await (await fetch(`${inatradeUrl}/__sandbox/identities/${nib}`)).json()) as Record<string, unknown>
  const response = await fetch(`${inatradeUrl}/__sandbox/identities/${nib}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...current, inatrade }),
  })
  if (!response.ok) throw new Error(`identity ${nib} not updated: ${response.status} ${await response.text()}`)
}
