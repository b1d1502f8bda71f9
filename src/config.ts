/**
 * The gateway's configuration: read from the environment once, validated once, then passed
 * around typed. Nothing else in `src/` reads `process.env`.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  port: number
  host: string
  /** The URL clients use to reach the gateway (links, OIDC issuer, callback URLs). */
  publicUrl: string
  /** Unset: embedded PostgreSQL (PGlite) persisted in `dataDir`. */
  databaseUrl?: string
  dataDir: string
  /** Unset: rate limits are kept in memory (one instance only). */
  redisUrl?: string
  /** Unset in sandbox mode: the matching sandbox stub is started on a loopback port. */
  upstreams: { ossUrl?: string; djpUrl?: string; inatradeUrl?: string }
  /** Shared secret INATRADE signs its status callbacks with. */
  inatradeCallbackSecret: string
  /** Limits on one-time codes sent by SMS (mobile-number verification). */
  oneTimeCodes: OneTimeCodeLimits
  logLevel: LogLevel
  oidc: {
    /** Private signing keys (JWKS JSON); the first signs, the rest stay published for rotation. Unset in sandbox: generated once, kept in the database. */
    jwks?: { keys: Record<string, unknown>[] }
    /** Secrets that sign the provider's cookies; the first signs, the rest still verify. */
    cookieKeys?: string[]
    /** Seconds an access token lives; resource servers cache verified tokens up to this long. */
    accessTokenTtl: number
    /** Pushed authorization requests (`/oidc/request`, RFC 9126): off unless `OIDC_PAR=true`. */
    pushedAuthorizationRequests: boolean
  }
  /** External identity providers people may sign in with (OSS, SSO Kemendag). In sandbox mode the stubs' IdPs fill any gap. */
  federation: FederationSettings
  /** Unset: the gateway is not behind a proxy, so X-Forwarded-* headers are ignored. */
  trustProxy: boolean
  /** Unset: mail stays in the outbox and is shown in the sandbox mailbox instead of being sent. */
  smtp?: SmtpSettings
  /** Budgets on public registration submissions (see parseRegistrationBudgets). */
  registration: RegistrationBudgets
  /**
   * Sandbox mode (see `parseSandbox`): stubs for unset upstreams, generated keys and the public
   * `/v1/sandbox/*` routes. Never a fallback: `SANDBOX=true`, or no upstream configured at all.
   */
  sandbox: boolean
  /** Request budgets, already multiplied by `scale`. */
  rateLimits: RateLimitSettings
  /** Slow clients are cut off: see HttpTimeouts. */
  httpTimeouts: HttpTimeouts
  /** Shedding load and shutting down: see PressureSettings. */
  pressure: PressureSettings
  /** A permit's journey at INATRADE: see PermitJourneySettings. */
  permits: PermitJourneySettings
  /** The job engine (pg-boss): see JobSettings. */
  jobs: JobSettings
  /** Outgoing webhooks: see WebhookSettings. */
  webhooks: WebhookSettings
  /** Live notification streams: see NotificationStreamSettings. */
  notifications: NotificationStreamSettings
  /** Reporting obligations: see ObligationSettings. */
  obligations: ObligationSettings
}

/**
 * Overload and shutdown (src/plugins/load-shedding.ts). `maxEventLoopDelayMs`
 * (LOAD_SHED_EVENT_LOOP_DELAY_MS, 0 turns shedding off): above this mean event-loop delay every
 * request but `/health/live` gets `503 OVERLOADED` + `Retry-After` at once instead of queueing
 * behind the stall. `drainMs` (SHUTDOWN_DRAIN_MS): on SIGTERM `/health/ready` answers `503
 * draining` this long, while requests are still served, so a load balancer stops sending before
 * the listener closes; then in-flight requests and running jobs finish.
 */
export interface PressureSettings {
  maxEventLoopDelayMs: number
  sampleIntervalMs: number
  drainMs: number
}

/**
 * Reporting obligations (src/modules/obligations). `reminderDays`: how many days before a deadline
 * people are reminded (OBLIGATION_REMINDER_DAYS): the calendar feed's alarm, and any other
 * reminder of a coming deadline, so both say the same.
 */
export interface ObligationSettings {
  reminderDays: number
  /** When the daily compliance evaluation runs (COMPLIANCE_EVALUATION_CRON, Asia/Jakarta; once across instances). */
  evaluationCron: string
}

