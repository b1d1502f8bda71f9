/**
 * Client-credentials tokens for a machine client: fetched from the gateway's token endpoint,
 * cached until shortly before they expire, fetched once however many requests ask at the same
 * moment, and forgotten when the gateway refuses one (a revoked client, a rotated key).
 */

export interface ClientCredentials {
  clientId: string
  clientSecret: string
  /** Space-separated scopes, e.g. `permits:read permits:write`. */
  scope: string
}

export interface TokenSourceOptions extends ClientCredentials {
  /** The gateway's origin, e.g. `https://gateway.example` (the token endpoint is `/oidc/token`). */
  baseUrl: string
  /** Renew this long before the token expires (default 30 s), so no request carries one about to lapse. */
  renewBeforeMs?: number
  fetch?: typeof fetch
  now?: () => number
}

export class TokenError extends Error {
  readonly status: number
  readonly body: unknown
  constructor(status: number, body: unknown) {
    const detail = typeof body === 'object' && body !== null ? (body as { error_description?: string; error?: string }) : {}
    super(`the token endpoint answered ${status}: ${detail.error_description ?? detail.error ?? 'no detail'}`)
    this.name = 'TokenError'
    this.status = status
    this.body = body
  }
}

export class TokenSource {
  readonly #options: TokenSourceOptions
  #token?: { value: string; renewAt: number }
  #pending?: Promise<string>

  constructor(options: TokenSourceOptions) {
    this.#options = options
  }

  /** A valid access token: the cached one, or a new one. */
  async token(): Promise<string> {
    const now = (this.#options.now ?? Date.now)()
    if (this.#token && now < this.#token.renewAt) return this.#token.value
    this.#pending ??= this.#fetchToken().finally(() => (this.#pending = undefined))
    return this.#pending
  }

  /** Forgets the cached token (the gateway said 401): the next request fetches a new one. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined
  }

  async #fetchToken(): Promise<string> {
    const { baseUrl, clientId, clientSecret, scope } = this.#options
    // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')
    const response = await (this.#options.fetch ?? fetch)(new URL('/oidc/token', baseUrl), {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    })
    const body = (await response.json().catch(() => undefined)) as { access_token?: string; expires_in?: number } | undefined
    if (!response.ok || !body?.access_token) throw new TokenError(response.status, body)
    const lifetimeMs = (body.expires_in ?? 300) * 1000
    const renewBefore = Math.min(this.#options.renewBeforeMs ?? 30_000, lifetimeMs / 2)
    this.#token = { value: body.access_token, renewAt: (this.#options.now ?? Date.now)() + lifetimeMs - renewBefore }
    return body.access_token
  }
}
