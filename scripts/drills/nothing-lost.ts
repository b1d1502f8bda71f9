/**
 * The *nothing lost* drill (issue 13 item 2): submissions pour into a gateway process (as `npm start`
 * runs it) while it is SIGKILLed and restarted, its database connections are cut (or PostgreSQL
 * restarted), and the sandbox INATRADE fails a share of attempts at random (before the work, or
 * after it with the answer lost), stalls every answer for a stretch and is down for another.
 * Clients do what an integrator's client does: retry what got no answer, or a 409/429/5xx, with
 * the same Idempotency-Key, honouring Retry-After.
 *
 * Afterwards, for every submission answered 202 (one pass or failure each):
 * - the permit exists and holds its client reference;
 * - INATRADE filed it exactly once as INATRADE sees it (one 202 per idempotency key in the stub's
 *   journal, every attempt counted), and filed nothing the gateway did not accept;
 * - it has a next step: a final status, or a dead letter (`forwarding_failed`) that operators see
 *   in `GET /v1/operator/jobs?state=dead_letter` (counted, not a failure);
 * - every status it went through reached the webhook receiver, signed (at least once; repeats
 *   with the same webhook-id are counted).
 *
 * `runNothingLostDrill` is what the CI test calls (test/drills, 1,000 submissions, one kill);
 * `npm run drill:nothing-lost` runs the full one (nothing-lost-main.ts).
 */
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { childGateway, steady, type ChildGateway } from '../../test/helpers/child-gateway.ts'
import { openLoginPage, submitLogin, swaggerUiClient } from '../../test/helpers/oidc.ts'
import { sampleSubmission } from '../../test/helpers/permit-submission.ts'
import { startReceiver, verify, type Receiver } from '../../test/helpers/webhook-receiver.ts'
import * as oidc from 'openid-client'
import type { DrillOutcome } from './idempotency.ts'

export interface NothingLostOptions {
  submissions: number
  /** SIGKILLs of the gateway, spread evenly over the submissions. */
  kills: number
  /** Clients submitting at once. */
  concurrency: number
  /** Cuts the gateway off its database once, halfway (returns what it did, for the report). */
  databaseOutage?: (databaseUrl: string) => Promise<string>
  inatrade: {
    /** Share of attempts failing at random throughout. */
    failureRate: number
    /** Every INATRADE answer held this long during the stall stretch (0: none). */
    stallMs: number
    /** How long INATRADE answers 503 to everything (0: never down). */
    downForMs: number
  }
  /** How long to wait for every permit to reach a final status once all are accepted. */
  settleMs: number
  teardown: { teardown(fn: () => unknown): void }
  log?: (line: string) => void
  env?: Record<string, string>
}

const NIB = '8120000000001'
const SCOPE = 'permits:read permits:write webhooks:read webhooks:write'
const SECRET = 'nothing-lost-callback-secret'
/** Sandbox INATRADE decides in 2–3 s × this: a journey takes tens of milliseconds. */
const TIME_SCALE = 0.01
const STEP_TYPES = ['submitted', 'forwarded', 'received', 'under_review', 'approved', 'issued', 'rejected', 'cancelled', 'forwarding_failed'].map((status) => `permit.${status}`)
const FINAL = new Set(['issued', 'rejected', 'cancelled', 'forwarding_failed'])

interface JournalEntry {
  method: string
  url: string
  headers: Record<string, string>
  statusCode: number | null
}

