// Nothing accepted is lost (issue 10, item 9): the gateway runs as `npm start` runs it, in a child
// process, against sandbox upstreams that outlive it. It is SIGKILLed while submissions pour in,
// restarted on the same database, and the clients retry what got no answer with the same
// Idempotency-Key (what an integrator's client does). Afterwards every permit that got a 202 exists
// and reached INATRADE exactly once as INATRADE sees it (one 202 per idempotency key in the stub's
// journal), and its events tell the story.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { freePort } from '../helpers/app.ts'
import { createServerDatabase } from '../helpers/database.ts'
import { sampleSubmission } from '../helpers/permit-submission.ts'

const SUBMISSIONS = 240
const KILL_AFTER_ACCEPTED = 60
const CONCURRENCY = 6
const NIB = '8120000000001'
const root = path.resolve(import.meta.dirname, '../..')

const sandbox = await startSandbox({ callbackSecret: 'kill-test-callback-secret', logger: false, timeScale: 0.01 })
t.teardown(() => sandbox.close())
const serverDatabase = await createServerDatabase()
const dataDir = serverDatabase ? undefined : mkdtempSync(path.join(tmpdir(), 'gw-kill-'))
t.teardown(async () => {
  await serverDatabase?.drop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})
const port = await freePort()
const origin = `http://127.0.0.1:${port}`

const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  PORT: String(port),
  HOST: '127.0.0.1',
  PUBLIC_URL: origin,
  SANDBOX: 'true',
  OSS_URL: sandbox.ossUrl,
  DJP_URL: sandbox.djpUrl,
  INATRADE_URL: sandbox.inatradeUrl,
  INATRADE_CALLBACK_SECRET: 'kill-test-callback-secret',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_SCALE: '1000',
  JOB_POLL_INTERVAL_MS: '500',
  JOB_EXPIRE_SECONDS_MAX: '10',
  ...(serverDatabase ? { DATABASE_URL: serverDatabase.url } : { DATA_DIR: dataDir! }),
}
if (!serverDatabase) delete env.DATABASE_URL

let gateway: ChildProcess | undefined
t.teardown(() => gateway?.kill('SIGKILL'))

async function startGateway(): Promise<void> {
  const child = spawn(process.execPath, ['src/server.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (chunk) => process.env.KILL_TEST_DEBUG && process.stderr.write(chunk))
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  child.on('exit', (code, signal) => {
    // A gateway that dies by itself (not by this test's SIGKILL) is a finding: show why.
    if (signal !== 'SIGKILL') console.error(`gateway exited (${code ?? signal}): ${stderr.slice(-4000)}`)
  })
  gateway = child
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}): ${stderr}`)
    const ready = await fetch(`${origin}/health/ready`).then((response) => response.ok, () => false)
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the gateway did not become ready: ${stderr}`)
}

