/**
 * Signed receipts: a compact JWS made with the gateway's published OIDC signing key (the first of
 * the set, as the provider signs), so anyone holding the public JWKS (`GET /oidc/jwks`) can check
 * one without asking the gateway. The `typ` header keeps a receipt from ever passing as an access
 * token (the resource server insists on `at+jwt`) and an access token from passing as a receipt.
 * Below the modules: the keys are the identity layer's; what a receipt says is the caller's.
 */
import { createHash, createPrivateKey, sign as signBytes } from 'node:crypto'
import canonicalize from 'canonicalize'
import { compactVerify, importJWK, errors as joseErrors, type CryptoKey, type KeyObject } from 'jose'
import { algorithmOf, publicJwks, type OidcKeys, type PrivateJwk } from './keys.ts'

export const RECEIPT_TYPE = 'permit-receipt+jwt'

/** What a permit receipt certifies. */
export interface PermitReceiptClaims {
  permitId: string
  orgId: string
  clientReference: string
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the submission body. */
  submissionSha256: string
  /** ISO 8601, when the gateway accepted the submission. */
  receivedAt: string
}

export interface SignedReceiptClaims extends PermitReceiptClaims {
  iss: string
  iat: number
}

export type ReceiptVerification = { valid: true; claims: SignedReceiptClaims } | { valid: false; reason: string }

/** SHA-256 hex of the RFC 8785 (JCS) canonical form: the same JSON in any member order or spacing hashes alike. */
export function canonicalSha256(value: unknown): string {
  const canonical = canonicalize(value)
  if (canonical === undefined) throw new TypeError('the value has no JSON form')
  return createHash('sha256').update(canonical).digest('hex')
}

type Key = CryptoKey | KeyObject | Uint8Array

export interface ReceiptSigner {
  sign(claims: PermitReceiptClaims, now?: Date): Promise<string>
  verify(receipt: string): Promise<ReceiptVerification>
}

const RECEIPT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

function isClaims(value: unknown, issuer: string): value is SignedReceiptClaims {
  if (!value || typeof value !== 'object') return false
  const claims = value as Record<string, unknown>
  return (
    claims.iss === issuer &&
    typeof claims.iat === 'number' &&
    ['permitId', 'orgId', 'clientReference', 'submissionSha256', 'receivedAt'].every((name) => typeof claims[name] === 'string')
  )
}

/** Signs with the first key of the set; verifies with any published key (so a rotation keeps old receipts valid while their key is published). */
export function receiptSigner(keys: OidcKeys, issuer: string): ReceiptSigner {
  const signingJwk = keys.jwks.keys[0]
  if (!signingJwk) throw new Error('no signing key for receipts')
  const published = publicJwks(keys.jwks.keys)
  const verifyKeys = new Map<string, Promise<Key>>()
  const publicKeyOf = (kid: string): Promise<Key> | undefined => {
    const jwk = published.keys.find((candidate) => candidate.kid === kid)
    if (!jwk) return undefined
    let key = verifyKeys.get(kid)
    if (!key) {
      key = importJWK(jwk as never, algorithmOf(jwk))
      verifyKeys.set(kid, key)
    }
    return key
  }
  const signingAlg = algorithmOf(signingJwk)
  // Signed with node:crypto's synchronous sign, not jose's WebCrypto path: the same JWS (ES256's
  // signature as r||s, RFC 7518 §3.4: `ieee-p1363`) for less CPU and no hop through the thread
  // pool, which queued under load (~3 ms a receipt). Verification stays jose's.
  const signingKey = createPrivateKey({ key: signingJwk as PrivateJwk as never, format: 'jwk' })
  const signOptions = signingAlg === 'ES256' ? { key: signingKey, dsaEncoding: 'ieee-p1363' as const } : signingKey
  const protectedHeader = Buffer.from(JSON.stringify({ alg: signingAlg, kid: signingJwk.kid, typ: RECEIPT_TYPE })).toString('base64url')

  return {
    async sign(claims, now = new Date()) {
      const payload: SignedReceiptClaims = { iss: issuer, iat: Math.floor(now.getTime() / 1000), ...claims }
      const signingInput = `${protectedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
      return `${signingInput}.${signBytes('sha256', Buffer.from(signingInput), signOptions).toString('base64url')}`
    },
    async verify(receipt) {
      if (!RECEIPT_SHAPE.test(receipt)) return { valid: false, reason: 'not a compact JWS' }
      let header: { kid?: unknown; alg?: unknown; typ?: unknown }
      try {
        header = JSON.parse(Buffer.from(receipt.slice(0, receipt.indexOf('.')), 'base64url').toString('utf8'))
      } catch {
        return { valid: false, reason: 'the header is not JSON' }
      }
      if (header.typ !== RECEIPT_TYPE) return { valid: false, reason: `typ is not ${RECEIPT_TYPE}` }
      const key = typeof header.kid === 'string' ? publicKeyOf(header.kid) : undefined
      if (!key) return { valid: false, reason: 'signed by a key the gateway does not publish' }
      const jwk = published.keys.find((candidate) => candidate.kid === header.kid)!
      try {
        const { payload } = await compactVerify(receipt, await key, { algorithms: [algorithmOf(jwk)] })
        const claims: unknown = JSON.parse(new TextDecoder().decode(payload))
        if (!isClaims(claims, issuer)) return { valid: false, reason: 'not a permit receipt of this gateway' }
        return { valid: true, claims }
      } catch (error) {
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { valid: false, reason: 'the signature does not match' }
        if (error instanceof joseErrors.JOSEError) return { valid: false, reason: 'not a valid JWS' }
        if (error instanceof SyntaxError) return { valid: false, reason: 'the payload is not JSON' }
        throw error
      }
    },
  }
}
