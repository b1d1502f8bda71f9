/**
 * Builds the gateway for a test: one database per file (see database.ts), sandbox upstreams on
 * port 0, a silent logger unless a test captures log lines. The app is returned before `ready`
 * so a test may add probe routes.
 */
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { createLogger } from '../../src/logger.ts'
import { sandboxFederation } from '../../src/sandbox/federation.ts'
import { startSandbox } from '../../src/sandbox/start-sandbox.ts'
import { createUpstreams, type Upstreams } from '../../src/upstreams/index.ts'
import { openTestDatabase, type TestDatabase } from './database.ts'
import { freePort } from './live-gateway.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TestContext {
  database: TestDatabase
  sandbox: Awaited<ReturnType<typeof startSandbox>>
  upstreams: Upstreams
  close(): Promise<void>
}

/** Shared per test file: database + sandbox + adapters. Closed by the file's teardown. */
export async function setupTestContext(t: Teardown): Promise<TestContext> {
  const database = await openTestDatabase()
  const sandbox = await startSandbox({ timeScale: 0.01, logger: false })
  const upstreams = createUpstreams({ ossUrl: sandbox.ossUrl, djpUrl: sandbox.djpUrl, inatradeUrl: sandbox.inatradeUrl })
  const context = {
    database,
    sandbox,
    upstreams,
    async close() {
      await upstreams.close()
      await sandbox.close()
      await database.close()
    },
  }
  t.teardown(() => context.close())
  return context
}

export function testConfig(env: Record<string, string> = {}): Config {
  // Registration budgets out of the way; the tests of those budgets set their own. Job workers poll
  // at pg-boss's fastest (new jobs wake them at once anyway), so retries are picked up quickly.
  // Load shedding off (a test machine running files side by side stalls loops by seconds; the
  // shedding test turns it on).
  return loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'http://gateway.test', REGISTRATION_PER_IP: '10000', REGISTRATION_PER_NIB: '10000', JOB_POLL_INTERVAL_MS: '500', LOAD_SHED_EVENT_LOOP_DELAY_MS: '0', ...env })
}

/** Collects the JSON log lines an app writes, for assertions on logging. */
export function captureLogs(): { lines: () => Record<string, unknown>[]; text: () => string; stream: Writable } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return {
    stream,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

export async function buildTestApp(
  t: Teardown,
  context: TestContext,
  options: { env?: Record<string, string>; logs?: ReturnType<typeof captureLogs> } = {},
): Promise<FastifyInstance> {
  const config = testConfig(options.env)
  const logger = options.logs ? createLogger('info', options.logs.stream) : undefined
  const { ossUrl, djpUrl, inatradeUrl } = context.sandbox
  const app = await buildApp({ config, logger, database: context.database.handle, upstreams: context.upstreams, upstreamUrls: { ossUrl, djpUrl, inatradeUrl } })
  t.teardown(() => app.close())
  return app
}

/** The app listening on a real socket at its public URL (OIDC flows need real HTTP). */
export async function startListeningApp(
  t: Teardown,
  context: TestContext,
  options: { env?: Record<string, string>; rateLimits?: Parameters<typeof buildApp>[0]['rateLimits'] } = {},
): Promise<{ app: FastifyInstance; url: string }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = testConfig({ PUBLIC_URL: url, PORT: String(port), ...options.env })
  const app = await buildApp({
    config,
    database: context.database.handle,
    upstreams: context.upstreams,
    rateLimits: options.rateLimits,
    federation: sandboxFederation(context.sandbox),
  })
  t.teardown(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  return { app, url }
}
