/** Shared test scaffolding for the sandbox stubs (not a test file: tap only runs *.test.ts). */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { IdentityStore, loadFixtures } from '../../src/sandbox/fixtures.ts'

/** Fast enough for tests, slow enough that delays are still measurable: 3 s → 30 ms. */
export const TIME_SCALE = 0.01
export const SECRET = 'test-callback-secret'

export const NIB = {
  approved: '8120000000001',
  rejected: '8120000000002',
  ossUnknown: '8120000000003',
  npwpInvalid: '8120000000004',
  npwpNotFound: '8120000000005',
  slow: '8120000000006',
  flaky: '8120000000007',
  down: '8120000000008',
  hangUp: '8120000000009',
  exporter: '8120000000010',
  bumn: '8120000000011',
  ossSlow: '8120000000013',
  kswpDown: '8120000000014',
} as const

export async function fixtureStore(): Promise<IdentityStore> {
  return new IdentityStore(await loadFixtures())
}

export interface Teardown {
  teardown(fn: () => unknown): void
}

export function applicationBody(callbackUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    referenceNumber: 'INSW-2026-000001',
    permitType: 'PI-BESI-BAJA',
    nib: NIB.approved,
    npwp: '010000000001000',
    applicant: { name: 'Budi Santoso', nik: '3171000101800001' },
    payload: { hsCode: '72081000', quantity: 1200, unit: 'TNE' },
    callbackUrl,
    ...overrides,
  }
}

export interface ReceivedCallback {
  headers: IncomingHttpHeaders
  rawBody: string
  body: { status: string; inatradeId: string; [key: string]: unknown }
}

export interface CallbackReceiver {
  url: string
  received: ReceivedCallback[]
  /** Every request, including the ones answered with a failure. */
  attempts: ReceivedCallback[]
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedCallback[]>
}

/** A tiny HTTP server standing in for the gateway's callback endpoint; fails the first `failFirst` requests with 500. */
export async function startCallbackReceiver(t: Teardown, options: { failFirst?: number } = {}): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = []
  const attempts: ReceivedCallback[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      const callback = { headers: request.headers, rawBody, body: JSON.parse(rawBody) as ReceivedCallback['body'] }
      attempts.push(callback)
      if (attempts.length <= (options.failFirst ?? 0)) {
        response.writeHead(500).end()
        return
      }
      received.push(callback)
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/inatrade/callbacks`,
    received,
    attempts,
    waitFor: (count, timeoutMs = 3000) => waitUntil(() => received.length >= count, timeoutMs, `${count} callback(s)`).then(() => received),
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
