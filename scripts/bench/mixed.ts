/**
 * A mixed workload at a fixed arrival rate (issue 13 item 6), on the PostgreSQL server and Redis.
 * For BENCH_MIXED_SECONDS (default 120) requests arrive at BENCH_MIXED_RATE a second (default 100),
 * open loop: each leaves at its scheduled instant whatever the earlier ones are doing, and its
 * latency runs from that instant, so a stall shows in p99 instead of slowing the arrivals
 * (no coordinated omission). The mix, by weight: client-credentials tokens 5, submissions 20,
 * status reads 30, event reads 10, permit lists 20, webhook delivery logs 15. Behind it the gateway
 * does what the submissions cause: forwarding to the sandbox INATRADE (its own process), INATRADE's
 * callbacks at every step, and every step's webhook delivered to a receiver (its own process).
 *
 * Reported: per kind the rate achieved, p50, p99 and errors; callbacks taken and webhook messages
 * delivered during the run; the gateway's RSS and heap after GC before and after. Floors: no
 * error (a 5xx, a refusal or a socket error) in the mix; heap after GC grows by at most
 * max(32 MiB, 25 %) across the run (the leak check); and, in interleaved wrk rounds of the same
 * run, client-credentials tokens ≥ 0.08× a bare Fastify GET.
 */
import type pg from 'pg'
import { Pool } from 'undici'
import { fmtMiB, fmtMicros, fmtRate, fmtRatio, markdownTable, verdict } from './format.ts'
import { json } from './http.ts'
import { requireWrk } from './load.ts'
import type { BenchPart } from './part.ts'
import { CALLBACK_SECRET, gatewayEnv } from './permits.ts'
import { measureInterleaved } from './rounds.ts'
import type { Server } from './servers.ts'
import { openSession } from './session.ts'
import { freePort, testOrganisation } from '../../test/helpers/live-gateway.ts'
import { sampleSubmission } from '../../test/helpers/permit-submission.ts'

const SECONDS = Math.max(10, Number(process.env.BENCH_MIXED_SECONDS ?? 120) || 120)
const RATE = Math.max(10, Number(process.env.BENCH_MIXED_RATE ?? 100) || 100)
const TOKEN_ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3) || 3)
const TOKEN_SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 3) || 3)
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16) || 16)
const NIB = '8120000000001'
const SCOPE = 'permits:read permits:write webhooks:read webhooks:write'
const TOKEN_FLOOR = 0.08
const LEAK_BYTES = 32 * 1024 * 1024
const LEAK_SHARE = 0.25
const PERMIT_EVENTS = ['submitted', 'forwarded', 'received', 'under_review', 'approved', 'issued', 'rejected'].map((status) => `permit.${status}`)

type Kind = 'token' | 'submit' | 'status' | 'events' | 'list' | 'deliveries'
const MIX: [Kind, number, string][] = [
  ['token', 5, 'POST /oidc/token (client credentials)'],
  ['submit', 20, 'POST /v1/permits'],
  ['status', 30, 'GET /v1/permits/{id}'],
  ['events', 10, 'GET /v1/permits/{id}/events'],
  ['list', 20, 'GET /v1/permits?limit=20'],
  ['deliveries', 15, 'GET /v1/orgs/{id}/webhooks/{id}/deliveries'],
]

interface Fixture {
  organisationId: string
  webhookId: string
  basic: string
  token: string
  permitIds: string[]
}

interface KindFigures {
  latencies: number[]
  errors: number
  statuses: Map<number | string, number>
}

export async function run(): Promise<BenchPart> {
  requireWrk()
  const log = (line: string) => console.error(`  [mixed] ${line}`)
  const session = await openSession(log)
  try {
    const sandbox = await session.started('sandbox upstreams', 'sandbox-server.ts', { INATRADE_CALLBACK_SECRET: CALLBACK_SECRET })
    const databaseUrl = await session.freshDatabase('mixed')
    // INATRADE decides in its own time (2 s and 3 s steps) and calls back at PUBLIC_URL during the run.
    const port = await freePort()
    const gateway = await session.started('gateway (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox, { BENCH_INATRADE_DECIDES_AFTER_MS: '', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }))
    const baseline = await session.started('bare Fastify (baseline)', 'baseline-server.ts', {})
    const receiverPort = await freePort()
    const fixture = await prepare(gateway, `http://127.0.0.1:${receiverPort}/insw`)
    await session.started('webhook receiver', 'receiver-server.ts', { PORT: String(receiverPort), BENCH_WEBHOOK_SECRET: fixture.secret })
    const db = await session.connect(databaseUrl)

    const before = await gateway.memory(true)
    const startedAt = new Date()
    log(`${SECONDS} s at ${RATE} requests/s, open loop`)
    const figures = await openLoop(gateway.url, fixture)
    const endedAt = new Date()
    const background = await db.query<{ callbacks: string; delivered: string }>(
      `select (select count(*) from inatrade_callback_deliveries where received_at between $1 and $2)::text as callbacks,
              (select count(*) from webhook_delivery_attempts where outcome = 'delivered' and attempted_at between $1 and $2)::text as delivered`,
      [startedAt, endedAt],
    )
    const after = await gateway.memory(true)
    // The tokens are measured on a quiet gateway: INATRADE's last decisions and their webhooks
    // would otherwise run inside the first rounds.
    await settle(db, log)
    log('token endpoint against a bare GET, interleaved rounds')
    const [ping, token] = await measureInterleaved(
      [
        { request: { url: `${baseline.url}/ping` } },
        {
          request: {
            method: 'POST',
            url: `${gateway.url}/oidc/token`,
            headers: { authorization: fixture.basic, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'permits:read' }).toString(),
          },
        },
      ],
      { rounds: TOKEN_ROUNDS, seconds: TOKEN_SECONDS, warmupSeconds: 1, connections: CONNECTIONS, log },
    )
    return report(figures, { callbacks: Number(background.rows[0]!.callbacks), delivered: Number(background.rows[0]!.delivered) }, { before, after }, { ping: ping!, token: token! })
  } finally {
    await session.close()
  }
}

