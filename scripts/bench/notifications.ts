/**
 * Notifications over real sockets (issue 11, item 5), on the PostgreSQL server and Redis:
 *   (r) the webhook receiver's own capacity: wrk POSTing a signed message to the example
 *       receiver (examples/webhook-receiver.ts), which verifies every signature;
 *   (b0) `POST /v1/permits` while the organisation's webhook takes no permit event, and
 *   (b1) while it takes every permit event: fan-out and delivery run beside the submissions;
 *   (f) fan-out throughput: a backlog of submissions (taken by a gateway without workers) fanned
 *       out and delivered to the receiver by a gateway with workers, which forwards the same
 *       permits to INATRADE meanwhile; events delivered per second, from its start until nothing
 *       waits.
 * Floors: f ≥ 0.5× r; b1 ≥ 0.9× b0. Before each round of b0 and b1 everything the previous
 * round left (forwarding, fan-out, deliveries) is finished, so no case pays for another's work.
 */
import type pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { fmtMicros, fmtRate, fmtRatio, markdownTable, verdict } from './format.ts'
import { json } from './http.ts'
import { requireWrk, type LoadRequest } from './load.ts'
import type { BenchPart } from './part.ts'
import { CALLBACK_SECRET, gatewayEnv, processCpuSeconds, submit, tokenFor, type Gateway } from './permits.ts'
import { measureInterleaved, type RoundCase } from './rounds.ts'
import type { Server, startServer } from './servers.ts'
import { openSession } from './session.ts'
import { freePort } from '../../test/helpers/live-gateway.ts'
import { sampleSubmission as submissionBody } from '../../test/helpers/permit-submission.ts'

const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 3) || 3)
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3) || 3)
const CONNECTIONS = Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 16) || 16)
const FANOUT_PERMITS = Math.max(100, Number(process.env.BENCH_FANOUT_PERMITS ?? 2_000) || 2_000)
const WARMUP_SECONDS = 1
const SETTLE_TIMEOUT_MS = Number(process.env.BENCH_SETTLE_TIMEOUT_MS ?? 5 * 60_000)
const INGEST_CONCURRENCY = 32
const SCOPES = 'permits:read permits:write webhooks:read webhooks:write'
const PERMIT_EVENTS = ['permit.submitted', 'permit.forwarded', 'permit.received', 'permit.under_review', 'permit.approved', 'permit.issued', 'permit.rejected', 'permit.cancelled', 'permit.forwarding_failed']

interface Named extends RoundCase {
  id: string
  label: string
}

interface CreatedWebhook {
  id: string
  secret: string
}

async function createWebhook(gateway: Gateway, organisationId: string, url: string): Promise<CreatedWebhook> {
  const created = await json(`${gateway.server.url}/v1/orgs/${organisationId}/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, description: 'bench receiver', eventTypes: PERMIT_EVENTS }),
    expect: 201,
  })
  return { id: (created.webhook as { id: string }).id, secret: created.secret as string }
}

async function subscribe(gateway: Gateway, organisationId: string, webhookId: string, eventTypes: string[]): Promise<void> {
  await json(`${gateway.server.url}/v1/orgs/${organisationId}/webhooks/${webhookId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ eventTypes }),
    expect: 200,
  })
}

/** What is still on its way: permits not yet forwarded, events not fanned out, deliveries not made. */
async function backlog(db: pg.Client): Promise<{ forwarding: number; fanOut: number; deliveries: number }> {
  const { rows } = await db.query<{ forwarding: string; fan_out: string; deliveries: string }>(`select
      (select count(*) from permits where status = 'submitted') as forwarding,
      (select count(*) from permit_events where fanned_out_at is null) as fan_out,
      (select count(*) from webhook_deliveries where state = 'pending') as deliveries`)
  return { forwarding: Number(rows[0]!.forwarding), fanOut: Number(rows[0]!.fan_out), deliveries: Number(rows[0]!.deliveries) }
}

