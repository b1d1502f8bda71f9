import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults give a sandbox gateway on 127.0.0.1:3000 with an embedded database', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.publicUrl, 'http://127.0.0.1:3000')
  t.equal(config.databaseUrl, undefined)
  t.match(config.dataDir, /data$/)
  t.equal(config.sandbox, true)
  t.equal(config.logLevel, 'info')
})

t.test('real upstream URLs turn sandbox mode off and require the callback secret', async (t) => {
  const env = { OSS_URL: 'https://oss.example/', DJP_URL: 'https://djp.example', INATRADE_URL: 'https://inatrade.example', OIDC_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', d: 'x' }] }), OIDC_COOKIE_KEYS: 'k'.repeat(32), WEBHOOK_SECRET_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=' }
  t.throws(() => loadConfig(env), /INATRADE_CALLBACK_SECRET/)
  const config = loadConfig({ ...env, INATRADE_CALLBACK_SECRET: 's3cret' })
  t.equal(config.sandbox, false)
  t.equal(config.upstreams.ossUrl, 'https://oss.example', 'trailing slash trimmed')
})

const badValues: [string, string, RegExp][] = [
  ['PORT', 'abc', /^Invalid configuration: PORT must be an integer/],
  ['PORT', '70000', /PORT/],
  ['LOG_LEVEL', 'loud', /^Invalid configuration: LOG_LEVEL must be one of/],
  ['DATABASE_URL', 'mysql://x', /^Invalid configuration: DATABASE_URL must use postgres:/],
  ['OSS_URL', 'not a url', /^Invalid configuration: OSS_URL must be an absolute URL/],
  ['REDIS_URL', 'http://x', /REDIS_URL/],
  ['PUBLIC_URL', 'ftp://x', /PUBLIC_URL/],
]
for (const [name, value, message] of badValues) {
  t.test(`a bad ${name} stops start-up naming the variable`, async (t) => {
    const error = t.throws(() => loadConfig({ [name]: value })) as ConfigError
    t.type(error, ConfigError)
    t.equal(error.variable, name)
    t.match(error.message, message)
    t.notMatch(error.message, /\n/, 'one line')
  })
}

t.test('credentials in a bad URL are not echoed', async (t) => {
  const error = t.throws(() => loadConfig({ DATABASE_URL: 'postgres//user:hunter2@db' })) as Error
  t.notMatch(error.message, /hunter2/)
})

const REAL = { OIDC_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', d: 'x' }] }), OIDC_COOKIE_KEYS: 'k'.repeat(32), INATRADE_CALLBACK_SECRET: 's3cret', WEBHOOK_SECRET_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=' }

t.test('sandbox mode: the default only when no upstream is configured, SANDBOX=true otherwise', async (t) => {
  t.equal(loadConfig({}).sandbox, true, 'nothing configured: sandbox')
  t.equal(loadConfig({ SANDBOX: 'true' }).sandbox, true)
  const mixed = loadConfig({ SANDBOX: 'true', OSS_URL: 'https://oss.example' })
  t.equal(mixed.sandbox, true, 'explicit opt-in: stubs for the unset upstreams')
  t.equal(mixed.inatradeCallbackSecret, 'sandbox-callback-secret', 'the stub INATRADE gets the sandbox secret')
  t.throws(
    () => loadConfig({ SANDBOX: 'true', INATRADE_URL: 'https://inatrade.example' }),
    /INATRADE_CALLBACK_SECRET/,
    'a real INATRADE never gets the well-known sandbox secret',
  )
  const error = t.throws(() => loadConfig({ SANDBOX: 'yes' })) as ConfigError
  t.equal(error.variable, 'SANDBOX')
})

