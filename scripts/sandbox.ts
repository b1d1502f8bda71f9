/**
 * `npm run sandbox`: the three upstream stubs alone, for testers and for a gateway started with
 * OSS_URL / DJP_URL / INATRADE_URL pointing at them.
 *
 * Environment: SANDBOX_OSS_PORT (4001), SANDBOX_DJP_PORT (4002), SANDBOX_INATRADE_PORT (4003),
 * SANDBOX_HOST (127.0.0.1), SANDBOX_FIXTURES (fixtures/sandbox-identities.json),
 * SANDBOX_TIME_SCALE (1), INATRADE_CALLBACK_SECRET (sandbox-callback-secret), LOG_LEVEL (info).
 */
import { startSandbox } from '../src/sandbox/start-sandbox.ts'

function port(name: string, fallback: number): number {
  const raw = process.env[name]?.trim()
  if (!raw) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new Error(`${name} must be a port number (got "${raw}")`)
  return Number(raw)
}

function timeScale(): number {
  const raw = process.env.SANDBOX_TIME_SCALE?.trim()
  if (!raw) return 1
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`SANDBOX_TIME_SCALE must be a number >= 0 (got "${raw}")`)
  return value
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    host: process.env.SANDBOX_HOST?.trim() || '127.0.0.1',
    ports: {
      oss: port('SANDBOX_OSS_PORT', 4001),
      djp: port('SANDBOX_DJP_PORT', 4002),
      inatrade: port('SANDBOX_INATRADE_PORT', 4003),
    },
    fixturesPath: process.env.SANDBOX_FIXTURES?.trim() || undefined,
    timeScale: timeScale(),
    callbackSecret: process.env.INATRADE_CALLBACK_SECRET?.trim() || undefined,
    logger: { level: process.env.LOG_LEVEL?.trim() || 'info' },
  })
  console.log(`OSS_URL=${sandbox.ossUrl}`)
  console.log(`DJP_URL=${sandbox.djpUrl}`)
  console.log(`INATRADE_URL=${sandbox.inatradeUrl}`)
  console.log(`OSS_SSO_ISSUER=${sandbox.ossIssuer}`)
  console.log(`KEMENDAG_SSO_ISSUER=${sandbox.kemendagIssuer}`)

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) {
      // A second Ctrl-C means "now": do not wait for slow requests a second time.
      process.exit(130)
    }
    closing = true
    console.log(`${signal}: closing the sandbox stubs`)
    sandbox.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
