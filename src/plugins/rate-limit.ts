/**
 * Request budgets (@fastify/rate-limit): per caller on the API (the token's subject, else the IP
 * address; machine clients share their organisation's budget, its own limit if an operator set
 * one), and their own on the OIDC provider's routes, which attackers target (see below).
 * `/health/*` is never limited. Every number comes from configuration (RATE_LIMIT_*).
 *
 * Without REDIS_URL the counters are a Map in the process: a look-up and an increment per
 * request. With it, every instance draws on the same budget through a local budget synchronised
 * in batches (rate-limit-store.ts says why and how precise). Answers 429 problem+json with
 * `Retry-After` and the `RateLimit-*` headers (IETF draft).
 */
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { AppError } from '../errors/app-error.ts'
import { OIDC_MOUNT_PATH } from '../identity/provider.ts'
import { BatchedRedisCounters, counterStore, InMemoryCounters } from './rate-limit-store.ts'

export interface RateLimitOptions {
  redisUrl?: string
  /** Requests per minute for one caller on the API. */
  apiPerMinute?: number
  /** Requests per minute shared by an organisation's machine clients (unless the organisation has its own limit). */
  organisationPerMinute?: number
  /** Requests per minute on /oidc/* per client that authenticated (per IP address without client credentials). */
  tokenPerMinute?: number
  /** Failed /oidc/* requests per minute per source IP address; then the address is refused. */
  oidcFailuresPerIp?: number
  /** Failed client authentications per minute per client id; then only the right secret passes. */
  oidcFailuresPerClient?: number
  /** RATE_LIMIT_SCALE: multiplies an organisation's own limit (the budgets above arrive already scaled). */
  scale?: number
  /** Prefix of the counters' keys in Redis; instances sharing a budget must share it. */
  nameSpace?: string
}

export const RATE_LIMIT_DEFAULTS = {
  apiPerMinute: 600,
  organisationPerMinute: 600,
  tokenPerMinute: 60,
  oidcFailuresPerIp: 30,
  oidcFailuresPerClient: 30,
  scale: 1,
  nameSpace: 'insw-gw-rl:',
}

const WINDOW_MS = 60_000

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether `secret` is the client's (current or, during a rotation grace, previous) secret. Set by the oidc plugin. */
    verifyClientSecret?: (clientId: string, secret: string) => Promise<boolean>
  }
}

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

/** The client credentials of HTTP Basic authentication, as claimed: nothing is verified here. */
function basicCredentials(request: FastifyRequest): { clientId: string; secret: string } | undefined {
  const authorization = request.headers.authorization
  if (!authorization || authorization.slice(0, 6).toLowerCase() !== 'basic ') return undefined
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded.
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

type Budget = ReturnType<FastifyInstance['createRateLimit']>

function tooMany(max: number, retryAfterSeconds: number): AppError {
  return new AppError('RATE_LIMITED', {
    detail: {
      en: `Rate limit of ${max} requests per minute exceeded; retry in ${retryAfterSeconds} seconds.`,
      id: `Batas ${max} permintaan per menit terlampaui; coba lagi dalam ${retryAfterSeconds} detik.`,
    },
    retryAfter: retryAfterSeconds,
  })
}

/** The budget headers on a refusal (Fastify's reply) and on an answer of the provider (the raw response). */
function budgetHeaders(reply: FastifyReply, limit: number, remaining: number, resetSeconds: number, raw: boolean): void {
  const headers: [string, string][] = [['ratelimit-limit', String(limit)], ['ratelimit-remaining', String(Math.max(0, remaining))], ['ratelimit-reset', String(resetSeconds)]]
  for (const [name, value] of headers) {
    if (raw) reply.raw.setHeader(name, value)
    else reply.header(name, value)
  }
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
  const limits = { ...RATE_LIMIT_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) }
  /** An organisation's own limit (set by an operator), else the shared default; people and anonymous callers their own. */
  const apiBudget = (request: FastifyRequest): number => {
    const principal = request.principal
    if (principal?.kind === 'client' && principal.organisationId) {
      return principal.organisationRateLimit === undefined ? limits.organisationPerMinute : principal.organisationRateLimit * limits.scale
    }
    return limits.apiPerMinute
  }
  const settings: RateLimitPluginOptions = {
    global: true,
    // After authentication, so the budget follows the caller rather than a shared NAT address.
    hook: 'preHandler',
    max: apiBudget,
    timeWindow: WINDOW_MS,
    // The provider's routes, added earlier by the oidc plugin, escape this global hook: their own budgets are below.
    keyGenerator: callerKey,
    enableDraftSpec: true,
    store: counterStore(redis ? new BatchedRedisCounters(redis, limits.nameSpace) : new InMemoryCounters()) as unknown as RateLimitPluginOptions['store'],
    // A Redis outage must not take the API down: requests pass while it is unreachable.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => tooMany(context.max, Math.ceil(context.ttl / 1000)),
  }
  await app.register(rateLimit, settings)
  limitProviderRoutes(app, limits)
}