t.test('a partial upstream configuration stops the start naming what is missing', async (t) => {
  const error = t.throws(() => loadConfig({ ...REAL, OSS_URL: 'https://oss.example', INATRADE_URL: 'https://inatrade.example' })) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.variable, 'DJP_URL')
  t.match(error.message, /^Invalid configuration: DJP_URL is required .*missing: DJP_URL\)/)
  t.notMatch(error.message, /\n/, 'one line')
  const all = t.throws(() => loadConfig({ ...REAL, SANDBOX: 'false' })) as ConfigError
  t.equal(all.variable, 'OSS_URL')
  t.match(all.message, /missing: OSS_URL, DJP_URL, INATRADE_URL/)
})

t.test('a public https PUBLIC_URL needs SANDBOX=true for sandbox mode; loopback does not', async (t) => {
  const error = t.throws(() => loadConfig({ PUBLIC_URL: 'https://gateway.example' })) as ConfigError
  t.equal(error.variable, 'SANDBOX')
  t.notMatch(error.message, /\n/)
  t.equal(loadConfig({ PUBLIC_URL: 'https://gateway.example', SANDBOX: 'true' }).sandbox, true)
  for (const url of ['https://localhost:3443', 'https://127.0.0.1', 'https://[::1]:8443', 'http://gateway.example']) {
    t.equal(loadConfig({ PUBLIC_URL: url }).sandbox, true, url)
  }
})
t.test('every budget is a RATE_LIMIT_* variable with today\'s default, and RATE_LIMIT_SCALE multiplies them all', async (t) => {
  const defaults = loadConfig({}).rateLimits
  t.same(defaults, {
    scale: 1,
    apiPerMinute: 600,
    organisationPerMinute: 600,
    oidcPerMinute: 60,
    oidcFailuresPerIpPerMinute: 30,
    oidcFailuresPerClientPerMinute: 30,
    signInPerIpPerMinute: 30,
    signInPerUsernamePerMinute: 10,
    registrationLookupsPerMinute: 60,
    registrationUnknownPerMinute: 10,
  })
  const custom = loadConfig({ RATE_LIMIT_API_PER_MINUTE: '1200', RATE_LIMIT_SIGN_IN_PER_USERNAME: '5' }).rateLimits
  t.equal(custom.apiPerMinute, 1200)
  t.equal(custom.signInPerUsernamePerMinute, 5)
  const scaled = loadConfig({ RATE_LIMIT_SCALE: '1000', RATE_LIMIT_OIDC_PER_MINUTE: '2' }).rateLimits
  t.equal(scaled.scale, 1000)
  t.equal(scaled.apiPerMinute, 600_000)
  t.equal(scaled.oidcPerMinute, 2000, 'a set budget is scaled too')
  for (const [field, value] of Object.entries(scaled)) {
    if (field !== 'scale') t.equal(value, (defaults as unknown as Record<string, number>)[field]! * (field === 'oidcPerMinute' ? 2 / 60 : 1) * 1000, `${field} scaled`)
  }
})

for (const [name, value] of [['RATE_LIMIT_SCALE', '0'], ['RATE_LIMIT_SCALE', '1.5'], ['RATE_LIMIT_API_PER_MINUTE', '0'], ['RATE_LIMIT_SIGN_IN_PER_IP', 'many'], ['RATE_LIMIT_OIDC_FAILURES_PER_CLIENT', '-1']] as const) {
  t.test(`a bad ${name} (${value}) stops start-up naming the variable`, async (t) => {
    const error = t.throws(() => loadConfig({ [name]: value })) as ConfigError
    t.equal(error.variable, name)
    t.match(error.message, new RegExp(`^Invalid configuration: ${name} must be an integer`))
  })
}