/**
 * Outgoing webhooks (src/modules/webhooks). Signing secrets are stored AES-256-GCM encrypted
 * with `secretKey`; an endpoint failing for `disableAfterMs` is disabled. Outside sandbox mode
 * endpoints must be https and may not resolve to loopback addresses.
 */
export interface WebhookSettings {
  /** 32 bytes (WEBHOOK_SECRET_KEY, base64). */
  secretKey: Buffer
  /** One HTTP attempt (connect, answer, body) must end within this. */
  timeoutMs: number
  /** An endpoint whose attempts have failed for this long is disabled and its organisation notified. */
  disableAfterMs: number
  /** Default overlap of a rotation: the previous secret keeps signing this long. */
  rotationOverlapSeconds: number
}

/**
 * `GET /v1/notifications/stream`: a comment line every `heartbeatMs` keeps a quiet stream open
 * through proxies and under the server's idle-socket timeout (which is above 60 s: keep-alive
 * plus a second, see app.ts); every `pollMs` a stream looks for notifications another instance wrote.
 */
export interface NotificationStreamSettings {
  heartbeatMs: number
  pollMs: number
}

/**
 * Callbacks can be lost (INATRADE gives up after a few tries), so a job run every
 * `reconcileIntervalMs` (once across instances) asks INATRADE about forwarded permits that have
 * not moved for `reconcileAfterMs`, at most `reconcileBatch` of them per run.
 */
export interface PermitJourneySettings {
  reconcileAfterMs: number
  reconcileBatch: number
  reconcileIntervalMs: number
}

/**
 * The job engine's knobs. Every instance enqueues; `workers: false` makes one that only enqueues
 * (an API-only replica). PGlite is one connection, so its default concurrency is small.
 */
export interface JobSettings {
  workers: boolean
  /** How often the notifications fan-out looks for new permit events when idle (it runs where workers run). */
  fanOutIntervalMs: number
  /** Jobs of one queue run at once in this instance. */
  concurrency: number
  /** How often an idle worker looks for due jobs (a new job wakes it at once through LISTEN/NOTIFY; retries and deferred jobs wait for the poll). */
  pollIntervalMs: number
  /**
   * At most this many seconds an attempt counts as running before another worker takes the job
   * over (a crashed or killed instance's jobs come back after it); undefined: each queue's own.
   */
  expireSecondsMax?: number
  /**
   * At most this many seconds between two attempts of a job (a killed instance's expired jobs
   * included); undefined: each queue's own backoff (queues.ts), up to hours.
   */
  retryDelaySecondsMax?: number
}

/** Registration submissions an hour: per client IP, and per NIB (or NPWP without an NIB). */
export interface RegistrationBudgets {
  perIpPerHour: number
  perNibPerHour: number
}

export interface OneTimeCodeLimits {
  /** Seconds a user waits before another code is sent. */
  resendIntervalSeconds: number
  /** Codes one user may request per hour. */
  perUserPerHour: number
  /** Codes one mobile number may receive per day, whoever asks. */
  perNumberPerDay: number
}

/**
 * How long a client may take. A client trickling its headers or body (slowloris) holds a socket
 * and memory; these bound it. Headers must arrive within `headersMs`, the whole request (body
 * included) within `requestMs`; an idle keep-alive connection is closed after `keepAliveMs`.
 */
export interface HttpTimeouts {
  requestMs: number
  headersMs: number
  keepAliveMs: number
}

/**
 * Every request budget (requests a minute), each from its own RATE_LIMIT_* variable. The values
 * here are already multiplied by RATE_LIMIT_SCALE, so a load test raises them all at once and
 * runs with the limiter working (its cost in every figure) but not refusing.
 */
export interface RateLimitSettings {
  /** RATE_LIMIT_SCALE; also multiplies an organisation's own limit set by an operator. */
  scale: number
  /** Per caller on the API: a person (token subject), else the IP address. */
  apiPerMinute: number
  /** Shared by one organisation's machine clients, unless an operator set the organisation's own. */
  organisationPerMinute: number
  /** Per client on /oidc/* (per IP address without one). */
  oidcPerMinute: number
  /** Failed /oidc/* requests (bad client credentials, grants) per source IP address. */
  oidcFailuresPerIpPerMinute: number
  /** Failed client authentications per client id; the client presenting its right secret still passes. */
  oidcFailuresPerClientPerMinute: number
  /** Sign-in attempts per IP address and per username. */
  signInPerIpPerMinute: number
  signInPerUsernamePerMinute: number
  /** Public registration tracking look-ups per IP address, and of those, look-ups of unknown numbers. */
  registrationLookupsPerMinute: number
  registrationUnknownPerMinute: number
}