async function post(pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; retryAfter: number }> {
  const response = await fetch(`${origin}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: Number(response.headers.get('retry-after') ?? 0) }
}

/** A request that is retried on a network error (a pooled socket the killed gateway left, a restart under way). */
async function steady<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

t.test('SIGKILLed mid-load and restarted: every accepted permit reaches INATRADE exactly once', async (t) => {
  await startGateway()
  const created = await steady(() => post('/v1/sandbox/test-organisations', { nib: NIB }))
  t.equal(created.status, 201, 'a test organisation for the sandbox NIB')
  const inhouse = (created.body.clients as { kind: string; clientId: string; clientSecret: string }[]).find((client) => client.kind === 'inhouse')!
  const tokenResponse = await steady(() => fetch(`${origin}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(inhouse.clientId)}:${encodeURIComponent(inhouse.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=permits%3Aread%20permits%3Awrite',
  }))
  const token = ((await tokenResponse.json()) as { access_token: string }).access_token
  const bearer = { authorization: `Bearer ${token}` }

  /** Client references of submissions answered 202, with their permit ids. */
  const accepted = new Map<string, string>()
  let killed = false
  let restarted: Promise<void> | undefined

  /** Submits until answered 202 (or a client error), retrying with the same key across the kill. */
  async function submitUntilAccepted(reference: string): Promise<void> {
    // A request in flight when the gateway died holds its key until the lock passes (IN_FLIGHT_LOCK_MS):
    // meanwhile the retry is answered 409 with Retry-After, which a client honours.
    const deadline = Date.now() + 150_000
    while (Date.now() < deadline) {
      let wait = 100
      try {
        const answer = await post('/v1/permits', sampleSubmission(reference), { ...bearer, 'idempotency-key': `key-${reference}` })
        if (answer.status === 202) {
          accepted.set(reference, (answer.body.permit as { id: string }).id)
          if (!killed && accepted.size >= KILL_AFTER_ACCEPTED) {
            killed = true
            gateway!.kill('SIGKILL')
            restarted = new Promise((resolve) => setTimeout(resolve, 300)).then(startGateway)
          }
          return
        }
        if (answer.status !== 409 && answer.status !== 429 && answer.status < 500) throw new Error(`${reference} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
        wait = Math.max(wait, Math.min(answer.retryAfter, 5) * 1000)
      } catch (error) {
        if ((error as Error).message.includes('answered')) throw error
        // The gateway is down (killed): wait for it to come back, as a client's retry would.
      }
      await (restarted ?? Promise.resolve()).catch((error: Error) => {
        throw new Error(`the restart failed: ${error.message}`, { cause: error })
      })
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
    throw new Error(`${reference} was never accepted`)
  }

  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < SUBMISSIONS) await submitUntilAccepted(`kill-${next++}`)
    }),
  ).catch((error: Error) => {
    throw new Error(`the submissions stopped: ${error.message}`, { cause: error })
  })
  await restarted
  t.ok(killed, 'the gateway was killed mid-load')
  t.equal(accepted.size, SUBMISSIONS, 'every submission was accepted in the end')

  // Wait until none is left waiting to be forwarded.
  const deadline = Date.now() + 120_000
  let waiting = -1
  while (Date.now() < deadline) {
    const page = await steady(async () => (await (await fetch(`${origin}/v1/permits?status=submitted&limit=1`, { headers: bearer })).json()) as { items: unknown[] })
    waiting = page.items.length
    if (waiting === 0) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.equal(waiting, 0, 'no permit is left waiting to be forwarded')

  const journal = (await (await fetch(`${sandbox.inatradeUrl}/__sandbox/requests`)).json()) as { method: string; url: string; headers: Record<string, string>; statusCode: number | null }[]
  const filed = new Map<string, number>()
  for (const entry of journal) {
    if (entry.method !== 'POST' || entry.url !== '/inatrade/v1/applications' || entry.statusCode !== 202) continue
    const key = entry.headers['idempotency-key']!
    filed.set(key, (filed.get(key) ?? 0) + 1)
  }
  const permitIds = new Set(accepted.values())
  t.equal(permitIds.size, SUBMISSIONS, 'one permit per client reference')
  t.equal(filed.size, SUBMISSIONS, 'INATRADE filed one application per accepted permit')
  t.same([...filed.values()].filter((count) => count !== 1), [], 'and none twice')

  // Every permit's events tell its story: its look-ups and submission, then its forwarding.
  let untold = 0
  for (const id of [...permitIds].slice(0, 40)) {
    const events = (await steady(async () => (await (await fetch(`${origin}/v1/permits/${id}/events?limit=100`, { headers: bearer })).json()) as { items: { type: string }[] })).items
    const types = events.map((event) => event.type)
    const submittedAt = types.indexOf('permit.submitted')
    if (submittedAt < 0 || types.indexOf('permit.forwarded') < submittedAt) untold++
  }
  t.equal(untold, 0, 'each permit sampled shows its submission and its forwarding')
})
