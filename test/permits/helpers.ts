/**
 * Permit test fixtures: the app with its job engine wrapped to record what was enqueued (and to
 * fail an enqueue on demand, after pg-boss wrote the job in the caller's transaction), sandbox
 * organisations with their machine clients, and valid payloads.
 */
import type { FastifyInstance } from 'fastify'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import type { Executor, SendOptions } from '../../src/jobs/types.ts'
import { buildTestApp, setupTestContext, type TestContext } from '../helpers/app.ts'
import { api, createOrg, type TestOrg } from '../helpers/orgs.ts'
import { tokenMinter, type TokenMinter } from '../helpers/tokens.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface RecordedJob {
  queue: string
  data: Record<string, unknown>
}

export interface JobRecorder {
  /** Every send that was called (committed or not). */
  sent: RecordedJob[]
  /** Makes the next enqueue fail (the transaction, or the one statement, must store nothing). */
  failNext(): void
  /** Jobs of a queue that were committed, by permit id. */
  committed(queue: string, permitId: string): Promise<number>
}

function recordJobs(app: FastifyInstance, db: Kysely<Database>): JobRecorder {
  const sent: RecordedJob[] = []
  let fail = false
  const realSend = app.jobs.send.bind(app.jobs)
  app.jobs.send = async (executor: Executor, queue: string, data: object, options?: SendOptions): Promise<string | null> => {
    sent.push({ queue, data: data as Record<string, unknown> })
    const id = await realSend(executor, queue, data, options)
    if (fail) {
      fail = false
      throw new Error('enqueue failed (test)')
    }
    return id
  }
  // The submission folds its job into its one statement (JobEngine.insertStatement): recorded the same way.
  const realInsert = app.jobs.insertStatement.bind(app.jobs)
  app.jobs.insertStatement = async <T extends object>(queue: string, data: T, options?: SendOptions) => {
    sent.push({ queue, data: data as Record<string, unknown> })
    const statement = await realInsert(queue, data, options)
    if (fail && statement) {
      fail = false
      // Not JSON: the statement, and with it the permit and its events, fails as one.
      return { ...statement, param: 'enqueue failed (test)' }
    }
    return statement
  }
  return {
    sent,
    failNext: () => {
      fail = true
    },
    async committed(queue, permitId) {
      const result = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = ${queue} and data->>'permitId' = ${permitId}`.execute(db)
      return result.rows[0]!.n
    },
  }
}

export interface PermitTest {
  context: TestContext
  app: FastifyInstance
  db: Kysely<Database>
  minter: TokenMinter
  jobs: JobRecorder
}

export async function setupPermitTest(t: Teardown, options: Parameters<typeof buildTestApp>[2] = {}): Promise<PermitTest> {
  const context = await setupTestContext(t)
  const db = context.database.handle.db
  // The API's tests look at what a request enqueues; the journey's tests (forwarding, callbacks,
  // journey-engine) run the workers. Here no worker takes a job, so a permit stays as the API left it.
  const app = await buildTestApp(t, context, { ...options, env: { JOB_WORKERS: 'false', ...options.env } })
  const jobs = recordJobs(app, db)
  await app.ready()
  return { context, app, db, minter: tokenMinter(app), jobs }
}

/** A token of the organisation's sandbox machine client of that kind, with the given scopes. */
export function clientToken(minter: TokenMinter, org: TestOrg, kind: 'inhouse' | 'surveyor' | 'insurer', scope: string): string {
  const client = org.clients.find((candidate) => candidate.kind === kind)
  if (!client) throw new Error(`no ${kind} client`)
  return minter.forClient(client.clientId, { scope })
}

export { api, createOrg }

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000 + 7 * 3_600_000).toISOString().slice(0, 10)

export function sugarLine(overrides: Record<string, unknown> = {}) {
  return { hsCode: '1701.14.00', description: 'Raw cane sugar for refining', quantity: 5000, unit: 'TNE', value: 2750000, currency: 'USD', originCountry: 'TH', ...overrides }
}

/** A valid PI-GULA (sugar import approval: importer, no surveyor) submission. */
export function sugarImport(clientReference: string, overrides: { payload?: Record<string, unknown>; [name: string]: unknown } = {}) {
  const { payload, ...rest } = overrides
  return {
    permitType: 'PI-GULA',
    clientReference,
    payload: {
      lines: [sugarLine()],
      portOfDischarge: 'IDTPP',
      shipmentPeriod: { from: day(30), to: day(90) },
      pertekNumber: 'PERTEK-IND/2026/118',
      pertekDate: day(-10),
      ...payload,
    },
    documents: [
      { type: 'NIB', name: 'nib.pdf' },
      { type: 'PROFORMA_INVOICE', name: 'proforma.pdf' },
      { type: 'PERTEK', name: 'pertek.pdf' },
    ],
    ...rest,
  }
}

/** Counts rows that a refused submission must not leave. */
export async function storedCounts(db: Kysely<Database>, organisationId: string) {
  const permits = await db.selectFrom('permits').select(sql<number>`count(*)::int`.as('n')).where('organisation_id', '=', organisationId).executeTakeFirstOrThrow()
  const events = await db.selectFrom('permit_events').select(sql<number>`count(*)::int`.as('n')).where('organisation_id', '=', organisationId).executeTakeFirstOrThrow()
  return { permits: permits.n, events: events.n }
}

/** The sandbox stubs' control API (journal, identities, reset). */
export function sandboxControl(context: TestContext) {
  const base = context.sandbox.ossUrl
  const stubs = { oss: context.sandbox.ossUrl, djp: context.sandbox.djpUrl, inatrade: context.sandbox.inatradeUrl }
  return {
    /** Each stub keeps its own journal. */
    async journal(stub: keyof typeof stubs): Promise<{ method: string; url: string }[]> {
      return (await fetch(`${stubs[stub]}/__sandbox/requests`)).json() as Promise<{ method: string; url: string }[]>
    },
    async clearJournals() {
      await Promise.all(Object.values(stubs).map((url) => fetch(`${url}/__sandbox/requests`, { method: 'DELETE' })))
    },
    async identity(key: string): Promise<Record<string, unknown>> {
      return (await fetch(`${base}/__sandbox/identities/${key}`)).json() as Promise<Record<string, unknown>>
    },
    async putIdentity(key: string, entry: Record<string, unknown>) {
      const response = await fetch(`${base}/__sandbox/identities/${key}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry) })
      if (response.status >= 300) throw new Error(`identity not scripted: ${response.status} ${await response.text()}`)
    },
    async reset() {
      await fetch(`${base}/__sandbox/reset`, { method: 'POST' })
    },
  }
}