async function prepare(gateway: Server, receiverUrl: string): Promise<Fixture & { secret: string }> {
  const organisation = await testOrganisation(gateway.url, NIB, SCOPE)
  const bearer = { authorization: `Bearer ${organisation.token}`, 'content-type': 'application/json' }
  const created = await json(`${gateway.url}/v1/orgs/${organisation.organisationId}/webhooks`, {
    method: 'POST',
    headers: bearer,
    body: JSON.stringify({ url: receiverUrl, description: 'bench receiver', eventTypes: PERMIT_EVENTS }),
    expect: 201,
  })
  // Some permits to read from the first second on.
  const permitIds: string[] = []
  for (let i = 0; i < 20; i++) {
    const reference = `mixed-seed-${Date.now().toString(36)}-${i}`
    const answer = await json(`${gateway.url}/v1/permits`, { method: 'POST', headers: { ...bearer, 'idempotency-key': reference }, body: JSON.stringify(sampleSubmission(reference)), expect: 202 })
    permitIds.push((answer.permit as { id: string }).id)
  }
  return {
    organisationId: organisation.organisationId,
    webhookId: (created.webhook as { id: string }).id,
    secret: created.secret as string,
    basic: organisation.basic,
    token: organisation.token,
    permitIds,
  }
}

/** Waits (up to 5 min) until no permit waits for INATRADE and no webhook message for its receiver. */
async function settle(db: pg.Client, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 5 * 60_000
  while (Date.now() < deadline) {
    const { rows } = await db.query<{ busy: string }>(
      `select ((select count(*) from permits where status in ('submitted', 'forwarded', 'received', 'under_review', 'approved'))
             + (select count(*) from webhook_deliveries where state = 'pending'))::text as busy`,
    )
    if (rows[0]!.busy === '0') return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  log('the gateway did not settle within 5 minutes')
}

/** Sends the mix at RATE a second for SECONDS; each latency from the request's scheduled instant. */
async function openLoop(origin: string, fixture: Fixture): Promise<Map<Kind, KindFigures>> {
  const pool = new Pool(origin, { connections: 256, keepAliveTimeout: 30_000 })
  const figures = new Map<Kind, KindFigures>(MIX.map(([kind]) => [kind, { latencies: [], errors: 0, statuses: new Map() }]))
  const weights = MIX.reduce((sum, [, weight]) => sum + weight, 0)
  const interval = 1000 / RATE
  const total = Math.round(SECONDS * RATE)
  const bearer = () => `Bearer ${fixture.token}`
  const random = seeded(20261203)
  const pick = (): Kind => {
    let roll = random() * weights
    for (const [kind, weight] of MIX) if ((roll -= weight) < 0) return kind
    return 'status'
  }
  const anyPermit = () => fixture.permitIds[Math.floor(random() * fixture.permitIds.length)]!
  const inFlight = new Set<Promise<void>>()
  const start = performance.now()
  let counter = 0

  const send = async (kind: Kind, scheduled: number) => {
    const entry = figures.get(kind)!
    let status: number | string
    try {
      const answer = await pool.request(requestOf(kind))
      const text = await answer.body.text()
      status = answer.statusCode
      if (kind === 'submit' && status === 202) fixture.permitIds.push((JSON.parse(text) as { permit: { id: string } }).permit.id)
      if (kind === 'token' && status === 200) fixture.token = (JSON.parse(text) as { access_token: string }).access_token
    } catch (error) {
      status = (error as { code?: string }).code ?? 'error'
    }
    entry.latencies.push((performance.now() - scheduled) * 1000)
    entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1)
    if (typeof status !== 'number' || status >= 300) entry.errors++
  }

  function requestOf(kind: Kind): Parameters<Pool['request']>[0] {
    switch (kind) {
      case 'token':
        return {
          method: 'POST',
          path: '/oidc/token',
          headers: { authorization: fixture.basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString(),
        }
      case 'submit': {
        const reference = `mixed-${start.toString(36)}-${counter++}`
        return { method: 'POST', path: '/v1/permits', headers: { authorization: bearer(), 'content-type': 'application/json', 'idempotency-key': reference }, body: JSON.stringify(sampleSubmission(reference)) }
      }
      case 'status':
        return { method: 'GET', path: `/v1/permits/${anyPermit()}`, headers: { authorization: bearer() } }
      case 'events':
        return { method: 'GET', path: `/v1/permits/${anyPermit()}/events?limit=20`, headers: { authorization: bearer() } }
      case 'list':
        return { method: 'GET', path: '/v1/permits?limit=20', headers: { authorization: bearer() } }
      case 'deliveries':
        return { method: 'GET', path: `/v1/orgs/${fixture.organisationId}/webhooks/${fixture.webhookId}/deliveries?limit=20`, headers: { authorization: bearer() } }
    }
  }

  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval
    const wait = scheduled - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const pending = send(pick(), scheduled).finally(() => inFlight.delete(pending))
    inFlight.add(pending)
  }
  await Promise.all(inFlight)
  await pool.close()
  return figures
}

