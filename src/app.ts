/**
 * buildApp: the whole gateway as a Fastify instance, plugins first, then feature modules.
 * It never listens; `server.ts` does, and tests use `inject` or listen on port 0.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config, FederationSettings } from './config.ts'
import type { DatabaseHandle } from './db/database.ts'
import { createLogger } from './logger.ts'
import healthRoutes from './modules/health/routes.ts'
import interactionRoutes from './modules/identity/interactions/routes.ts'
import meRoutes from './modules/me/routes.ts'
import { registerModuleSchemas } from './modules/schemas.ts'
import sandboxRoutes from './modules/sandbox/routes.ts'
import authPlugin from './plugins/auth.ts'
import oidcPlugin from './plugins/oidc.ts'
import rateLimitPlugin, { type RateLimitOptions } from './plugins/rate-limit.ts'
import dbPlugin from './plugins/db.ts'
import errorsPlugin from './plugins/errors.ts'
import openapiPlugin from './plugins/openapi.ts'
import requestContextPlugin, { genReqId } from './plugins/request-context.ts'
import upstreamsPlugin from './plugins/upstreams.ts'
import type { Upstreams } from './upstreams/index.ts'

export interface BuildAppOptions {
  config: Config
  logger?: Logger
  /** An open database owned by the caller (tests); otherwise opened from config. */
  database?: DatabaseHandle
  /** Adapters owned by the caller (tests); otherwise built from `upstreamUrls`. */
  upstreams?: Upstreams
  /** Where each upstream lives: the configured URL or the sandbox stub started for it. */
  upstreamUrls?: { ossUrl: string; djpUrl: string; inatradeUrl: string }
  /** Identity providers beyond those configured (the sandbox's OSS and SSO Kemendag IdPs). */
  federation?: FederationSettings
  /** Budgets other than the defaults (tests use tiny ones). */
  rateLimits?: Omit<RateLimitOptions, 'redisUrl'>
}

/** JSON bodies are small; uploads get their own, larger limit on their route. */
const DEFAULT_BODY_LIMIT = 1024 * 1024

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options
  const loggerInstance: FastifyBaseLogger = options.logger ?? createLogger(config.logLevel)
  const app = Fastify({
    loggerInstance,
    genReqId,
    requestIdHeader: false,
    // Our request-context plugin writes the one access-log line per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: false,
    ajv: {
      customOptions: {
        // Reject unknown fields instead of silently dropping them: a typo must not pass unnoticed,
        // and fields like `level` or `orgId` in a body must not be quietly accepted.
        removeAdditional: false,
        allErrors: true,
        coerceTypes: 'array',
        useDefaults: true,
      },
    },
  })
  // A JSON API: text/plain bodies are a client mistake (415), not a string to validate.
  app.removeContentTypeParser('text/plain')

  await app.register(errorsPlugin)
  await app.register(requestContextPlugin)
  await app.register(openapiPlugin)
  await app.register(dbPlugin, { database: options.database, databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await app.register(upstreamsPlugin, { upstreams: options.upstreams, urls: options.upstreamUrls })
  await app.register(oidcPlugin, { config })
  await app.register(authPlugin, { config })
  await app.register(rateLimitPlugin, { redisUrl: config.redisUrl, ...options.rateLimits })

  registerModuleSchemas(app, { sandbox: config.sandbox })
  await app.register(healthRoutes)
  await app.register(interactionRoutes, { config, federation: { ...config.federation, ...options.federation } })
  await app.register(meRoutes)
  if (config.sandbox) await app.register(sandboxRoutes, { config })
  return app
}