export async function runNothingLostDrill(options: NothingLostOptions): Promise<DrillOutcome> {
  const log = options.log ?? (() => {})
  const started = Date.now()
  const sandbox = await startSandbox({ callbackSecret: SECRET, logger: false, timeScale: TIME_SCALE, journalLimit: 50 * options.submissions + 10_000 })
  options.teardown.teardown(() => sandbox.close())
  const gateway = await childGateway(options.teardown, sandbox, {
    callbackSecret: SECRET,
    env: {
      // The sandbox runs INATRADE's days in milliseconds (TIME_SCALE) and gives up a callback as
      // fast; the reconciliation, which catches up callbacks lost while the gateway was dead, runs
      // on the same compressed clock: a permit still for 5 s is asked about (10 min in production).
      PERMIT_RECONCILE_AFTER_MS: '5000',
      PERMIT_RECONCILE_INTERVAL_MS: '2000',
      PERMIT_RECONCILE_BATCH: '500',
      ACCESS_TOKEN_TTL: '300',
      ...options.env,
    },
  })
  await gateway.start()
  const organisation = await gateway.organisation(NIB, SCOPE)
  // Renewed in place when the gateway says 401 (a drill outlives an access token).
  const bearer = { authorization: `Bearer ${organisation.token}` }
  const renewToken = async () => {
    bearer.authorization = `Bearer ${await clientCredentialsToken(gateway, organisation.basic)}`
  }
  const receiver = await startReceiver(options.teardown)
  const webhook = await gateway.post(`/v1/orgs/${organisation.organisationId}/webhooks`, { url: `${receiver.url}/erp`, eventTypes: STEP_TYPES }, bearer)
  if (webhook.status !== 201) throw new Error(`no webhook (${webhook.status}): ${JSON.stringify(webhook.body)}`)
  const secret = webhook.body.secret as string

  const inatrade = inatradeScript(sandbox.inatradeUrl)
  await inatrade.set({ mode: 'unreliable', failureRate: options.inatrade.failureRate })
  const chaos = chaosPlan(options, gateway, inatrade, log)

  /** Client references answered 202, with their permit ids. */
  const accepted = new Map<string, string>()
  const retries = { conflicts: 0, throttled: 0, serverErrors: 0, noAnswer: 0 }
  let next = 0
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.submissions) {
        const reference = `lost-${next++}`
        accepted.set(reference, await submitUntilAccepted(gateway, reference, bearer, renewToken, retries, chaos.restarting))
        await chaos.onAccepted(accepted.size)
      }
    }),
  )
  await chaos.finished()
  await inatrade.set({ mode: 'normal' })
  log(`accepted ${accepted.size} in ${Math.round((Date.now() - started) / 1000)} s (client retries: ${JSON.stringify(retries)})`)

  const statuses = await settle(gateway, bearer, options.settleMs, log)
  log(`settled after ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(statuses)}`)
  const deadLetters = await operatorDeadLetters(gateway)
  const filed = filedByKey(await (await fetch(`${sandbox.inatradeUrl}/__sandbox/requests`)).json() as JournalEntry[])
  await waitForDeliveries(gateway, organisation.organisationId, (webhook.body.webhook as { id: string }).id, bearer, options.settleMs)
  const received = receivedSteps(receiver, secret)

  const failures: string[] = []
  let passed = 0
  const permitIds = new Set(accepted.values())
  if (permitIds.size !== accepted.size) failures.push(`${accepted.size} references accepted but ${permitIds.size} distinct permits`)
  const forwardingFailed: string[] = []
  await inLanes([...accepted.entries()], 8, async ([reference, permitId]) => {
    const problems = await checkPermit(gateway, bearer, reference, permitId, filed, received)
    if (problems.deadLetter) forwardingFailed.push(permitId)
    if (problems.list.length === 0) passed++
    else failures.push(`${reference} (${permitId}): ${problems.list.join('; ')}`)
  })
  const strays = [...filed.keys()].filter((key) => !permitIds.has(key.replace(/^permit:/, '')))
  if (strays.length > 0) failures.push(`INATRADE filed ${strays.length} applications the gateway never accepted (${strays.slice(0, 3).join(', ')})`)
  const unseen = forwardingFailed.filter((id) => !deadLetters.has(id))
  if (unseen.length > 0) failures.push(`${unseen.length} forwarding_failed permits have no dead letter an operator sees (${unseen.slice(0, 3).join(', ')})`)

  const repeats = received.repeats
  return {
    passed,
    // Each permit that broke a rule, and each rule broken across permits (strays, unseen dead letters).
    failed: failures.length,
    failures,
    figures: {
      submissions: accepted.size,
      seconds: Math.round((Date.now() - started) / 1000),
      kills: chaos.kills(),
      inatradeAttempts: [...filed.values()].reduce((sum, entry) => sum + entry.attempts, 0),
      inatradeFiled: filed.size,
      deadLetters: forwardingFailed.length,
      webhookMessages: receiver.requests.length,
      webhookRepeats: repeats,
      clientRetries: retries.conflicts + retries.throttled + retries.serverErrors + retries.noAnswer,
    },
  }
}

