/**
 * The gateway over real sockets, against baselines measured in the same run.
 *
 * Four servers, each its own process: the gateway and a bare Fastify baseline, on the PostgreSQL
 * server (a fresh database, dropped afterwards) and on embedded PGlite (a fresh data folder).
 * The gateway uses Redis for its rate limiter, with RATE_LIMIT_SCALE so the limiter works (its
 * cost is in every figure) but never refuses. wrk drives one case at a time; interleaved rounds
 * (each round starts at another case, so a machine getting busier or quieter affects all alike),
 * median of the rounds. Floors are ratios to a baseline of the same run, never absolute figures.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres: where a
 * fresh database is created), BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS
 * per case and round (default 3), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 16),
 * BENCH_SKIP_EMBEDDED=1 to leave out PGlite.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { fmtMiB, fmtMicros, fmtRate, fmtRatio, markdownTable, verdict } from './format.ts'
import { requireWrk, type LoadRequest } from './load.ts'
import { measureInterleaved, type RoundFigures } from './rounds.ts'
import type { BenchPart } from './part.ts'
import type { MemoryFigures } from './child-ipc.ts'
import { startServer, type Server } from './servers.ts'
import { testOrganisation } from '../../test/helpers/live-gateway.ts'

const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 3) || 3)
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3) || 3)
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16) || 16)
const WARMUP_SECONDS = 1
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** Every budget x this: a run makes at most a few hundred thousand requests a minute per caller. */
const RATE_LIMIT_SCALE = '100000'
/** The organisation list case: a page of 20 (the default page size) of this many users. */
const ORGANISATION_USERS = 25
/** Heap growth after GC, warmed-up versus after every round, above which the run fails. */
const LEAK_BOUND_BYTES = 16 * 1024 * 1024

type Variant = 'server' | 'embedded'

interface Case {
  id: string
  label: string
  variant: Variant
  server: Server
  request: LoadRequest
}

interface Floor {
  label: string
  variant: Variant
  caseId: string
  baselineId: string
  /** Minimum of case req/s over baseline req/s. */
  minRatio: number
  /** Maximum of case p99 over baseline p99, when the floor has one. */
  maxP99Ratio?: number
}

const FLOORS: Omit<Floor, 'variant'>[] = [
  { label: 'GET /health/live ≥ 0.4× ping', caseId: 'health', baselineId: 'ping', minRatio: 0.4 },
  { label: 'GET /v1/me ≥ 0.6× SELECT, p99 ≤ 3×', caseId: 'me', baselineId: 'select', minRatio: 0.6, maxP99Ratio: 3 },
  { label: 'org list of 20 ≥ 0.3× SELECT', caseId: 'orgList', baselineId: 'select', minRatio: 0.3 },
  { label: 'client-credentials token ≥ 0.05× ping', caseId: 'token', baselineId: 'ping', minRatio: 0.05 },
]

interface GatewayFixture {
  organisationId: string
  token: string
  basic: string
}

const TOKEN_FORM = 'grant_type=client_credentials&scope=org%3Aread'

/** A test organisation with its machine clients, users enough for a page of 20, and a token. */
export async function seedGateway(gateway: Server): Promise<GatewayFixture> {
  const fixture = await testOrganisation(gateway.url, '8120000000001', 'org:read')
  await gateway.seedUsers(fixture.organisationId, ORGANISATION_USERS - 1)
  return fixture
}