async function settle(db: pg.Client): Promise<void> {
  const started = performance.now()
  for (;;) {
    const left = await backlog(db)
    if (left.forwarding + left.fanOut + left.deliveries === 0) return
    if (performance.now() - started > SETTLE_TIMEOUT_MS) throw new Error(`the backlog did not clear within ${SETTLE_TIMEOUT_MS / 60_000} min: ${JSON.stringify(left)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function organisationOf(gateway: Gateway): Promise<string> {
  const me = await json(`${gateway.server.url}/v1/me`, { headers: { authorization: `Bearer ${gateway.token}` }, expect: 200 })
  return (me.organisation as { id: string }).id
}

interface FanOutFigures {
  permits: number
  delivered: number
  seconds: number
  perSecond: number
  receiverVerified: number
  cpuMicrosPerEvent: { gateway: number; receiver: number }
}

export async function run(): Promise<BenchPart> {
  requireWrk()
  const log = (line: string) => console.error(`  [notifications] ${line}`)
  const session = await openSession(log)
  const { freshDatabase, started, connect } = session
  try {
    const sandbox = await started('sandbox upstreams', 'sandbox-server.ts', { INATRADE_CALLBACK_SECRET: CALLBACK_SECRET })
    const databaseUrl = await freshDatabase('notifications')
    const gatewayServer = await started('gateway (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox))
    const gateway: Gateway = { server: gatewayServer, token: await tokenFor(gatewayServer, SCOPES) }
    const organisationId = await organisationOf(gateway)
    const receiverPort = await freePort()
    const receiverUrl = `http://127.0.0.1:${receiverPort}/insw`
    const hook = await createWebhook(gateway, organisationId, receiverUrl)
    const receiver = await started('webhook receiver', 'receiver-server.ts', { PORT: String(receiverPort), BENCH_WEBHOOK_SECRET: hook.secret })
    const db = await connect(databaseUrl)

    // A message as the gateway sends it, signed once: wrk repeats it (the receiver verifies each
    // copy, then drops it as a repeat of the same webhook-id).
    const sample = JSON.stringify({ type: 'permit.received', timestamp: new Date().toISOString(), data: { permitId: 'bench', referenceNumber: 'PRM-BENCH', sequence: 2, status: 'received', previousStatus: 'submitted' } })
    const messageId = 'msg_bench'
    const signedAt = new Date()
    const signature = new Webhook(hook.secret).sign(messageId, signedAt, sample)
    const template = JSON.stringify(submissionBody('bench-{{unique}}'))
    const submission: LoadRequest = {
      method: 'POST',
      url: `${gatewayServer.url}/v1/permits`,
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
      body: template,
      uniqueHeader: 'Idempotency-Key',
    }
    const cases: Named[] = [
      {
        id: 'receiver',
        label: 'r: the webhook receiver, verifying each signature',
        request: {
          method: 'POST',
          url: receiverUrl,
          headers: { 'content-type': 'application/json', 'webhook-id': messageId, 'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)), 'webhook-signature': signature },
          body: sample,
        },
      },
      {
        id: 'none',
        label: 'b0: POST /v1/permits, no webhook takes permit events',
        request: submission,
        before: async () => {
          await subscribe(gateway, organisationId, hook.id, ['webhook.disabled'])
          await settle(db)
        },
      },
      {
        id: 'one',
        label: 'b1: POST /v1/permits, one webhook takes every permit event',
        request: { ...submission },
        before: async () => {
          await subscribe(gateway, organisationId, hook.id, PERMIT_EVENTS)
          await settle(db)
        },
      },
    ]
    log(`${cases.length} cases × (${WARMUP_SECONDS} s warm-up + ${ROUNDS} rounds × ${SECONDS} s), ${CONNECTIONS} connections`)
    const figures = await measureInterleaved(cases, { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, log })
    await settle(db)
    await gatewayServer.stop()
    const fanOut = await measureFanOut(databaseUrl, gateway.token, sandbox, receiver, receiverPort, started, connect, log)
    return report(cases, figures, fanOut)
  } finally {
    await session.close()
  }
}

/**
 * A gateway without workers takes FANOUT_PERMITS submissions (their `submitted` events wait);
 * then a gateway with workers forwards them, fans every event out and delivers it; the clock runs
 * from its start until nothing waits.
 */
async function measureFanOut(
  databaseUrl: string,
  /** The organisation's token from the first gateway (the signing keys live in the database). */
  token: string,
  sandbox: Server,
  receiver: Server,
  receiverPort: number,
  started: (...args: Parameters<typeof startServer>) => Promise<Server>,
  connect: (url: string) => Promise<pg.Client>,
  log: (line: string) => void,
): Promise<FanOutFigures> {
  const ingestServer = await started('gateway, enqueue only (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox, { JOB_WORKERS: 'false' }))
  const ingest: Gateway = { server: ingestServer, token }
  const stamp = Date.now().toString(36)
  let next = 0
  await Promise.all(
    Array.from({ length: INGEST_CONCURRENCY }, async () => {
      while (next < FANOUT_PERMITS) await submit(ingest, `fanout-${stamp}-${next++}`)
    }),
  )
  await ingestServer.stop()
  const db = await connect(databaseUrl)
  const deliveredSoFar = async () => Number((await db.query<{ n: string }>("select count(*) as n from webhook_deliveries where state = 'delivered'")).rows[0]!.n)
  const before = await deliveredSoFar()
  const receivedBefore = await receiverCount(receiverPort)
  log(`${FANOUT_PERMITS} submissions waiting; starting a gateway with workers`)
  const worker = await started('gateway with workers (PostgreSQL)', 'gateway-server.ts', gatewayEnv(databaseUrl, sandbox))
  const cpuBefore = [processCpuSeconds(worker.pid), processCpuSeconds(receiver.pid)]
  const clock = performance.now()
  await settle(db)
  const seconds = (performance.now() - clock) / 1000
  const cpu = [processCpuSeconds(worker.pid), processCpuSeconds(receiver.pid)].map((after, index) => after - cpuBefore[index]!)
  await worker.stop()
  const delivered = (await deliveredSoFar()) - before
  return {
    permits: FANOUT_PERMITS,
    delivered,
    seconds,
    perSecond: delivered / seconds,
    receiverVerified: (await receiverCount(receiverPort)) - receivedBefore,
    cpuMicrosPerEvent: { gateway: (cpu[0]! * 1e6) / delivered, receiver: (cpu[1]! * 1e6) / delivered },
  }
}

async function receiverCount(port: number): Promise<number> {
  const body = await json(`http://127.0.0.1:${port}/received`, { expect: 200 })
  return body.verified as number
}

function report(cases: Named[], figures: Awaited<ReturnType<typeof measureInterleaved>>, fanOut: FanOutFigures): BenchPart {
  const by = (id: string) => figures[cases.findIndex((entry) => entry.id === id)]!
  const failures = cases.filter((_, index) => figures[index]!.failures > 0)
  const lost = fanOut.receiverVerified !== fanOut.delivered
  let pass = failures.length === 0 && !lost
  const floor = (label: string, ratio: number, min: number) => {
    const held = ratio >= min
    pass &&= held
    return [label, fmtRatio(ratio), `≥ ${min}×`, verdict(held)]
  }
  const floors = [
    floor('fan-out f ≥ 0.5× receiver r', fanOut.perSecond / by('receiver').requestsPerSecond, 0.5),
    floor('submissions b1 (one webhook) ≥ 0.9× b0 (none)', by('one').requestsPerSecond / by('none').requestsPerSecond, 0.9),
  ]
  const markdown = [
    `wrk, 1 thread, ${CONNECTIONS} connections, loopback; ${ROUNDS} interleaved rounds of ${SECONDS} s per case after a ${WARMUP_SECONDS} s warm-up; medians of the rounds. ` +
      'The gateway as `npm start` runs it on the PostgreSQL server; the receiver is examples/webhook-receiver.ts in a process of its own. Before each round of b0 and b1 the previous rounds\' forwarding, fan-out and deliveries are finished.',
    '',
    markdownTable(
      ['case', 'req/s', 'p50', 'p99', 'non-2xx/errors'],
      cases.map((entry, index) => [entry.label, fmtRate(figures[index]!.requestsPerSecond), fmtMicros(figures[index]!.p50), fmtMicros(figures[index]!.p99), String(figures[index]!.failures)]),
    ),
    '',
    `f: ${fanOut.permits.toLocaleString('en-US')} waiting submissions forwarded to INATRADE, their ${fanOut.delivered.toLocaleString('en-US')} events fanned out and delivered, signed, in ${fanOut.seconds.toFixed(1)} s by a gateway with workers (counted from when it was ready): ${fmtRate(fanOut.perSecond)} events/s; the receiver verified ${fanOut.receiverVerified.toLocaleString('en-US')} new messages${lost ? ' (FAIL: not one per delivery)' : ''}. CPU per event: gateway ${Math.round(fanOut.cpuMicrosPerEvent.gateway)} µs, receiver ${Math.round(fanOut.cpuMicrosPerEvent.receiver)} µs.`,
    '',
    markdownTable(['floor', 'ratio', 'floor', 'verdict'], floors),
    failures.length ? `\nFAIL: non-2xx answers or socket errors in ${failures.map((entry) => entry.label).join(', ')}: those figures are not the case's.` : '',
  ].join('\n')
  return { title: 'Notifications over sockets', markdown, pass }
}
