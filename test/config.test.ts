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
