import { MockAgent } from 'undici'
import { createUpstreamClient, type UpstreamClient, type UpstreamClientOptions } from '../../../src/upstreams/http-client.ts'
import type { UpstreamLogger } from '../../../src/upstreams/types.ts'

export const ORIGIN = 'http://upstream.test'

export interface LogRecord {
  level: 'debug' | 'info' | 'warn'
  obj: Record<string, unknown>
  msg: string
}

/** A pino-shaped logger that keeps what it is given, to assert on fields and on what is absent. */
export function recordingLogger(): UpstreamLogger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  return {
    records,
    debug: (obj, msg) => void records.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void records.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void records.push({ level: 'warn', obj, msg }),
  }
}

export interface MockedClient {
  agent: MockAgent
  pool: ReturnType<MockAgent['get']>
  client: UpstreamClient
  logger: ReturnType<typeof recordingLogger>
  /** Requests that reached the mock agent so far. */
  calls(): number
  close(): Promise<void>
}

/** A client over a MockAgent with tiny timeouts and backoff, so failure paths run in milliseconds. */
export function mockedClient(overrides: Partial<UpstreamClientOptions> = {}): MockedClient {
  const agent = new MockAgent({ enableCallHistory: true })
  agent.disableNetConnect()
  const logger = recordingLogger()
  const client = createUpstreamClient({
    name: 'oss',
    baseUrl: ORIGIN,
    dispatcher: agent,
    connectTimeoutMs: 50,
    requestTimeoutMs: 100,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    breaker: { failureRateThreshold: 1, minimumCalls: 50, windowMs: 60_000, resetAfterMs: 1000 },
    logger,
    ...overrides,
  })
  return {
    agent,
    pool: agent.get(ORIGIN),
    client,
    logger,
    calls: () => agent.getCallHistory()?.calls().length ?? 0,
    async close() {
      await client.close()
      await agent.close()
    },
  }
}

export const json = { headers: { 'content-type': 'application/json' } }
