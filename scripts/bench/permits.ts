/**
 * Permits over real sockets (issue 10, item 8), on the PostgreSQL server and Redis, against
 * baselines of the same run:
 *   (a1) bare Fastify storing the same submission JSON (one INSERT), (a2) reading it back (one
 *   SELECT by id); (b) authenticated `POST /v1/permits`, a fresh Idempotency-Key and client
 *   reference each, with INATRADE up and (b↓) with it down; (c) `GET /v1/permits/{id}`;
 *   (d) the INATRADE stub itself taking applications; (e) the gateway draining a backlog of queued
 *   submissions to the stub.
 * Floors: b ≥ 0.6× a1 with b's p99 ≤ 3× a1's; c ≥ 0.6× a2; drain ≥ 0.5× d; ingest with INATRADE
 * down ≥ 0.9× ingest with it up.
 *
 * The drain: one gateway with JOB_WORKERS=false takes BENCH_DRAIN_PERMITS submissions (default
 * 10,000) into a fresh database and stops; a second one with workers starts on that database and
 * the clock runs from its start until no permit is left `submitted`. INATRADE's review is held
 * back for the bench's organisation (BENCH_INATRADE_DECIDES_AFTER_MS) so its callbacks do not
 * land inside a measurement.
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { fmtMicros, fmtRate, fmtRatio, markdownTable, verdict } from './format.ts'
import { json } from './http.ts'
import { requireWrk, type LoadRequest } from './load.ts'
import type { BenchPart } from './part.ts'
import { measureInterleaved, type RoundCase } from './rounds.ts'
import type { Server, startServer } from './servers.ts'
import { openSession } from './session.ts'
import { testOrganisation } from '../../test/helpers/live-gateway.ts'
// The same valid submission the tests send (an import approval for sugar, PI-GULA).
import { sampleSubmission as submissionBody } from '../../test/helpers/permit-submission.ts'

const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 3) || 3)
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3) || 3)
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16) || 16)
const DRAIN_PERMITS = Math.max(100, Number(process.env.BENCH_DRAIN_PERMITS ?? 10_000) || 10_000)
const WARMUP_SECONDS = 1
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const RATE_LIMIT_SCALE = '100000'
const NIB = '8120000000001'
const DRAIN_TIMEOUT_MS = 10 * 60_000
const INGEST_CONCURRENCY = 32
export const CALLBACK_SECRET = 'bench-callback-secret'

export interface Gateway {
  server: Server
  token: string
}

export async function tokenFor(gateway: Server, scope = 'permits:read permits:write'): Promise<string> {
  return (await testOrganisation(gateway.url, NIB, scope)).token
}

export async function submit(gateway: Gateway, clientReference: string): Promise<{ id: string }> {
  const body = await json(`${gateway.server.url}/v1/permits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json', 'idempotency-key': clientReference },
    body: JSON.stringify(submissionBody(clientReference)),
    expect: 202,
  })
  return body.permit as { id: string }
}

/** Switches the sandbox INATRADE of `gateway` between normal and down for the bench's NIB. */
async function setInatradeMode(gateway: Server, mode: 'normal' | 'down'): Promise<void> {
  const url = `${gateway.inatradeUrl}/__sandbox/identities/${NIB}`
  const identity = (await json(url, { expect: 200 })) as { inatrade?: Record<string, unknown> }
  await json(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...identity, inatrade: { ...identity.inatrade, mode } }),
    expect: 200,
  })
}

export function gatewayEnv(databaseUrl: string, sandbox: Server, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...sandbox.upstreams,
    // The stubs run apart (sandbox-server.ts); the gateway keeps its sandbox routes (test organisations).
    SANDBOX: 'true',
    INATRADE_CALLBACK_SECRET: CALLBACK_SECRET,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    RATE_LIMIT_SCALE,
    PUBLIC_URL: 'http://gateway-permits.bench',
    LOG_LEVEL: 'info',
    PORT: '0',
    HOST: '127.0.0.1',
    BENCH_INATRADE_DECIDES_AFTER_MS: String(600_000),
    ...extra,
  }
}

interface Named extends RoundCase {
  id: string
  label: string
}

