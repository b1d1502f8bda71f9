/**
 * buildApp: the whole gateway as a Fastify instance, plugins first, then feature modules.
 * It never listens; `server.ts` does, and tests use `inject` or listen on port 0.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config, FederationSettings } from './config.ts'
import type { DatabaseHandle } from './db/database.ts'
import { boundedValidatorFactory } from './http/bounded-validation.ts'
import { useBoundedJsonParser } from './http/json-body.ts'
import { sharedSerializers } from './http/response-serializers.ts'
import { createLogger } from './logger.ts'
import { lazyChildLoggerFactory } from './request-logger.ts'
import healthRoutes from './modules/health/routes.ts'
import interactionRoutes from './modules/identity/interactions/routes.ts'
import meRoutes from './modules/me/routes.ts'
import orgRoutes from './modules/orgs/routes.ts'
import permitTypesPlugin from './modules/permit-types/plugin.ts'
import permitJourneyRoutes from './modules/permits/journey-routes.ts'
import notificationsPlugin from './modules/notifications/plugin.ts'
import webhooksPlugin from './modules/webhooks/plugin.ts'
import { webhookContract } from './modules/webhooks/contract.ts'
import notificationRoutes from './modules/notifications/routes.ts'
import obligationRoutes from './modules/obligations/routes.ts'
import reportRoutes from './modules/reports/routes.ts'
import complianceRoutes from './modules/compliance/routes.ts'
import obligationCalendarRoutes from './modules/obligations/calendar-routes.ts'
import businessClockPlugin from './plugins/business-clock.ts'
import { registerPermitJourneyJobs } from './modules/permits/jobs.ts'
import type { PermitTypeRegistry } from './modules/permit-types/registry.ts'
import permitTypeRoutes from './modules/permit-types/routes.ts'
import accountRoutes from './modules/account/routes.ts'
import operatorRoutes from './modules/operators/routes.ts'
import organisationSyncRoutes from './modules/operators/sync-routes.ts'
import consoleRoutes from './modules/console/routes.ts'
import operatorJobRoutes from './modules/operators/jobs-routes.ts'
import operatorPermitRoutes from './modules/permits/operator-routes.ts'
import permitRoutes from './modules/permits/routes.ts'
import shipmentDataRoutes from './modules/shipment-data/routes.ts'
import registrationRoutes, { type RegistrationGuard } from './modules/registration/routes.ts'
import jobsPlugin from './jobs/engine.ts'
import type { QueuePolicy } from './jobs/queues.ts'
import mailOutboxPlugin from './mail/plugin.ts'
import type { Mailer } from './mail/mailer.ts'
import { registerModuleSchemas } from './modules/schemas.ts'
import sandboxRoutes from './modules/sandbox/routes.ts'
import sandboxClockRoutes from './modules/sandbox/clock-routes.ts'
import authPlugin from './plugins/auth.ts'
import oidcPlugin from './plugins/oidc.ts'
import rateLimitPlugin, { type RateLimitOptions } from './plugins/rate-limit.ts'
import dbPlugin from './plugins/db.ts'
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './plugins/errors.ts'
import openapiPlugin from './plugins/openapi.ts'
import deprecationPlugin from './plugins/deprecation.ts'
import routeInventoryPlugin from './plugins/route-inventory.ts'
import loadSheddingPlugin from './plugins/load-shedding.ts'
import securityHeadersPlugin from './plugins/security-headers.ts'
import nulBytesPlugin from './plugins/nul-bytes.ts'
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
  /** A mailer other than the configured one (tests). */
  mailer?: Mailer
  /** Queue policies other than those of src/jobs/queues.ts (tests use short retry delays). */
  jobQueues?: readonly QueuePolicy[]
  /** Production hook for a captcha or proof-of-work check on registration submissions (see RegistrationGuard). */
  registrationGuard?: RegistrationGuard
  /** The webhooks' clock (tests move it past the disabling period). */
  clock?: () => Date
  /** Permit types other than fixtures/permit-types.json (tests). */
  permitTypes?: PermitTypeRegistry
}

/**
 * JSON bodies are small: the largest this API takes (a group with every menu's rights, a user
 * form) is a few KB. 64 KiB leaves room and bounds what JSON.parse alone can cost a request
 * (1 MiB took tens of milliseconds of CPU before any validation). Uploads get their own, larger
 * limit on their route.
 */