/** Today's budgets: the RATE_LIMIT_* variable, its default, and where it lands in RateLimitSettings. */
export const RATE_LIMIT_VARIABLES = [
  ['RATE_LIMIT_API_PER_MINUTE', 600, 'apiPerMinute'],
  ['RATE_LIMIT_ORGANISATION_PER_MINUTE', 600, 'organisationPerMinute'],
  ['RATE_LIMIT_OIDC_PER_MINUTE', 60, 'oidcPerMinute'],
  ['RATE_LIMIT_OIDC_FAILURES_PER_IP', 30, 'oidcFailuresPerIpPerMinute'],
  ['RATE_LIMIT_OIDC_FAILURES_PER_CLIENT', 30, 'oidcFailuresPerClientPerMinute'],
  ['RATE_LIMIT_SIGN_IN_PER_IP', 30, 'signInPerIpPerMinute'],
  ['RATE_LIMIT_SIGN_IN_PER_USERNAME', 10, 'signInPerUsernamePerMinute'],
  ['RATE_LIMIT_REGISTRATION_LOOKUPS_PER_IP', 60, 'registrationLookupsPerMinute'],
  ['RATE_LIMIT_REGISTRATION_UNKNOWN_PER_IP', 10, 'registrationUnknownPerMinute'],
] as const satisfies readonly (readonly [string, number, Exclude<keyof RateLimitSettings, 'scale'>])[]

const MAX_BUDGET = 1_000_000
const MAX_SCALE = 1_000_000

export interface SmtpSettings {
  /** `smtp://user:pass@host:587` or `smtps://…`; or the host, port and credentials below. */
  url?: string
  host?: string
  port?: number
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean
  user?: string
  pass?: string
  /** The From header, e.g. `INSW <noreply@insw.example>`. */
  from: string
}

export interface FederatedIdpSettings {
  issuer: string
  clientId: string
  clientSecret: string
}

export type FederatedProviderName = 'oss' | 'sso_kemendag'
export type FederationSettings = Partial<Record<FederatedProviderName, FederatedIdpSettings>>

export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`Invalid configuration: ${variable} ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

type Env = Record<string, string | undefined>

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === '' ? undefined : value
}

function parsePort(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(name, `must be an integer from 0 to 65535 (got "${raw}")`)
  }
  return Number(raw)
}

function parseUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name)
  if (raw === undefined) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `must be an absolute URL (got "${redactUrl(raw)}")`)
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${url.protocol}")`)
  }
  return raw.replace(/\/+$/, '')
}

/** Never echo credentials from a URL back into a log or terminal. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@')
}

function parseJwks(env: Env): { keys: Record<string, unknown>[] } | undefined {
  const inline = optional(env, 'OIDC_JWKS')
  const file = optional(env, 'OIDC_JWKS_FILE')
  const name = inline ? 'OIDC_JWKS' : 'OIDC_JWKS_FILE'
  if (!inline && !file) return undefined
  let text: string
  try {
    text = inline ?? readFileSync(file!, 'utf8')
  } catch {
    throw new ConfigError(name, `names a file that cannot be read (${file})`)
  }
  let jwks: unknown
  try {
    jwks = JSON.parse(text)
  } catch {
    throw new ConfigError(name, 'must be a JSON Web Key Set ({"keys": [...]})')
  }
  const keys = (jwks as { keys?: unknown }).keys
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => key && typeof key === 'object' && 'd' in key)) {
    throw new ConfigError(name, 'must hold at least one private key ({"keys": [{..., "d": ...}]})')
  }
  return { keys }
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`)
  }
  return Number(raw)
}

/** Five cron fields (minute hour day month weekday): digits, `*`, `/`, `,`, `-`; pg-boss evaluates it. */
function parseCron(env: Env, name: string, fallback: string): string {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  const fields = raw.trim().split(/\s+/)
  if (fields.length !== 5 || !fields.every((field) => /^[\d*/,-]+$/.test(field))) {
    throw new ConfigError(name, `must be a cron expression of five fields, e.g. "5 0 * * *" (got "${raw}")`)
  }
  return fields.join(' ')
}

