/**
 * Request budgets (@fastify/rate-limit): per caller on the API (the token's subject, else the
 * IP address; machine clients share their organisation's budget, its own limit if an operator set one), and stricter ones on the token and login endpoints, which attackers target.
 * With REDIS_URL the counters live in Redis so every instance draws on the same budget;
 * without it they are per-process. Answers 429 problem+json with `Retry-After` and the
 * `RateLimit-*` headers (IETF draft).
 */
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { AppError } from '../errors/app-error.ts'
import { OIDC_MOUNT_PATH } from '../modules/identity/oidc/provider.ts'

export interface RateLimitOptions {
  redisUrl?: string
  /** Requests per minute for one caller on the API. */
  apiPerMinute?: number
  /** Requests per minute shared by an organisation's machine clients (unless the organisation has its own limit). */
  organisationPerMinute?: number
  /** Requests per minute on /oidc/token and friends, per client (or IP). */
  tokenPerMinute?: number
  /** RATE_LIMIT_SCALE: multiplies an organisation's own limit (the budgets above arrive already scaled). */
  scale?: number
  /** Prefix of the counters' keys in Redis; instances sharing a budget must share it. */
  nameSpace?: string
}

export const RATE_LIMIT_DEFAULTS = { apiPerMinute: 600, organisationPerMinute: 600, tokenPerMinute: 60, scale: 1, nameSpace: 'insw-gw-rl:' }

/** The budget headers (IETF draft names, as @fastify/rate-limit sends them with `enableDraftSpec`). */
const BUDGET_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const

/** A route of the OIDC provider (token, introspection, revocation...), by the matched route, not the raw URL. */
function isProviderRoute(request: FastifyRequest): boolean {
  const route = request.routeOptions.url ?? ''
  return route === OIDC_MOUNT_PATH || route.startsWith(`${OIDC_MOUNT_PATH}/`)
}

/** Machine clients draw on their organisation's budget, shared by all its clients; people on their own. */
function callerKey(request: FastifyRequest): string {
  const principal = request.principal
  if (principal?.kind === 'client' && principal.organisationId) return `org:${principal.organisationId}`
  return principal ? `${principal.kind}:${principal.subject}` : `ip:${request.ip}`
}

/** The client id of an OAuth client authenticating with HTTP Basic, else the IP address. */
function tokenEndpointKey(request: FastifyRequest): string {
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Basic ')) {
    const clientId = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':')[0]
    if (clientId) return `client:${decodeURIComponent(clientId)}`
  }
  return `ip:${request.ip}`
}

async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, { connectTimeout: 2000, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    : undefined
  if (redis) {
    await redis.connect()
    app.addHook('onClose', async () => {
      await redis.quit()
    })
  }
  const tokenPerMinute = options.tokenPerMinute ?? RATE_LIMIT_DEFAULTS.tokenPerMinute
  const apiPerMinute = options.apiPerMinute ?? RATE_LIMIT_DEFAULTS.apiPerMinute
  const organisationPerMinute = options.organisationPerMinute ?? RATE_LIMIT_DEFAULTS.organisationPerMinute
  const scale = options.scale ?? RATE_LIMIT_DEFAULTS.scale
  /** An organisation's own limit (set by an operator), else the shared default; people and anonymous callers their own. */
  const apiBudget = (request: FastifyRequest): number => {
    const principal = request.principal
    if (principal?.kind === 'client' && principal.organisationId) {
      return principal.organisationRateLimit === undefined ? organisationPerMinute : principal.organisationRateLimit * scale
    }
    return apiPerMinute
  }
  const settings: RateLimitPluginOptions = {
    global: true,
    // After authentication, so the budget follows the caller rather than a shared NAT address.
    hook: 'preHandler',
    max: (request) => (isProviderRoute(request) ? tokenPerMinute : apiBudget(request)),
    timeWindow: 60_000,
    keyGenerator: (request) => (isProviderRoute(request) ? tokenEndpointKey(request) : callerKey(request)),
    enableDraftSpec: true,
    redis,
    nameSpace: options.nameSpace ?? RATE_LIMIT_DEFAULTS.nameSpace,
    // A Redis outage must not take the API down: requests pass while it is unreachable.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', {
        detail: {
          en: `Rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}.`,
          id: `Batas ${context.max} permintaan per menit terlampaui; coba lagi dalam ${context.after}.`,
        },
        retryAfter: Math.ceil(context.ttl / 1000),
      }),
  }
  await app.register(rateLimit, settings)

  // The provider's routes are added by the oidc plugin, before this one, so the global onRoute hook
  // above never sees them. A root hook reaches every route, whenever it was added: limit them here.
  // (Were they added later, their own route hook would find this one already ran and skip.)
  const providerLimit = app.rateLimit({ max: tokenPerMinute, keyGenerator: tokenEndpointKey })
  app.addHook('preHandler', async function limitProviderRoutes(request, reply) {
    if (!isProviderRoute(request)) return
    await providerLimit.call(this, request, reply)
    // The provider answers on the raw response (the reply is hijacked): carry the budget headers there.
    for (const name of BUDGET_HEADERS) {
      const value = reply.getHeader(name)
      if (value !== undefined) reply.raw.setHeader(name, value)
    }
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['errors'] })
