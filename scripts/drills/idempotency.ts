/**
 * The idempotency drill (issue 13 item 3), over HTTP against a running gateway: `keys` submissions,
 * each sent `replays` times with the same Idempotency-Key and body; for `concurrent` of the keys
 * all replays go at once (the rest one after another). A client that is told `409` + `Retry-After`
 * (its first request still in flight) waits and asks again, as a real one would.
 * Holds when, for every key: every answer is `202` with the same bytes (status, Location, body),
 * exactly one is not marked `Idempotent-Replayed`, exactly one permit has its clientReference,
 * and the same key with another body is `422 IDEMPOTENCY_KEY_REUSED`.
 *
 * `runIdempotencyDrill` is what the CI test calls (test/drills); `npm run drill:idempotency` runs
 * the full 1,000 × 10 against a gateway it starts (drill-gateway.ts).
 */
import { sampleSubmission } from '../../test/helpers/permit-submission.ts'

export interface IdempotencyDrillOptions {
  origin: string
  token: string
  keys: number
  replays: number
  concurrent: number
  /** Requests in flight at most across keys (the sequential keys run in this many lanes). */
  lanes?: number
}

export interface DrillOutcome {
  passed: number
  failed: number
  failures: string[]
  /** Figures for the closing line. */
  figures: Record<string, number>
}

interface Answer {
  status: number
  location: string | null
  replayed: boolean
  body: string
}

const MAX_IN_FLIGHT_WAITS = 20

async function post(options: IdempotencyDrillOptions, key: string, body: unknown): Promise<Answer> {
  for (let wait = 0; ; wait++) {
    const response = await fetch(`${options.origin}/v1/permits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (response.status === 409 && wait < MAX_IN_FLIGHT_WAITS && text.includes('IDEMPOTENCY_KEY_IN_FLIGHT')) {
      // The first request with this key is still running: wait as told (at most a second here).
      const seconds = Math.min(1, Number(response.headers.get('retry-after') ?? '1') || 1)
      await new Promise((resolve) => setTimeout(resolve, seconds * 100 * (wait + 1)))
      continue
    }
    return { status: response.status, location: response.headers.get('location'), replayed: response.headers.get('idempotent-replayed') === 'true', body: text }
  }
}

async function permitsWith(options: IdempotencyDrillOptions, clientReference: string): Promise<number> {
  const response = await fetch(`${options.origin}/v1/permits?clientReference=${encodeURIComponent(clientReference)}`, { headers: { authorization: `Bearer ${options.token}` } })
  if (response.status !== 200) return -1
  return ((await response.json()) as { items: unknown[] }).items.length
}

async function drillKey(options: IdempotencyDrillOptions, index: number, stamp: string, concurrent: boolean): Promise<string[]> {
  const key = `drill-${stamp}-${index}`
  const body = sampleSubmission(`drill-ref-${stamp}-${index}`)
  const sends = Array.from({ length: options.replays }, () => () => post(options, key, body))
  const answers: Answer[] = []
  if (concurrent) answers.push(...(await Promise.all(sends.map((send) => send()))))
  else for (const send of sends) answers.push(await send())
  const problems: string[] = []
  const first = answers.find((answer) => !answer.replayed) ?? answers[0]!
  if (answers.some((answer) => answer.status !== 202)) problems.push(`${key}: statuses ${answers.map((answer) => answer.status).join(',')} (${answers.find((answer) => answer.status !== 202)?.body.slice(0, 200)})`)
  if (answers.filter((answer) => !answer.replayed).length !== 1) problems.push(`${key}: ${answers.filter((answer) => !answer.replayed).length} answers not marked replayed`)
  if (answers.some((answer) => answer.body !== first.body || answer.location !== first.location)) problems.push(`${key}: replayed answers differ from the first`)
  const permits = await permitsWith(options, body.clientReference as string)
  if (permits !== 1) problems.push(`${key}: ${permits} permits with its clientReference`)
  const reused = await post(options, key, { ...body, clientReference: `${body.clientReference as string}-other` })
  if (reused.status !== 422 || !reused.body.includes('IDEMPOTENCY_KEY_REUSED')) problems.push(`${key}: another body answered ${reused.status}`)
  return problems
}

export async function runIdempotencyDrill(options: IdempotencyDrillOptions): Promise<DrillOutcome> {
  const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const failures: string[] = []
  let passed = 0
  let failed = 0
  const tally = (problems: string[]) => {
    if (problems.length === 0) passed += 1
    else {
      failed += 1
      failures.push(...problems)
    }
  }
  const started = performance.now()
  // The concurrent keys first, all replays of each at once, a few keys side by side.
  const concurrent = Array.from({ length: Math.min(options.concurrent, options.keys) }, (_, index) => index)
  for (let start = 0; start < concurrent.length; start += 5) {
    for (const problems of await Promise.all(concurrent.slice(start, start + 5).map((index) => drillKey(options, index, stamp, true)))) tally(problems)
  }
  let next = concurrent.length
  await Promise.all(
    Array.from({ length: options.lanes ?? 4 }, async () => {
      while (next < options.keys) tally(await drillKey(options, next++, stamp, false))
    }),
  )
  return {
    passed,
    failed,
    failures,
    figures: { keys: options.keys, replays: options.replays, concurrentKeys: concurrent.length, requests: options.keys * (options.replays + 1), seconds: Math.round((performance.now() - started) / 100) / 10 },
  }
}