function casesFor(variant: Variant, baseline: Server, gateway: Server, fixture: GatewayFixture): Case[] {
  const bearer = { authorization: `Bearer ${fixture.token}` }
  const db = variant === 'server' ? 'pg' : 'PGlite'
  const cases: Omit<Case, 'variant'>[] = [
    { id: 'ping', label: 'bare Fastify GET /ping', server: baseline, request: { url: `${baseline.url}/ping` } },
    { id: 'select', label: `bare Fastify + ${db} SELECT by primary key`, server: baseline, request: { url: `${baseline.url}/select/42` } },
    {
      id: 'insert',
      label: `bare Fastify + ${db} INSERT`,
      server: baseline,
      request: { method: 'POST', url: `${baseline.url}/insert`, headers: { 'content-type': 'application/json' }, body: '{"name":"bench"}' },
    },
    { id: 'health', label: 'GET /health/live', server: gateway, request: { url: `${gateway.url}/health/live` } },
    { id: 'me', label: 'GET /v1/me (machine client, cached token)', server: gateway, request: { url: `${gateway.url}/v1/me`, headers: bearer } },
    {
      id: 'orgList',
      label: 'GET /v1/orgs/{id}/users (page of 20)',
      server: gateway,
      request: { url: `${gateway.url}/v1/orgs/${fixture.organisationId}/users`, headers: bearer },
    },
    {
      id: 'token',
      label: 'POST /oidc/token (client credentials)',
      server: gateway,
      request: {
        method: 'POST',
        url: `${gateway.url}/oidc/token`,
        headers: { authorization: fixture.basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: TOKEN_FORM,
      },
    },
  ]
  return cases.map((entry) => ({ ...entry, variant }))
}

/** One request per case before any load: a wrong status here would make every figure meaningless. */
async function checkCases(cases: Case[]): Promise<void> {
  for (const entry of cases) {
    const response = await fetch(entry.request.url, { method: entry.request.method ?? 'GET', headers: entry.request.headers, body: entry.request.body })
    await response.arrayBuffer()
    if (response.status >= 300) throw new Error(`${entry.label} answered ${response.status} before the bench`)
  }
}

interface Measured extends RoundFigures {
  entry: Case
}

async function measure(cases: Case[], log: (line: string) => void, afterWarmup: () => Promise<void>): Promise<Measured[]> {
  const figures = await measureInterleaved(cases, { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, log, afterWarmup })
  return cases.map((entry, index) => ({ entry, ...figures[index]! }))
}

interface Deployment {
  variant: Variant
  title: string
  baseline: Server
  gateway: Server
}

export async function run(): Promise<BenchPart> {
  requireWrk()
  const log = (line: string) => console.error(`  [sockets] ${line}`)
  const databaseName = `bench_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: SERVER_URL })
  await admin.connect()
  await admin.query(`create database ${databaseName}`)
  const databaseUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${databaseName}` }).href
  const folders: string[] = []
  const servers: Server[] = []
  const folder = () => {
    const created = mkdtempSync(path.join(tmpdir(), 'bench-pglite-'))
    folders.push(created)
    return created
  }
  const started = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args)
    servers.push(server)
    log(`${server.name} ready in ${(server.startMs / 1000).toFixed(1)} s, RSS ${fmtMiB(server.memoryAtReady.rss)}`)
    return server
  }
  const gatewayEnv = (publicUrl: string) => ({ REDIS_URL: REDIS_URL, RATE_LIMIT_SCALE, PUBLIC_URL: publicUrl, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1' })
  try {
    const deployments: Deployment[] = []
    // One at a time, so each start time is the server's alone.
    deployments.push({
      variant: 'server',
      title: 'PostgreSQL server',
      baseline: await started('baseline (PostgreSQL)', 'baseline-server.ts', { BENCH_DATABASE_URL: databaseUrl }),
      gateway: await started('gateway (PostgreSQL)', 'gateway-server.ts', { ...gatewayEnv('http://gateway-pg.bench'), DATABASE_URL: databaseUrl }),
    })
    if (process.env.BENCH_SKIP_EMBEDDED !== '1') {
      deployments.push({
        variant: 'embedded',
        title: 'embedded PGlite',
        baseline: await started('baseline (PGlite)', 'baseline-server.ts', { BENCH_DATA_DIR: folder() }),
        gateway: await started('gateway (PGlite)', 'gateway-server.ts', { ...gatewayEnv('http://gateway-pglite.bench'), DATA_DIR: folder() }),
      })
    }
    const cases: Case[] = []
    for (const deployment of deployments) {
      cases.push(...casesFor(deployment.variant, deployment.baseline, deployment.gateway, await seedGateway(deployment.gateway)))
    }
    await checkCases(cases)
    log(`${cases.length} cases × (${WARMUP_SECONDS} s warm-up + ${ROUNDS} rounds × ${SECONDS} s), ${CONNECTIONS} connections`)
    // The leak check compares warmed-up servers (caches filled, code compiled) with the end of the run.
    const warmedUp = new Map<Deployment, MemoryFigures>()
    const results = await measure(cases, log, async () => {
      for (const deployment of deployments) warmedUp.set(deployment, await deployment.gateway.memory(true))
    })
    const memory: MemoryRow[] = []
    for (const deployment of deployments) {
      const afterBench = await deployment.gateway.memory(false)
      memory.push({ deployment, warmedUp: warmedUp.get(deployment)!, afterBench, afterBenchGc: await deployment.gateway.memory(true) })
    }
    return report(deployments, results, memory)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    await admin.query(`drop database if exists ${databaseName} with (force)`).catch(() => {})
    await admin.end()
    for (const created of folders) rmSync(created, { recursive: true, force: true })
  }
}

interface MemoryRow {
  deployment: Deployment
  warmedUp: MemoryFigures
  afterBench: MemoryFigures
  afterBenchGc: MemoryFigures
}

function report(deployments: Deployment[], results: Measured[], memory: MemoryRow[]): BenchPart {
  const sections: string[] = []
  let pass = true
  const find = (variant: Variant, id: string) => results.find((result) => result.entry.variant === variant && result.entry.id === id)!
  for (const deployment of deployments) {
    const rows = results.filter((result) => result.entry.variant === deployment.variant)
    const failures = rows.filter((row) => row.failures > 0)
    if (failures.length) pass = false
    sections.push(
      `### ${deployment.title}`,
      '',
      markdownTable(
        ['case', 'req/s', 'p50', 'p99', 'non-2xx/errors'],
        rows.map((row) => [row.entry.label, fmtRate(row.requestsPerSecond), fmtMicros(row.p50), fmtMicros(row.p99), String(row.failures)]),
      ),
      '',
    )
    const floorRows = FLOORS.map((floor) => {
      const measured = find(deployment.variant, floor.caseId)
      const baseline = find(deployment.variant, floor.baselineId)
      const ratio = measured.requestsPerSecond / baseline.requestsPerSecond
      const p99Ratio = measured.p99 / baseline.p99
      const held = ratio >= floor.minRatio && (floor.maxP99Ratio === undefined || p99Ratio <= floor.maxP99Ratio)
      pass &&= held
      return [
        floor.label,
        `${fmtRatio(ratio)} ${floor.baselineId}`,
        `≥ ${floor.minRatio}×`,
        floor.maxP99Ratio === undefined ? '' : `${fmtRatio(p99Ratio)} (≤ ${floor.maxP99Ratio}×)`,
        verdict(held),
      ]
    })
    sections.push(markdownTable(['floor', 'ratio', 'floor', 'p99 ratio', 'verdict'], floorRows), '')
    if (failures.length) sections.push(`FAIL: non-2xx answers or socket errors in ${failures.map((row) => row.entry.label).join(', ')}: those figures are not the case's.`, '')
  }
  sections.push(
    '### Start and memory of the gateway',
    '',
    markdownTable(
      ['database', 'start to listening', 'RSS at ready', 'RSS after bench', 'heap after GC, warmed up', 'heap after GC, after bench', 'growth', 'leak check'],
      memory.map((row) => {
        const growth = row.afterBenchGc.heapUsed - row.warmedUp.heapUsed
        const held = growth <= LEAK_BOUND_BYTES
        pass &&= held
        return [
          row.deployment.title,
          `${(row.deployment.gateway.startMs / 1000).toFixed(2)} s`,
          fmtMiB(row.deployment.gateway.memoryAtReady.rss),
          fmtMiB(row.afterBench.rss),
          fmtMiB(row.warmedUp.heapUsed),
          fmtMiB(row.afterBenchGc.heapUsed),
          `${growth >= 0 ? '+' : ''}${(growth / 1024 / 1024).toFixed(1)} MiB`,
          `${verdict(held)} (≤ +${LEAK_BOUND_BYTES / 1024 / 1024} MiB)`,
        ]
      }),
    ),
    '',
    `RSS after GC at the end: ${memory.map((row) => `${row.deployment.title} ${fmtMiB(row.afterBenchGc.rss)}`).join(', ')}. ` +
      `Baselines at ready: ${deployments.map((deployment) => `${deployment.baseline.name} ${fmtMiB(deployment.baseline.memoryAtReady.rss)}, ${(deployment.baseline.startMs / 1000).toFixed(2)} s`).join('; ')}.`,
  )
  const intro = [
    `wrk, 1 thread, ${CONNECTIONS} connections, loopback; ${ROUNDS} interleaved rounds of ${SECONDS} s per case after a ${WARMUP_SECONDS} s warm-up; medians of the rounds.`,
    `Each server is a process of its own; the gateway as \`npm start\` runs it (sandbox upstreams, access log at info to /dev/null, Redis rate limiter with RATE_LIMIT_SCALE=${RATE_LIMIT_SCALE}: counting, never refusing).`,
    'p50/p99 are wrk\'s latency percentiles (median over the rounds). Ratios compare with the baseline of the same database in the same run.',
    '',
  ]
  return { title: 'Gateway over sockets', markdown: [...intro, ...sections].join('\n'), pass }
}
