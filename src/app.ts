/**
 * buildApp: the whole gateway as a Fastify instance, plugins first, then feature modules.
 * It never listens; `server.ts` does, and tests use `inject` or listen on port 0.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config, FederationSettings } from './config.ts'
import type { DatabaseHandle } from './db/database.ts'
import { sharedSerializers } from './http/response-serializers.ts'
import { createLogger } from './logger.ts'
import healthRoutes from './modules/health/routes.ts'
import interactionRoutes from './modules/identity/interactions/routes.ts'
import meRoutes from './modules/me/routes.ts'
import orgRoutes from './modules/orgs/routes.ts'
import accountRoutes from './modules/account/routes.ts'
import operatorRoutes from './modules/operators/routes.ts'
import organisationSyncRoutes from './modules/operators/sync-routes.ts'
import registrationRoutes from './modules/registration/routes.ts'
import mailOutboxPlugin from './mail/plugin.ts'
import type { Mailer } from './mail/mailer.ts'
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
  /** A mailer other than the configured one (tests); with `mailPollMs` the outbox worker's pace. */
  mailer?: Mailer
  mailPollMs?: number
}

/** JSON bodies are small; uploads get their own, larger limit on their route. */
const DEFAULT_BODY_LIMIT = 1024 * 1024

/**
 * Slow clients are cut off (src/config.ts HttpTimeouts). Node checks the header and request
 * deadlines only every `connectionsCheckingInterval` (30 s by default): checked at a tenth of
 * the shorter deadline, a socket closes within ~10% of it. `connectionTimeout` (a socket with
 * no traffic at all) is a backstop above both other deadlines.
 */
function serverTimeouts(timeouts: Config['httpTimeouts']) {
  return {
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: Math.max(timeouts.requestMs, timeouts.keepAliveMs) + 1000,
    http: {
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 10))),
    },
  }
}

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
    ...serverTimeouts(config.httpTimeouts),
    // The first start of an embedded database applies every migration inside the db plugin; on a
    // slow or busy machine that outlasts Fastify's default 10 s plugin timeout.
    pluginTimeout: 60_000,
    trustProxy: false,
    // One serializer per distinct response schema, not one per route and status: see the module.
    schemaController: { compilersFactory: { buildSerializer: sharedSerializers() } },
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
  const budgets = config.rateLimits
  await app.register(rateLimitPlugin, {
    redisUrl: config.redisUrl,
    scale: budgets.scale,
    apiPerMinute: budgets.apiPerMinute,
    // A caller overriding the API budget (tests, benchmarks) means the organisations' one too, unless it says otherwise.
    organisationPerMinute: options.rateLimits?.apiPerMinute ?? budgets.organisationPerMinute,
    tokenPerMinute: budgets.oidcPerMinute,
    oidcFailuresPerIp: budgets.oidcFailuresPerIpPerMinute,
    oidcFailuresPerClient: budgets.oidcFailuresPerClientPerMinute,
    ...options.rateLimits,
  })

  registerModuleSchemas(app, { sandbox: config.sandbox })
  await app.register(healthRoutes)
  await app.register(interactionRoutes, { config, federation: { ...config.federation, ...options.federation } })
  await app.register(mailOutboxPlugin, { smtp: config.smtp, mailer: options.mailer, pollMs: options.mailPollMs })
  await app.register(meRoutes)
  await app.register(orgRoutes, { config })
  await app.register(registrationRoutes, {
    trackingLimits: { lookupsPerMinute: budgets.registrationLookupsPerMinute, unknownPerMinute: budgets.registrationUnknownPerMinute },
  })
  await app.register(operatorRoutes, { config })
  await app.register(organisationSyncRoutes)
  await app.register(accountRoutes, { config })
  if (config.sandbox) await app.register(sandboxRoutes, { config })
  return app
}