/** The sandbox identity's `inatrade` section, scripted over the stub's control API. */
function inatradeScript(inatradeUrl: string) {
  const url = `${inatradeUrl}/__sandbox/identities/${NIB}`
  return {
    async set(section: Record<string, unknown>): Promise<void> {
      const identity = (await (await fetch(url)).json()) as { inatrade?: Record<string, unknown> }
      const { mode: _mode, failureRate: _rate, delayMs: _delay, ...rest } = identity.inatrade ?? {}
      const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...identity, inatrade: { ...rest, ...section } }) })
      if (!response.ok) throw new Error(`INATRADE not scripted (${response.status}): ${await response.text()}`)
    },
  }
}

/**
 * What happens when: kills at even shares of the submissions, the database outage at 45 %, the
 * stall from 30 % and the down stretch from 60 % (each for its time, then back to unreliable).
 */
function chaosPlan(options: NothingLostOptions, gateway: ChildGateway, inatrade: ReturnType<typeof inatradeScript>, log: (line: string) => void) {
  const at = (share: number) => Math.max(1, Math.floor(options.submissions * share))
  const killAt = Array.from({ length: options.kills }, (_, i) => at((i + 1) / (options.kills + 1)))
  const pending: Promise<unknown>[] = []
  let kills = 0
  let restarting: Promise<void> | undefined
  const fired = new Set<string>()
  const once = (name: string, when: boolean, action: () => Promise<unknown>) => {
    if (!when || fired.has(name)) return
    fired.add(name)
    pending.push(action().catch((error: Error) => log(`${name} failed: ${error.message}`)))
  }
  const backToUnreliable = () => inatrade.set({ mode: 'unreliable', failureRate: options.inatrade.failureRate })
  return {
    restarting: () => restarting,
    kills: () => kills,
    async onAccepted(count: number): Promise<void> {
      for (const [i, threshold] of killAt.entries()) {
        once(`kill ${i + 1}`, count >= threshold, async () => {
          gateway.kill()
          kills++
          log(`SIGKILL ${kills} after ${count} accepted`)
          restarting = new Promise((resolve) => setTimeout(resolve, 300)).then(gateway.start)
          await restarting
        })
      }
      const databaseOutage = options.databaseOutage
      if (databaseOutage && gateway.databaseUrl) {
        once('database outage', count >= at(0.45), async () => log(`database: ${await databaseOutage(gateway.databaseUrl!)} after ${count} accepted`))
      }
      if (options.inatrade.stallMs > 0) {
        once('stall', count >= at(0.3), async () => {
          // The stub multiplies delays by its time scale.
          await inatrade.set({ mode: 'slow', delayMs: Math.round(options.inatrade.stallMs / TIME_SCALE) })
          log(`INATRADE stalls ${options.inatrade.stallMs} ms an answer, after ${count} accepted`)
          await new Promise((resolve) => setTimeout(resolve, options.inatrade.stallMs * 1.5))
          await backToUnreliable()
        })
      }
      if (options.inatrade.downForMs > 0) {
        once('down', count >= at(0.6), async () => {
          await inatrade.set({ mode: 'down' })
          log(`INATRADE down for ${options.inatrade.downForMs} ms, after ${count} accepted`)
          await new Promise((resolve) => setTimeout(resolve, options.inatrade.downForMs))
          await backToUnreliable()
        })
      }
    },
    async finished(): Promise<void> {
      // An action may have queued another (a kill fired while one was running): wait for all.
      for (let settled = 0; settled < pending.length; settled = pending.length) await Promise.all(pending)
    },
  }
}

