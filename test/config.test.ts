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
  const env = { OSS_URL: 'https://oss.example/', DJP_URL: 'https://djp.example', INATRADE_URL: 'https://inatrade.example', OIDC_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', d: 'x' }] }), OIDC_COOKIE_KEYS: 'k'.repeat(32) }
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

const REAL = { OIDC_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', d: 'x' }] }), OIDC_COOKIE_KEYS: 'k'.repeat(32), INATRADE_CALLBACK_SECRET: 's3cret' }

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

t.test('registration budgets: per IP and per NIB an hour, configurable', async (t) => {
  t.same(loadConfig({}).registration, { perIpPerHour: 20, perNibPerHour: 5 })
  t.same(loadConfig({ REGISTRATION_PER_IP: '50', REGISTRATION_PER_NIB: '3' }).registration, { perIpPerHour: 50, perNibPerHour: 3 })
  const error = t.throws(() => loadConfig({ REGISTRATION_PER_NIB: '0' })) as ConfigError
  t.equal(error.variable, 'REGISTRATION_PER_NIB')
})

t.test('pushed authorization requests are off unless OIDC_PAR=true', async (t) => {
  t.equal(loadConfig({}).oidc.pushedAuthorizationRequests, false)
  t.equal(loadConfig({ OIDC_PAR: 'true' }).oidc.pushedAuthorizationRequests, true)
})
