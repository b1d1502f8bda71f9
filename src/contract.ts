/**
 * The published contract, built from the routes themselves. Two documents are committed: the
 * production one (openapi/openapi.json) and the sandbox one (openapi/openapi.sandbox.json, which
 * adds the sandbox-only operations). The export script writes both; the drift test compares both.
 */
import type { FastifyInstance } from 'fastify'

export const CONTRACT_PATHS = {
  production: new URL('../openapi/openapi.json', import.meta.url),
  sandbox: new URL('../openapi/openapi.sandbox.json', import.meta.url),
} as const

export type ContractMode = keyof typeof CONTRACT_PATHS

export function serializeContract(app: FastifyInstance): string {
  return `${JSON.stringify(app.swagger(), null, 2)}\n`
}

/** Environment for building the app in each mode without any real upstream or secret. */
export function contractEnv(mode: ContractMode, signingJwk: Record<string, unknown>): Record<string, string> {
  const base = { LOG_LEVEL: 'silent' }
  if (mode === 'sandbox') return base
  return {
    ...base,
    OSS_URL: 'http://127.0.0.1:9',
    DJP_URL: 'http://127.0.0.1:9',
    INATRADE_URL: 'http://127.0.0.1:9',
    INATRADE_CALLBACK_SECRET: 'contract-export-only',
    WEBHOOK_SECRET_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
    OIDC_JWKS: JSON.stringify({ keys: [signingJwk] }),
    OIDC_COOKIE_KEYS: 'contract-export-only-cookie-key-0123456789',
  }
}