t.test('slow clients are cut off: request, header and keep-alive timeouts, configurable and validated', async (t) => {
  t.same(loadConfig({}).httpTimeouts, { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000 })
  t.same(loadConfig({ REQUEST_TIMEOUT_MS: '1000' }).httpTimeouts, { requestMs: 1000, headersMs: 1000, keepAliveMs: 72_000 }, 'headers default to no more than the request timeout')
  t.equal((t.throws(() => loadConfig({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' })) as ConfigError).variable, 'HEADERS_TIMEOUT_MS')
  t.equal((t.throws(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })) as ConfigError).variable, 'REQUEST_TIMEOUT_MS')
  t.equal((t.throws(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: 'forever' })) as ConfigError).variable, 'KEEP_ALIVE_TIMEOUT_MS')
})

t.test('registration budgets: per IP and per NIB an hour, configurable', async (t) => {
  t.same(loadConfig({}).registration, { perIpPerHour: 20, perNibPerHour: 5 })
  t.same(loadConfig({ REGISTRATION_PER_IP: '50', REGISTRATION_PER_NIB: '3' }).registration, { perIpPerHour: 50, perNibPerHour: 3 })
  t.same(loadConfig({ RATE_LIMIT_SCALE: '10' }).registration, { perIpPerHour: 200, perNibPerHour: 50 }, 'scaled like every budget')
  const error = t.throws(() => loadConfig({ REGISTRATION_PER_NIB: '0' })) as ConfigError
  t.equal(error.variable, 'REGISTRATION_PER_NIB')
})

t.test('pushed authorization requests are off unless OIDC_PAR=true', async (t) => {
  t.equal(loadConfig({}).oidc.pushedAuthorizationRequests, false)
  t.equal(loadConfig({ OIDC_PAR: 'true' }).oidc.pushedAuthorizationRequests, true)
})

t.test('permit reconciliation: how long a permit may stay still, how many are asked about per run, and how often it runs', async (t) => {
  t.same(loadConfig({}).permits, { reconcileAfterMs: 600_000, reconcileBatch: 100, reconcileIntervalMs: 60_000 })
  t.same(loadConfig({ PERMIT_RECONCILE_AFTER_MS: '60000', PERMIT_RECONCILE_BATCH: '10', PERMIT_RECONCILE_INTERVAL_MS: '2000' }).permits, {
    reconcileAfterMs: 60_000,
    reconcileBatch: 10,
    reconcileIntervalMs: 2_000,
  })
  const error = t.throws(() => loadConfig({ PERMIT_RECONCILE_AFTER_MS: '10' })) as ConfigError
  t.equal(error.variable, 'PERMIT_RECONCILE_AFTER_MS')
  t.equal((t.throws(() => loadConfig({ PERMIT_RECONCILE_INTERVAL_MS: '500' })) as ConfigError).variable, 'PERMIT_RECONCILE_INTERVAL_MS')
})

t.test('obligation reminders: OBLIGATION_REMINDER_DAYS days before a deadline, 3 by default, validated', async (t) => {
  t.same(loadConfig({}).obligations, { reminderDays: 3, evaluationCron: '5 0 * * *' })
  t.equal(loadConfig({ OBLIGATION_REMINDER_DAYS: '7' }).obligations.reminderDays, 7)
  for (const value of ['0', '61', 'three']) {
    const error = t.throws(() => loadConfig({ OBLIGATION_REMINDER_DAYS: value })) as ConfigError
    t.equal(error.variable, 'OBLIGATION_REMINDER_DAYS')
  }
})

t.test('job engine: workers on, small concurrency on the embedded database, larger on a server, validated', async (t) => {
  t.same(loadConfig({}).jobs, { workers: true, fanOutIntervalMs: 500, concurrency: 2, pollIntervalMs: 2000 })
  t.equal(loadConfig({ DATABASE_URL: 'postgres://db.internal/gw' }).jobs.concurrency, 8)
  t.same(loadConfig({ JOB_WORKERS: 'false', JOB_CONCURRENCY: '4', JOB_POLL_INTERVAL_MS: '500', NOTIFICATIONS_FANOUT_INTERVAL_MS: '100' }).jobs, { workers: false, fanOutIntervalMs: 100, concurrency: 4, pollIntervalMs: 500 })
  t.equal((t.throws(() => loadConfig({ NOTIFICATIONS_FANOUT_INTERVAL_MS: '10' })) as ConfigError).variable, 'NOTIFICATIONS_FANOUT_INTERVAL_MS')
  t.equal((t.throws(() => loadConfig({ JOB_WORKERS: 'no' })) as ConfigError).variable, 'JOB_WORKERS')
  t.equal((t.throws(() => loadConfig({ JOB_CONCURRENCY: '0' })) as ConfigError).variable, 'JOB_CONCURRENCY')
  t.equal((t.throws(() => loadConfig({ JOB_POLL_INTERVAL_MS: '100' })) as ConfigError).variable, 'JOB_POLL_INTERVAL_MS', 'pg-boss polls no faster than every 500 ms')
  t.equal(loadConfig({}).jobs.expireSecondsMax, undefined, 'each queue keeps its own expiry by default')
  t.equal(loadConfig({ JOB_EXPIRE_SECONDS_MAX: '15' }).jobs.expireSecondsMax, 15)
  t.equal((t.throws(() => loadConfig({ JOB_EXPIRE_SECONDS_MAX: '5' })) as ConfigError).variable, 'JOB_EXPIRE_SECONDS_MAX', 'an attempt gets at least 10 s')
  t.equal(loadConfig({}).jobs.retryDelaySecondsMax, undefined, 'each queue keeps its own backoff by default')
  t.equal(loadConfig({ JOB_RETRY_DELAY_SECONDS_MAX: '1' }).jobs.retryDelaySecondsMax, 1)
  t.equal((t.throws(() => loadConfig({ JOB_RETRY_DELAY_SECONDS_MAX: '0' })) as ConfigError).variable, 'JOB_RETRY_DELAY_SECONDS_MAX')
})

t.test('WEBHOOK_SECRET_KEY: a sandbox default, required and exactly 32 bytes outside sandbox mode, never echoed', async (t) => {
  t.equal(loadConfig({}).webhooks.secretKey.length, 32, 'sandbox: the development key')
  const production = { ...REAL, OSS_URL: 'https://oss.example', DJP_URL: 'https://djp.example', INATRADE_URL: 'https://inatrade.example', WEBHOOK_SECRET_KEY: undefined }
  t.equal((t.throws(() => loadConfig(production)) as ConfigError).variable, 'WEBHOOK_SECRET_KEY')
  const short = t.throws(() => loadConfig({ ...production, WEBHOOK_SECRET_KEY: 'c2hvcnQta2V5' })) as ConfigError
  t.equal(short.variable, 'WEBHOOK_SECRET_KEY')
  t.notMatch(short.message, /c2hvcnQta2V5/)
  const key = Buffer.alloc(32, 5).toString('base64')
  const config = loadConfig({ ...production, WEBHOOK_SECRET_KEY: key, WEBHOOK_DISABLE_AFTER_MS: '3600000' })
  t.same(config.webhooks.secretKey, Buffer.alloc(32, 5))
  t.equal(config.webhooks.disableAfterMs, 3_600_000)
  t.equal(config.webhooks.timeoutMs, 10_000)
})

t.test('the compliance evaluation: COMPLIANCE_EVALUATION_CRON, 00:05 by default, five cron fields', async (t) => {
  t.equal(loadConfig({}).obligations.evaluationCron, '5 0 * * *')
  t.equal(loadConfig({ COMPLIANCE_EVALUATION_CRON: ' 30  1 * * 1-5 ' }).obligations.evaluationCron, '30 1 * * 1-5', 'spaces tidied')
  for (const value of ['5 0 * *', 'every day', '5 0 * * * *', '5 0 * * MON;rm']) {
    const error = t.throws(() => loadConfig({ COMPLIANCE_EVALUATION_CRON: value })) as ConfigError
    t.match(error.message, /COMPLIANCE_EVALUATION_CRON/, `refused: ${value}`)
  }
})
