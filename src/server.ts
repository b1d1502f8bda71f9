/**
 * Entry point: config, logger, sandbox upstreams in sandbox mode, listen,
 * graceful shutdown. Everything else lives in buildApp.
 */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { createLogger } from './logger.ts'
import { sandboxFederation } from './sandbox/federation.ts'
import { startSandbox } from './sandbox/start-sandbox.ts'

function readConfig(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
}

const config = readConfig()
const logger = createLogger(config.logLevel)

// Sandbox mode (explicit, see config.ts): each upstream without a URL is served by its stub on a
// loopback port. Outside sandbox mode every URL is set, so no stub ever starts.
const stubsNeeded = config.sandbox && Object.values(config.upstreams).filter(Boolean).length < 3
const sandbox = stubsNeeded
  ? await startSandbox({ callbackSecret: config.inatradeCallbackSecret, logger: false })
  : undefined
if (config.sandbox) {
  logger.warn({ publicUrl: config.publicUrl }, 'SANDBOX MODE: anyone can create operators and read mail at /v1/sandbox/*; never expose this gateway with real data')
}
const upstreamUrls = {
  ossUrl: config.upstreams.ossUrl ?? sandbox!.ossUrl,
  djpUrl: config.upstreams.djpUrl ?? sandbox!.djpUrl,
  inatradeUrl: config.upstreams.inatradeUrl ?? sandbox!.inatradeUrl,
}
if (sandbox) {
  logger.info({ oss: upstreamUrls.ossUrl, djp: upstreamUrls.djpUrl, inatrade: upstreamUrls.inatradeUrl }, 'sandbox upstreams started')
}

// The sandbox's identity providers stand in for OSS and SSO Kemendag sign-in unless real ones are configured.
const federation = sandbox ? { ...sandboxFederation(sandbox), ...config.federation } : undefined

const app = await buildApp({ config, logger, upstreamUrls, federation })

// Readiness turns `draining` for SHUTDOWN_DRAIN_MS while requests are still served; then in-flight
// requests finish (app.close waits for them), running jobs end, pools and stubs close; a second
// signal or the delay forces the exit.
closeWithGrace({ delay: config.pressure.drainMs + 10_000, logger }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'shutting down after an error')
  else logger.info({ signal, drainMs: config.pressure.drainMs }, 'shutting down: readiness says draining, then in-flight requests and jobs finish')
  // Readiness first (a load balancer stops sending), the listener after: nothing is cut mid-request.
  if (!err) await app.startDraining()
  await app.close()
  await sandbox?.close()
})

try {
  await app.listen({ port: config.port, host: config.host })
  logger.info({ url: config.publicUrl, docs: `${config.publicUrl}/docs` }, 'gateway ready')
} catch (error) {
  logger.fatal({ err: error }, 'could not start')
  await app.close()
  await sandbox?.close()
  process.exit(1)
}
