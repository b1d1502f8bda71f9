/**
 * The typed client of the INSW/INATRADE integration gateway. Paths, parameters, bodies and answers
 * are the contract's (`schema.ts`, generated from `openapi/openapi.json` by `npm run client:generate`);
 * requests go through `gatewayFetch` (tokens, Idempotency-Key, retries).
 *
 *   const gateway = createGatewayClient({ baseUrl, credentials: { clientId, clientSecret, scope: 'permits:read permits:write' } })
 *   const { permit, receipt } = expectData(await gateway.POST('/v1/permits', { body: submission }))
 */
import createClient, { type Client } from 'openapi-fetch'
import { gatewayFetch, type RetryOptions } from './fetch.ts'
import type { paths } from './schema.ts'
import { TokenSource, type ClientCredentials } from './token.ts'

export type { components, operations, paths, webhooks } from './schema.ts'
export { expectData, isProblem, ProblemError, type Problem } from './problem.ts'
export { gatewayFetch, IDEMPOTENT_POSTS, type RetryOptions } from './fetch.ts'
export { TokenError, TokenSource, type ClientCredentials } from './token.ts'
export { verifyWebhook, WebhookVerificationError, type WebhookEvent } from './webhooks.ts'

export interface GatewayClientOptions {
  /** The gateway's origin, e.g. `http://localhost:3000`. */
  baseUrl: string
  /** A machine client's credentials; without them, pass `headers.authorization` yourself (or call public operations). */
  credentials?: ClientCredentials
  retry?: RetryOptions
  /** Sent on every request (e.g. `accept-language: id`). */
  headers?: Record<string, string>
  fetch?: typeof fetch
}

export type GatewayClient = Client<paths> & { tokens?: TokenSource }

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const tokens = options.credentials ? new TokenSource({ ...options.credentials, baseUrl: options.baseUrl, fetch: options.fetch }) : undefined
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    headers: options.headers,
    fetch: gatewayFetch({ tokens, retry: options.retry, fetch: options.fetch }),
  })
  return Object.assign(client, { tokens })
}