/** Submits until answered 202, retrying across kills with the same key; throws on a client error. */
async function submitUntilAccepted(
  gateway: ChildGateway,
  reference: string,
  bearer: Record<string, string>,
  renewToken: () => Promise<void>,
  retries: { conflicts: number; throttled: number; serverErrors: number; noAnswer: number },
  restarting: () => Promise<void> | undefined,
): Promise<string> {
  const deadline = Date.now() + 300_000
  let last = 'nothing'
  while (Date.now() < deadline) {
    let wait = 100
    // A gateway that died by itself is the drill's finding, not something to wait out.
    const crash = gateway.crashed()
    if (crash) throw new Error(`${reference}: the gateway died by itself: ${crash}`)
    try {
      const answer = await gateway.post('/v1/permits', sampleSubmission(reference), { ...bearer, 'idempotency-key': `key-${reference}` })
      if (answer.status === 202) return (answer.body.permit as { id: string }).id
      last = `${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`
      if (answer.status === 401) {
        await renewToken()
        continue
      }
      if (answer.status === 409) retries.conflicts++
      else if (answer.status === 429) retries.throttled++
      else if (answer.status >= 500) retries.serverErrors++
      else throw new Error(`${reference} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
      wait = Math.max(wait, Math.min(answer.retryAfter, 5) * 1000)
    } catch (error) {
      if ((error as Error).message.includes('answered')) throw error
      last = `no answer: ${(error as Error).message}`
      retries.noAnswer++
    }
    await restarting()
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
  throw new Error(`${reference} was never accepted; the last answer: ${last}`)
}

async function clientCredentialsToken(gateway: ChildGateway, basic: string): Promise<string> {
  const response = await steady(() => fetch(`${gateway.origin}/oidc/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE }).toString(),
  }))
  const tokens = (await response.json()) as { access_token: string }
  if (response.status !== 200) throw new Error(`no token (${response.status}): ${JSON.stringify(tokens)}`)
  return tokens.access_token
}

