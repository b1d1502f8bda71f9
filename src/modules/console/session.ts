/**
 * The console's session: the operator's tokens in a cookie sealed with AES-256-GCM (a key derived
 * from the OIDC cookie key), HttpOnly, SameSite=Lax, Secure on https, path /console. Nothing is
 * stored server-side, so every instance reads it and a restart signs nobody out. The access token
 * lives ACCESS_TOKEN_TTL; the refresh token renews it (routes.ts). The CSRF token of the session's
 * forms is in the sealed value too.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

export interface ConsoleSession {
  accessToken: string
  refreshToken?: string
  /** Epoch milliseconds. */
  expiresAt: number
  /** The operator's name, for the header. */
  name: string
  csrf: string
}

/** The sign-in in progress: PKCE verifier, state and where to go after. */
export interface ConsoleLogin {
  verifier: string
  state: string
  returnTo: string
}

export const SESSION_COOKIE = 'insw_console'
export const LOGIN_COOKIE = 'insw_console_login'

export class Sealer {
  readonly #key: Buffer

  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'insw-console', 'console-session-v1', 32))
  }

  seal(value: unknown): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
  }

  /** The value, or undefined for anything tampered, truncated or sealed with another key. */
  unseal<T>(sealed: string | undefined): T | undefined {
    if (!sealed) return undefined
    try {
      const raw = Buffer.from(sealed, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T
    } catch {
      return undefined
    }
  }
}