function parseRateLimits(env: Env): RateLimitSettings {
  const scale = parseInteger(env, 'RATE_LIMIT_SCALE', 1, 1, MAX_SCALE)
  const settings = { scale } as RateLimitSettings
  for (const [name, fallback, field] of RATE_LIMIT_VARIABLES) settings[field] = parseInteger(env, name, fallback, 1, MAX_BUDGET) * scale
  return settings
}

function parseHttpTimeouts(env: Env): HttpTimeouts {
  const requestMs = parseInteger(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000)
  const headersMs = parseInteger(env, 'HEADERS_TIMEOUT_MS', Math.min(10_000, requestMs), 100, 600_000)
  if (headersMs > requestMs) throw new ConfigError('HEADERS_TIMEOUT_MS', `must not exceed REQUEST_TIMEOUT_MS (${requestMs})`)
  // Longer than the usual load balancer's idle timeout (60 s), so the balancer closes first.
  const keepAliveMs = parseInteger(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000)
  return { requestMs, headersMs, keepAliveMs }
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false (got "${raw}")`)
  return raw === 'true'
}

function parseJobSettings(env: Env, server: boolean): JobSettings {
  return {
    workers: parseBoolean(env, 'JOB_WORKERS', true),
    fanOutIntervalMs: parseInteger(env, 'NOTIFICATIONS_FANOUT_INTERVAL_MS', 500, 50, 60_000),
    concurrency: parseInteger(env, 'JOB_CONCURRENCY', server ? 8 : 2, 1, 100),
    // pg-boss polls no faster than every 500 ms.
    pollIntervalMs: parseInteger(env, 'JOB_POLL_INTERVAL_MS', 2000, 500, 600_000),
    expireSecondsMax: env.JOB_EXPIRE_SECONDS_MAX === undefined ? undefined : parseInteger(env, 'JOB_EXPIRE_SECONDS_MAX', 90, 10, 86_400),
    retryDelaySecondsMax: env.JOB_RETRY_DELAY_SECONDS_MAX === undefined ? undefined : parseInteger(env, 'JOB_RETRY_DELAY_SECONDS_MAX', 60, 1, 86_400),
  }
}

/** A well-known key: sandbox secrets protect nothing real. Never used outside sandbox mode. */
const SANDBOX_WEBHOOK_SECRET_KEY = Buffer.alloc(32, 'insw-sandbox-webhook-key'.padEnd(32, '.'))

function parseWebhookSettings(env: Env, sandbox: boolean): WebhookSettings {
  const raw = optional(env, 'WEBHOOK_SECRET_KEY')
  let secretKey: Buffer
  if (raw === undefined) {
    if (!sandbox) throw new ConfigError('WEBHOOK_SECRET_KEY', 'is required outside sandbox mode (base64 of 32 random bytes: openssl rand -base64 32)')
    secretKey = SANDBOX_WEBHOOK_SECRET_KEY
  } else {
    secretKey = Buffer.from(raw, 'base64')
    // The value itself is never echoed: it is a secret.
    if (secretKey.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be base64 of exactly 32 bytes')
  }
  return {
    secretKey,
    timeoutMs: parseInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    disableAfterMs: parseInteger(env, 'WEBHOOK_DISABLE_AFTER_MS', 72 * 3_600_000, 1_000, 30 * 24 * 3_600_000),
    rotationOverlapSeconds: parseInteger(env, 'WEBHOOK_ROTATION_OVERLAP_SECONDS', 86_400, 0, 7 * 86_400),
  }
}

function removeUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

function parseIdp(env: Env, prefix: string): FederatedIdpSettings | undefined {
  const issuer = parseUrl(env, `${prefix}_ISSUER`, ['http:', 'https:'])
  const clientId = optional(env, `${prefix}_CLIENT_ID`)
  const clientSecret = optional(env, `${prefix}_CLIENT_SECRET`)
  if (!issuer && !clientId && !clientSecret) return undefined
  if (!issuer) throw new ConfigError(`${prefix}_ISSUER`, `is required with ${prefix}_CLIENT_ID`)
  if (!clientId) throw new ConfigError(`${prefix}_CLIENT_ID`, `is required with ${prefix}_ISSUER`)
  if (!clientSecret) throw new ConfigError(`${prefix}_CLIENT_SECRET`, `is required with ${prefix}_ISSUER`)
  return { issuer, clientId, clientSecret }
}

function parseSmtp(env: Env, publicUrl: string): SmtpSettings | undefined {
  const url = parseUrl(env, 'SMTP_URL', ['smtp:', 'smtps:'])
  const host = optional(env, 'SMTP_HOST')
  if (!url && !host) return undefined
  if (url && host) throw new ConfigError('SMTP_URL', 'and SMTP_HOST are exclusive: set one')
  const user = optional(env, 'SMTP_USER')
  const pass = optional(env, 'SMTP_PASS')
  if (Boolean(user) !== Boolean(pass)) throw new ConfigError(user ? 'SMTP_PASS' : 'SMTP_USER', 'is required with the other SMTP credential')
  const from = optional(env, 'SMTP_FROM') ?? `INSW Gateway <noreply@${new URL(publicUrl).hostname}>`
  if (!/<?[^\s@<>]+@[^\s@<>]+>?$/.test(from)) throw new ConfigError('SMTP_FROM', `must be an address like "INSW <noreply@example.org>" (got "${from}")`)
  return removeUndefined({
    url,
    host,
    port: host ? parsePort(env, 'SMTP_PORT', 587) : undefined,
    secure: host ? optional(env, 'SMTP_SECURE') === 'true' : undefined,
    user,
    pass,
    from,
  })
}

/** Each submission costs an OSS and a KSWP look-up and may store and mail a refusal: both are bounded. */
/** Multiplied by RATE_LIMIT_SCALE like every other budget. */
function parseRegistrationBudgets(env: Env, scale: number): RegistrationBudgets {
  return {
    perIpPerHour: parseInteger(env, 'REGISTRATION_PER_IP', 20, 1, 100_000) * scale,
    perNibPerHour: parseInteger(env, 'REGISTRATION_PER_NIB', 5, 1, 100_000) * scale,
  }
}

const UPSTREAM_VARIABLES = ['OSS_URL', 'DJP_URL', 'INATRADE_URL'] as const

/** localhost, 127.0.0.0/8 and ::1: a gateway only this machine can reach. */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host)
}

/**
 * Sandbox mode lets anyone mint an operator and read every activation mail, so it is never
 * switched on by a missing variable: it is the default only when no upstream is configured at
 * all (a laptop), and needs `SANDBOX=true` when some upstreams are real or when the gateway is
 * published over https on a non-loopback name. A partial configuration stops the start.
 */
function parseSandbox(env: Env, upstreams: Config['upstreams'], publicUrl: string): boolean {
  const raw = optional(env, 'SANDBOX')
  if (raw !== undefined && raw !== 'true' && raw !== 'false') throw new ConfigError('SANDBOX', `must be true or false (got "${raw}")`)
  const values = [upstreams.ossUrl, upstreams.djpUrl, upstreams.inatradeUrl]
  const missing = UPSTREAM_VARIABLES.filter((_, index) => values[index] === undefined)
  if (raw === 'true') return true
  if (missing.length === 0) return false
  if (raw === 'false' || missing.length < UPSTREAM_VARIABLES.length) {
    const why = raw === 'false' ? 'with SANDBOX=false' : 'once any upstream URL is set'
    throw new ConfigError(missing[0]!, `is required ${why} (missing: ${missing.join(', ')}); set every upstream URL, or SANDBOX=true to run the sandbox stubs for the unset ones`)
  }
  const url = new URL(publicUrl)
  if (url.protocol === 'https:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError('SANDBOX', `must be set to true to run the sandbox (public test routes, generated keys) at ${url.origin}; or set OSS_URL, DJP_URL and INATRADE_URL`)
  }
  return true
}

export function loadConfig(env: Env = process.env): Config {
  const port = parsePort(env, 'PORT', 3000)
  const host = optional(env, 'HOST') ?? '127.0.0.1'
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`)
  }
  const http = ['http:', 'https:']
  const upstreams = {
    ossUrl: parseUrl(env, 'OSS_URL', http),
    djpUrl: parseUrl(env, 'DJP_URL', http),
    inatradeUrl: parseUrl(env, 'INATRADE_URL', http),
  }
  const publicUrl = parseUrl(env, 'PUBLIC_URL', http) ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const sandbox = parseSandbox(env, upstreams, publicUrl)
  // The well-known sandbox secret only ever signs the INATRADE stub's callbacks.
  const inatradeCallbackSecret = optional(env, 'INATRADE_CALLBACK_SECRET') ?? (sandbox && !upstreams.inatradeUrl ? 'sandbox-callback-secret' : undefined)
  if (!inatradeCallbackSecret) {
    throw new ConfigError('INATRADE_CALLBACK_SECRET', 'is required when INATRADE_URL points at a real INATRADE')
  }
  const jwks = parseJwks(env)
  const cookieKeys = optional(env, 'OIDC_COOKIE_KEYS')?.split(',').map((key) => key.trim()).filter(Boolean)
  if (!sandbox && !jwks) throw new ConfigError('OIDC_JWKS', 'or OIDC_JWKS_FILE is required outside sandbox mode')
  if (!sandbox && !cookieKeys?.length) throw new ConfigError('OIDC_COOKIE_KEYS', 'is required outside sandbox mode')
  if (cookieKeys?.some((key) => key.length < 32)) throw new ConfigError('OIDC_COOKIE_KEYS', 'must be secrets of at least 32 characters')
  const rateLimits = parseRateLimits(env)
  const databaseUrl = parseUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])
  return {
    port,
    host,
    publicUrl,
    databaseUrl,
    dataDir: path.resolve(optional(env, 'DATA_DIR') ?? './data'),
    redisUrl: parseUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    upstreams,
    inatradeCallbackSecret,
    oneTimeCodes: {
      resendIntervalSeconds: parseInteger(env, 'OTP_RESEND_INTERVAL_SECONDS', 60, 0, 3600),
      perUserPerHour: parseInteger(env, 'OTP_MAX_PER_USER_PER_HOUR', 5, 1, 1000),
      perNumberPerDay: parseInteger(env, 'OTP_MAX_PER_NUMBER_PER_DAY', 10, 1, 10_000),
    },
    logLevel,
    oidc: { jwks, cookieKeys, accessTokenTtl: parseInteger(env, 'ACCESS_TOKEN_TTL', 300, 60, 3600), pushedAuthorizationRequests: optional(env, 'OIDC_PAR') === 'true' },
    trustProxy: optional(env, 'TRUST_PROXY') === 'true',
    smtp: parseSmtp(env, publicUrl),
    registration: parseRegistrationBudgets(env, rateLimits.scale),
    federation: removeUndefined({ oss: parseIdp(env, 'OSS_SSO'), sso_kemendag: parseIdp(env, 'KEMENDAG_SSO') }),
    sandbox,
    rateLimits,
    httpTimeouts: parseHttpTimeouts(env),
    pressure: {
      maxEventLoopDelayMs: parseInteger(env, 'LOAD_SHED_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
      sampleIntervalMs: parseInteger(env, 'LOAD_SHED_SAMPLE_INTERVAL_MS', 1000, 10, 60_000),
      drainMs: parseInteger(env, 'SHUTDOWN_DRAIN_MS', 5000, 0, 120_000),
    },
    permits: {
      reconcileAfterMs: parseInteger(env, 'PERMIT_RECONCILE_AFTER_MS', 10 * 60_000, 1_000, 7 * 24 * 3_600_000),
      reconcileBatch: parseInteger(env, 'PERMIT_RECONCILE_BATCH', 100, 1, 10_000),
      reconcileIntervalMs: parseInteger(env, 'PERMIT_RECONCILE_INTERVAL_MS', 60_000, 1_000, 24 * 3_600_000),
    },
    jobs: parseJobSettings(env, databaseUrl !== undefined),
    webhooks: parseWebhookSettings(env, sandbox),
    notifications: {
      heartbeatMs: parseInteger(env, 'NOTIFICATIONS_HEARTBEAT_MS', 15_000, 50, 60_000),
      pollMs: parseInteger(env, 'NOTIFICATIONS_STREAM_POLL_MS', 3_000, 50, 60_000),
    },
    obligations: {
      reminderDays: parseInteger(env, 'OBLIGATION_REMINDER_DAYS', 3, 1, 60),
      evaluationCron: parseCron(env, 'COMPLIANCE_EVALUATION_CRON', '5 0 * * *'),
    },
  }
}