export const DEFAULT_BODY_LIMIT = 64 * 1024

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
    // request.log is made on first use: most requests never log through it (src/request-logger.ts).
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: DEFAULT_BODY_LIMIT,
    ...serverTimeouts(config.httpTimeouts),
    // The first start of an embedded database applies every migration inside the db plugin; on a
    // slow or busy machine that outlasts Fastify's default 10 s plugin timeout.
    pluginTimeout: 60_000,
    // Behind one reverse proxy (TRUST_PROXY=true) the client is the address that proxy saw: the last
    // X-Forwarded-For hop, never the client-written first one, or a sign-in lock or rate limit per
    // IP could be dodged by inventing addresses. Without a proxy the header is ignored.
    trustProxy: config.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    ajv: {
      customOptions: {
        // Reject unknown fields instead of silently dropping them: a typo must not pass unnoticed,
        // and fields like `level` or `orgId` in a body must not be quietly accepted.
        removeAdditional: false,
        // Stop at the first error: boundedValidatorFactory re-checks small inputs for every error.
        allErrors: false,
        coerceTypes: 'array',
        useDefaults: true,
      },
    },
    schemaController: {
      compilersFactory: {
        buildValidator: boundedValidatorFactory() as never,
        // One serializer per distinct response schema, not one per route and status: see the module.
        buildSerializer: sharedSerializers(),
      },
    },
    // Errors Fastify answers before any route or hook runs (bad URL encoding, an over-long path
    // parameter, an over-large header block) leave as problem+json like every other error.
    frameworkErrors,
    clientErrorHandler,
  })
  // A JSON API: text/plain bodies are a client mistake (415), not a string to validate.
  app.removeContentTypeParser('text/plain')
  // JSON whose parsing alone would block the event loop (deep nesting, thousands of distinct names) is refused first.
  useBoundedJsonParser(app)

  await app.register(routeInventoryPlugin)
  await app.register(deprecationPlugin)
  await app.register(errorsPlugin)
  await app.register(requestContextPlugin)
  await app.register(loadSheddingPlugin, config.pressure)
  await app.register(securityHeadersPlugin, { https: config.publicUrl.startsWith('https:') })
  await app.register(nulBytesPlugin)
  await app.register(openapiPlugin, { webhooks: webhookContract(), sandbox: config.sandbox })
  await app.register(dbPlugin, { database: options.database, databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await app.register(upstreamsPlugin, { upstreams: options.upstreams, urls: options.upstreamUrls })
  await app.register(jobsPlugin, { settings: config.jobs, queues: options.jobQueues })
  await app.register(businessClockPlugin, { movable: config.sandbox })
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
  await app.register(mailOutboxPlugin, { smtp: config.smtp, mailer: options.mailer })
  await app.register(meRoutes)
  await app.register(orgRoutes, { config })
  await app.register(permitTypesPlugin, { registry: options.permitTypes })
  await app.register(permitTypeRoutes)
  // INATRADE's callbacks and the licence document; the forward, cancel and reconcile jobs.
  await app.register(permitJourneyRoutes, { config })
  await registerPermitJourneyJobs(app, { config })
  // Permit events become notifications and webhook deliveries (the fan-out pump).
  await app.register(notificationsPlugin, { jobs: config.jobs })
  // Organisations' webhook endpoints, their delivery log and the signed delivery job.
  await app.register(webhooksPlugin, { config, now: options.clock })
  // The feed and its live stream.
  await app.register(notificationRoutes, { stream: config.notifications })
  await app.register(registrationRoutes, {
    submissionBudgets: config.registration,
    guard: options.registrationGuard,
    trackingLimits: { lookupsPerMinute: budgets.registrationLookupsPerMinute, unknownPerMinute: budgets.registrationUnknownPerMinute },
  })
  await app.register(operatorRoutes, { config })
  await app.register(organisationSyncRoutes)
  await app.register(operatorJobRoutes)
  await app.register(consoleRoutes, { config })
  await app.register(accountRoutes, { config })
  await app.register(permitRoutes, { config })
  await app.register(operatorPermitRoutes)
  await app.register(obligationRoutes)
  await app.register(reportRoutes)
  await app.register(obligationCalendarRoutes, { config })
  await app.register(complianceRoutes, config.obligations)
  await app.register(shipmentDataRoutes)
  if (config.sandbox) {
    await app.register(sandboxRoutes, { config, upstreamUrls: options.upstreamUrls })
    await app.register(sandboxClockRoutes, { reminderDays: config.obligations.reminderDays })
  }
  return app
}