/** Waits until no permit is in a status that still has a step ahead; returns the count by status. */
async function settle(gateway: ChildGateway, bearer: Record<string, string>, settleMs: number, log: (line: string) => void): Promise<Record<string, number>> {
  const open = ['submitted', 'forwarded', 'received', 'under_review', 'approved']
  const deadline = Date.now() + settleMs
  let counts: Record<string, number> = {}
  let rounds = 0
  while (Date.now() < deadline) {
    counts = {}
    for (const status of open) {
      const page = await gateway.get<{ items: unknown[] }>(`/v1/permits?status=${status}&limit=100`, bearer)
      if (page.items.length > 0) counts[status] = page.items.length
    }
    if (Object.keys(counts).length === 0) break
    if ((++rounds) % 15 === 0) log(`still on their way (first 100 of each): ${JSON.stringify(counts)}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
  return counts
}

/** Permit ids of dead-lettered forwarding jobs, as a platform operator lists them. */
async function operatorDeadLetters(gateway: ChildGateway): Promise<Set<string>> {
  const created = await steady(() => fetch(`${gateway.origin}/v1/sandbox/test-operators`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
  const operator = (await created.json()) as { username: string; password: string }
  const client = await swaggerUiClient(gateway.origin)
  const page = await openLoginPage(gateway.origin, client, { scope: 'openid registrations:read' })
  const { callback } = await submitLogin(gateway.origin, page, operator.username, operator.password)
  const tokens = await oidc.authorizationCodeGrant(client, callback, { pkceCodeVerifier: page.verifier, expectedState: page.state })
  const ids = new Set<string>()
  let next: string | null = '/v1/operator/jobs?state=dead_letter&limit=100'
  while (next) {
    const jobs: { items: { data?: { permitId?: string } }[]; next: string | null } = await gateway.get(next, { authorization: `Bearer ${tokens.access_token}` })
    for (const job of jobs.items) if (job.data?.permitId) ids.add(job.data.permitId)
    next = jobs.next
  }
  return ids
}

/** Every INATRADE application attempt by idempotency key: attempts, and how many were filed (202). */
function filedByKey(journal: JournalEntry[]): Map<string, { attempts: number; filed: number }> {
  const byKey = new Map<string, { attempts: number; filed: number }>()
  for (const entry of journal) {
    if (entry.method !== 'POST' || entry.url !== '/inatrade/v1/applications') continue
    const key = entry.headers['idempotency-key'] ?? '(none)'
    const counts = byKey.get(key) ?? { attempts: 0, filed: 0 }
    counts.attempts++
    if (entry.statusCode === 202) counts.filed++
    byKey.set(key, counts)
  }
  for (const [key, counts] of byKey) if (counts.filed === 0) byKey.delete(key)
  return byKey
}

/** Waits until the webhook has no delivery pending (retries after the kills, the receiver's answers). */
async function waitForDeliveries(gateway: ChildGateway, orgId: string, webhookId: string, bearer: Record<string, string>, settleMs: number): Promise<void> {
  const deadline = Date.now() + settleMs
  while (Date.now() < deadline) {
    const pending = await gateway.get<{ items: unknown[] }>(`/v1/orgs/${orgId}/webhooks/${webhookId}/deliveries?state=pending&limit=1`, bearer)
    if (pending.items.length === 0) return
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** The `permitId type` pairs the receiver got (each signature verified) and how many came twice. */
function receivedSteps(receiver: Receiver, secret: string): { steps: Set<string>; repeats: number } {
  const steps = new Set<string>()
  const ids = new Set<string>()
  let repeats = 0
  for (const request of receiver.requests) {
    const message = verify(request, secret) as { type: string; data: { permitId: string } }
    const id = String(request.headers['webhook-id'])
    if (ids.has(id)) repeats++
    ids.add(id)
    steps.add(`${message.data.permitId} ${message.type}`)
  }
  return { steps, repeats }
}

async function checkPermit(
  gateway: ChildGateway,
  bearer: Record<string, string>,
  reference: string,
  permitId: string,
  filed: Map<string, { attempts: number; filed: number }>,
  received: { steps: Set<string> },
): Promise<{ list: string[]; deadLetter: boolean }> {
  const list: string[] = []
  const response = await steady(() => fetch(`${gateway.origin}/v1/permits/${permitId}`, { headers: bearer }))
  if (response.status !== 200) return { list: [`GET answered ${response.status}`], deadLetter: false }
  const permit = (await response.json()) as { status: string; clientReference: string }
  if (permit.clientReference !== reference) list.push(`holds clientReference ${permit.clientReference}`)
  if (!FINAL.has(permit.status)) list.push(`still ${permit.status}: no next step taken`)
  const deadLetter = permit.status === 'forwarding_failed'
  const filings = filed.get(`permit:${permitId}`)?.filed ?? 0
  if (!deadLetter && filings !== 1) list.push(`filed at INATRADE ${filings} times`)
  if (deadLetter && filings > 1) list.push(`dead-lettered yet filed ${filings} times`)
  const events = await gateway.get<{ items: { statusFrom: string | null; statusTo: string | null }[] }>(`/v1/permits/${permitId}/events?limit=100`, bearer)
  const steps = events.items.filter((event) => event.statusTo && event.statusTo !== event.statusFrom).map((event) => `permit.${event.statusTo}`)
  const missing = steps.filter((type) => !received.steps.has(`${permitId} ${type}`))
  if (missing.length > 0) list.push(`webhook never sent for ${missing.join(', ')}`)
  return { list, deadLetter }
}

async function inLanes<T>(items: T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await work(items[next++]!)
  }))
}