/** A small seeded generator (mulberry32): the same mix in every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function percentile(sorted: number[], share: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!
}

function report(
  figures: Map<Kind, KindFigures>,
  background: { callbacks: number; delivered: number },
  memory: { before: { rss: number; heapUsed: number }; after: { rss: number; heapUsed: number } },
  tokens: { ping: { requestsPerSecond: number }; token: { requestsPerSecond: number; p50: number; p99: number } },
): BenchPart {
  const rows: string[][] = []
  let requests = 0
  let errors = 0
  const all: number[] = []
  for (const [kind, , label] of MIX) {
    const entry = figures.get(kind)!
    const sorted = [...entry.latencies].sort((a, b) => a - b)
    all.push(...sorted)
    requests += sorted.length
    errors += entry.errors
    const odd = [...entry.statuses].filter(([status]) => typeof status !== 'number' || status >= 300).map(([status, count]) => `${status}×${count}`)
    rows.push([label, fmtRate(sorted.length / SECONDS), fmtMicros(percentile(sorted, 0.5)), fmtMicros(percentile(sorted, 0.99)), odd.length > 0 ? odd.join(', ') : '0'])
  }
  all.sort((a, b) => a - b)
  rows.push(['**all**', fmtRate(requests / SECONDS), fmtMicros(percentile(all, 0.5)), fmtMicros(percentile(all, 0.99)), String(errors)])
  const errorRate = requests === 0 ? 1 : errors / requests
  const heapGrowth = memory.after.heapUsed - memory.before.heapUsed
  const heapAllowed = Math.max(LEAK_BYTES, memory.before.heapUsed * LEAK_SHARE)
  const tokenRatio = tokens.token.requestsPerSecond / tokens.ping.requestsPerSecond
  const checks = [
    { label: 'no error in the mix', pass: errors === 0 && requests > 0, figure: `${errors} of ${requests} (${(errorRate * 100).toFixed(2)} %)` },
    { label: `heap after GC grows ≤ max(32 MiB, 25 %)`, pass: heapGrowth <= heapAllowed, figure: `${fmtMiB(memory.before.heapUsed)} → ${fmtMiB(memory.after.heapUsed)}` },
    { label: `client-credentials tokens ≥ ${TOKEN_FLOOR}× a bare GET`, pass: tokenRatio >= TOKEN_FLOOR, figure: `${fmtRate(tokens.token.requestsPerSecond)} / ${fmtRate(tokens.ping.requestsPerSecond)} req/s = ${fmtRatio(tokenRatio)}` },
  ]
  const markdown = [
    `${SECONDS} s at ${RATE} requests/s (open loop, latency from each request's scheduled instant), on the PostgreSQL server and Redis; the sandbox upstreams and the webhook receiver in processes of their own.`,
    '',
    markdownTable(['request', 'req/s', 'p50', 'p99', 'errors'], rows),
    '',
    `Behind it during the run: ${background.callbacks.toLocaleString('en-US')} INATRADE callbacks taken, ${background.delivered.toLocaleString('en-US')} webhook messages delivered.`,
    `Gateway memory: RSS ${fmtMiB(memory.before.rss)} → ${fmtMiB(memory.after.rss)}; heap after GC ${fmtMiB(memory.before.heapUsed)} → ${fmtMiB(memory.after.heapUsed)}.`,
    `Token endpoint (wrk, ${CONNECTIONS} connections, median of ${TOKEN_ROUNDS} interleaved rounds): p50 ${fmtMicros(tokens.token.p50)}, p99 ${fmtMicros(tokens.token.p99)}.`,
    '',
    markdownTable(['floor', 'figure', 'verdict'], checks.map((check) => [check.label, check.figure, verdict(check.pass)])),
  ].join('\n')
  return { title: 'Mixed workload at a fixed arrival rate', markdown, pass: checks.every((check) => check.pass) }
}
