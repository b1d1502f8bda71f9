/**
 * Issue 8 item 6: sandbox mode (public /v1/sandbox/*, generated keys) used to switch on whenever
 * one upstream URL was unset. It must be explicit: a partial configuration stops the start, and
 * a gateway published over https needs SANDBOX=true.
 */
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'

const production = {
  OSS_URL: 'https://oss.example',
  DJP_URL: 'https://djp.example',
  INATRADE_URL: 'https://inatrade.example',
  INATRADE_CALLBACK_SECRET: 'real-secret',
  WEBHOOK_SECRET_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
  OIDC_JWKS: JSON.stringify({ keys: [{ kty: 'RSA', d: 'x' }] }),
  OIDC_COOKIE_KEYS: 'c'.repeat(32),
  PUBLIC_URL: 'https://gateway.example',
}

t.test('every upstream configured: production, no sandbox', async (t) => {
  t.equal(loadConfig(production).sandbox, false)
})

for (const name of ['OSS_URL', 'DJP_URL', 'INATRADE_URL'] as const) {
  t.test(`forgetting ${name} stops the start instead of falling back to the sandbox`, async (t) => {
    const env: Record<string, string | undefined> = { ...production, [name]: undefined }
    const error = t.throws(() => loadConfig(env)) as ConfigError
    t.type(error, ConfigError)
    t.equal(error.variable, name)
    t.match(error.message, name)
    t.notMatch(error.message, /\n/, 'one line')
  })
}

t.test('no upstream at a public https URL: sandbox only with an explicit SANDBOX=true', async (t) => {
  const env = { PUBLIC_URL: 'https://gateway.example' }
  const error = t.throws(() => loadConfig(env)) as ConfigError
  t.equal(error.variable, 'SANDBOX')
  t.equal(loadConfig({ ...env, SANDBOX: 'true' }).sandbox, true)
})

t.test('SANDBOX=false with nothing configured is refused, not silently a sandbox', async (t) => {
  const error = t.throws(() => loadConfig({ SANDBOX: 'false' })) as ConfigError
  t.equal(error.variable, 'OSS_URL')
})