export async function run(): Promise<BenchPart> {
  requireWrk()
  const log = (line: string) => console.error(`  [permits] ${line}`)
  const session = await openSession(log)
  const { freshDatabase, started } = session
  try {
    const databaseUrl = await freshDatabase('permits')
    const sandbox = await started('sandbox upstreams', 'sandbox-server.ts', { INATRADE_CALLBACK_SECRET: CALLBACK_SECRET })
    const baseline = await started('baseline (PostgreSQL)', 'baseline-server.ts', { BENCH_DATABASE_URL: databaseUrl })
    const gatewayServer = await started('gateway (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox))
    const gateway: Gateway = { server: gatewayServer, token: await tokenFor(gatewayServer) }
    const existing = await submit(gateway, `bench-read-${Date.now().toString(36)}`)
    const template = JSON.stringify(submissionBody('bench-{{unique}}'))
    await json(`${baseline.url}/insert-json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: template, expect: 201 })
    const bearer = { authorization: `Bearer ${gateway.token}` }
    const submission: LoadRequest = {
      method: 'POST',
      url: `${gatewayServer.url}/v1/permits`,
      headers: { ...bearer, 'content-type': 'application/json' },
      body: template,
      uniqueHeader: 'Idempotency-Key',
    }
    const cases: Named[] = [
      {
        id: 'insert',
        label: 'a1: bare Fastify + pg INSERT of the submission JSON',
        request: { method: 'POST', url: `${baseline.url}/insert-json`, headers: { 'content-type': 'application/json' }, body: template, uniqueHeader: 'x-unique' },
      },
      { id: 'select', label: 'a2: bare Fastify + pg SELECT of it by id', request: { url: `${baseline.url}/document/1` } },
      { id: 'submit', label: 'b: POST /v1/permits (INATRADE up)', request: submission, before: () => setInatradeMode(gatewayServer, 'normal') },
      { id: 'submitDown', label: 'b↓: POST /v1/permits (INATRADE down)', request: { ...submission }, before: () => setInatradeMode(gatewayServer, 'down') },
      { id: 'read', label: 'c: GET /v1/permits/{id}', request: { url: `${gatewayServer.url}/v1/permits/${existing.id}`, headers: bearer } },
      {
        id: 'stub',
        label: 'd: INATRADE stub POST /inatrade/v1/applications',
        request: {
          method: 'POST',
          url: `${gatewayServer.inatradeUrl}/inatrade/v1/applications`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            referenceNumber: 'PRM-BENCH-{{unique}}',
            permitType: 'PI-GULA',
            nib: NIB,
            npwp: '012345678901000',
            applicant: { name: 'PT Bench', nik: '3171000000000001' },
            payload: submissionBody('x').payload,
            callbackUrl: 'http://127.0.0.1:9/v1/callbacks/inatrade',
          }),
          uniqueHeader: 'Idempotency-Key',
        },
        before: () => setInatradeMode(gatewayServer, 'normal'),
      },
    ]
    log(`${cases.length} cases × (${WARMUP_SECONDS} s warm-up + ${ROUNDS} rounds × ${SECONDS} s), ${CONNECTIONS} connections`)
    const figures = await measureInterleaved(cases, { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, log })
    await setInatradeMode(gatewayServer, 'normal')
    await Promise.all([baseline.stop(), gatewayServer.stop()])
    const drain = await measureDrain(await freshDatabase('drain'), sandbox, started, log)
    return report(cases, figures, drain)
  } finally {
    await session.close()
  }
}

interface DrainFigures {
  permits: number
  ingestSeconds: number
  drainSeconds: number
  perSecond: number
  workerStartSeconds: number
  /** CPU time (user + system) of each process during the drain, per permit: where the time goes. */
  cpuMicrosPerPermit: { gateway: number; stub: number }
}

/** User + system CPU seconds a process has used so far (Linux /proc; NaN elsewhere). */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3): indexes 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

export async function measureDrain(databaseUrl: string, sandbox: Server, started: (...args: Parameters<typeof startServer>) => Promise<Server>, log: (line: string) => void): Promise<DrainFigures> {
  const ingestServer = await started('gateway, enqueue only (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox, { JOB_WORKERS: 'false' }))
  const ingest: Gateway = { server: ingestServer, token: await tokenFor(ingestServer) }
  const ingestStarted = performance.now()
  let next = 0
  const stamp = Date.now().toString(36)
  await Promise.all(
    Array.from({ length: INGEST_CONCURRENCY }, async () => {
      while (next < DRAIN_PERMITS) await submit(ingest, `drain-${stamp}-${next++}`)
    }),
  )
  const ingestSeconds = (performance.now() - ingestStarted) / 1000
  log(`${DRAIN_PERMITS} submissions queued in ${ingestSeconds.toFixed(1)} s; starting a gateway with workers`)
  await ingestServer.stop()
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    const waiting = async () => Number((await db.query<{ n: string }>("select count(*) as n from permits where status = 'submitted'")).rows[0]!.n)
    if ((await waiting()) !== DRAIN_PERMITS) throw new Error(`expected ${DRAIN_PERMITS} queued permits before the drain, found ${await waiting()}`)
    // The clock starts when the gateway is ready (its workers start then): the drain is the
    // workers' pace; the start time is reported apart, as for every server of the bench.
    const worker = await started('gateway with workers (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox))
    const cpuBefore = [processCpuSeconds(worker.pid), processCpuSeconds(sandbox.pid)]
    const drainStarted = performance.now()
    while ((await waiting()) > 0) {
      if (performance.now() - drainStarted > DRAIN_TIMEOUT_MS) throw new Error(`the drain did not finish within ${DRAIN_TIMEOUT_MS / 60_000} min`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const drainSeconds = (performance.now() - drainStarted) / 1000
    const cpu = [processCpuSeconds(worker.pid), processCpuSeconds(sandbox.pid)].map((after, index) => after - cpuBefore[index]!)
    await worker.stop()
    return {
      permits: DRAIN_PERMITS,
      ingestSeconds,
      drainSeconds,
      perSecond: DRAIN_PERMITS / drainSeconds,
      workerStartSeconds: worker.startMs / 1000,
      cpuMicrosPerPermit: { gateway: (cpu[0]! * 1e6) / DRAIN_PERMITS, stub: (cpu[1]! * 1e6) / DRAIN_PERMITS },
    }
  } finally {
    await db.end()
  }
}

function report(cases: Named[], figures: Awaited<ReturnType<typeof measureInterleaved>>, drain: DrainFigures): BenchPart {
  const by = (id: string) => figures[cases.findIndex((entry) => entry.id === id)]!
  const failures = cases.filter((_, index) => figures[index]!.failures > 0)
  let pass = failures.length === 0
  const floor = (label: string, ratio: number, min: number, p99?: { ratio: number; max: number }) => {
    const held = ratio >= min && (p99 === undefined || p99.ratio <= p99.max)
    pass &&= held
    return [label, fmtRatio(ratio), `≥ ${min}×`, p99 ? `${fmtRatio(p99.ratio)} (≤ ${p99.max}×)` : '', verdict(held)]
  }
  const submitFigures = by('submit')
  const floors = [
    floor('b ≥ 0.6× a1, p99 ≤ 3×', submitFigures.requestsPerSecond / by('insert').requestsPerSecond, 0.6, { ratio: submitFigures.p99 / by('insert').p99, max: 3 }),
    floor('c ≥ 0.6× a2', by('read').requestsPerSecond / by('select').requestsPerSecond, 0.6),
    floor('drain ≥ 0.5× d', drain.perSecond / by('stub').requestsPerSecond, 0.5),
    floor('ingest, INATRADE down ≥ 0.9× up', by('submitDown').requestsPerSecond / submitFigures.requestsPerSecond, 0.9),
  ]
  const markdown = [
    `wrk, 1 thread, ${CONNECTIONS} connections, loopback; ${ROUNDS} interleaved rounds of ${SECONDS} s per case after a ${WARMUP_SECONDS} s warm-up; medians of the rounds. ` +
      `The gateway as \`npm start\` runs it on the PostgreSQL server with the Redis rate limiter (RATE_LIMIT_SCALE=${RATE_LIMIT_SCALE}); every submission carries a fresh Idempotency-Key and client reference.`,
    '',
    markdownTable(
      ['case', 'req/s', 'p50', 'p99', 'non-2xx/errors'],
      cases.map((entry, index) => [entry.label, fmtRate(figures[index]!.requestsPerSecond), fmtMicros(figures[index]!.p50), fmtMicros(figures[index]!.p99), String(figures[index]!.failures)]),
    ),
    '',
    `e: ${drain.permits.toLocaleString('en-US')} queued submissions (taken in ${drain.ingestSeconds.toFixed(1)} s by a gateway with JOB_WORKERS=false) drained to the INATRADE stub in ${drain.drainSeconds.toFixed(1)} s by a gateway with workers, counted from when it was ready (it started in ${drain.workerStartSeconds.toFixed(1)} s): ${fmtRate(drain.perSecond)} permits/s. CPU per permit during the drain: gateway ${Math.round(drain.cpuMicrosPerPermit.gateway)} µs, INATRADE stub ${Math.round(drain.cpuMicrosPerPermit.stub)} µs.`,
    '',
    markdownTable(['floor', 'ratio', 'floor', 'p99 ratio', 'verdict'], floors),
    failures.length ? `\nFAIL: non-2xx answers or socket errors in ${failures.map((entry) => entry.label).join(', ')}: those figures are not the case's.` : '',
  ].join('\n')
  return { title: 'Permits over sockets', markdown, pass }
}