/**
 * The provider's routes (/oidc/*): the token endpoint's budget must be neither dodged nor turned
 * against a client. A client id in a Basic header is only a claim, so nothing is counted against
 * it until the provider has judged it:
 * - failures (a 4xx from the provider) count per source IP address; an address over its budget is
 *   refused whatever client id it tries next, so random ids no longer bypass the budget;
 * - failed client authentications (401) also count per client id; over that budget a request for
 *   the client is refused unless it presents the client's right secret, checked here, so wrong
 *   secrets from elsewhere cannot lock the real client out;
 * - the request budget of a client counts only its successful requests, so only the holder of the
 *   secret can spend it; requests without client credentials spend a budget per IP address.
 */
function limitProviderRoutes(app: FastifyInstance, limits: typeof RATE_LIMIT_DEFAULTS): void {
  const claimedId = (request: FastifyRequest) => basicCredentials(request)?.clientId ?? ''
  const budget = (max: number, prefix: string, key: (request: FastifyRequest) => string): Budget =>
    app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: (request) => `${prefix}${key(request)}` })
  const failuresPerIp = budget(limits.oidcFailuresPerIp, 'oidc-fail-ip:', (request) => request.ip)
  const failuresPerClient = budget(limits.oidcFailuresPerClient, 'oidc-fail-client:', claimedId)
  const successesPerClient = budget(limits.tokenPerMinute, 'oidc-client:', claimedId)
  const requestsPerIp = budget(limits.tokenPerMinute, 'oidc-ip:', (request) => request.ip)

  /** Refuses with 429 and the budget's headers. */
  const refuse = (reply: FastifyReply, max: number, state: BudgetState): never => {
    budgetHeaders(reply, max, 0, state.resetSeconds, false)
    throw tooMany(max, state.resetSeconds)
  }

  // A callback hook: the API's routes (every route but the provider's) pay no promise for it.
  app.addHook('preHandler', (request, reply, done) => {
    if (!isProviderRoute(request)) return done()
    limitProviderRoute(request, reply).then(() => done(), done)
  })

  async function limitProviderRoute(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ipFailures = await budgetState(failuresPerIp, request, false)
    if (ipFailures.remaining === 0) refuse(reply, limits.oidcFailuresPerIp, ipFailures)
    const credentials = basicCredentials(request)
    if (!credentials) {
      const spent = await budgetState(requestsPerIp, request, true)
      if (spent.exceeded) refuse(reply, limits.tokenPerMinute, spent)
      // The provider answers on the raw response (the reply is hijacked): the headers go there.
      budgetHeaders(reply, limits.tokenPerMinute, spent.remaining, spent.resetSeconds, true)
      countOutcome(request, reply, { failure: [failuresPerIp] })
      return
    }
    const clientFailures = await budgetState(failuresPerClient, request, false)
    if (clientFailures.remaining === 0) {
      const verify = app.verifyClientSecret
      const genuine = verify ? await verify(credentials.clientId, credentials.secret).catch(() => false) : false
      if (!genuine) {
        void failuresPerIp(request).catch(() => undefined)
        refuse(reply, limits.oidcFailuresPerClient, clientFailures)
      }
    }
    const successes = await budgetState(successesPerClient, request, false)
    if (successes.remaining === 0) refuse(reply, limits.tokenPerMinute, successes)
    budgetHeaders(reply, limits.tokenPerMinute, successes.remaining - 1, successes.resetSeconds, true)
    countOutcome(request, reply, { failure: [failuresPerIp], authFailure: [failuresPerIp, failuresPerClient], success: [successesPerClient] })
  }
}

interface BudgetState {
  remaining: number
  resetSeconds: number
  exceeded: boolean
}

/** A budget's state after spending one (`spend`) or just looking. An unreachable Redis leaves every budget open. */
async function budgetState(limiter: Budget, request: FastifyRequest, spend: boolean): Promise<BudgetState> {
  const result = await limiter(request, { increment: spend })
  if (result.isAllowed) return { remaining: Infinity, resetSeconds: WINDOW_MS / 1000, exceeded: false }
  return { remaining: result.remaining, resetSeconds: result.ttlInSeconds > 0 ? result.ttlInSeconds : WINDOW_MS / 1000, exceeded: result.isExceeded }
}

/** Once the provider has answered, spends what the outcome costs: failures (4xx), failed client authentications (401), successes. */
function countOutcome(request: FastifyRequest, reply: FastifyReply, spend: { failure: Budget[]; authFailure?: Budget[]; success?: Budget[] }): void {
  reply.raw.once('finish', () => {
    const status = reply.raw.statusCode
    const limiters = status === 401 ? (spend.authFailure ?? spend.failure) : status >= 400 && status < 500 ? spend.failure : status < 400 ? (spend.success ?? []) : []
    for (const limiter of limiters) void limiter(request).catch(() => undefined)
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['errors'] })
