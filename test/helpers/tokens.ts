/**
 * Access tokens minted with the gateway's own signing key, exactly as the provider issues them,
 * so tests can act as many users and clients without a sign-in each. At least one test per
 * feature still uses real tokens from the provider (see test/orgs/end-to-end.test.ts).
 */
import { createHmac, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { algorithmOf } from '../../src/identity/keys.ts'
import { apiAudienceOf, issuerOf } from '../../src/identity/provider.ts'
import { testConfig } from './app.ts'

export type Signer = { alg: 'RS256' | 'ES256'; key: KeyObject } | { alg: 'HS256'; secret: string | Buffer } | { alg: 'none' }

const encode = (part: unknown): string => Buffer.from(JSON.stringify(part)).toString('base64url')

/** A JWT built by hand: header.payload.signature, base64url. */
export function jwt(header: Record<string, unknown>, claims: Record<string, unknown>, signer: Signer): string {
  const input = `${encode(header)}.${encode(claims)}`
  if (signer.alg === 'none') return `${input}.`
  let signature: Buffer
  if (signer.alg === 'HS256') signature = createHmac('sha256', signer.secret).update(input).digest()
  // JWS wants ECDSA's r||s, not DER (RFC 7518 section 3.4).
  else if (signer.alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' })
  else signature = sign('sha256', Buffer.from(input), signer.key)
  return `${input}.${signature.toString('base64url')}`
}

export interface TokenMinter {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  /** The gateway's signing key with its algorithm, as the provider signs. */
  signer: Signer
  issuer: string
  audience: string
  /** The header the provider puts on access tokens. */
  header(): Record<string, unknown>
  /** Claims as the provider issues them (iss, aud, iat, exp, jti) around the given ones. */
  claims(claims: { sub: string; client_id: string; scope?: string; org_id?: string }): Record<string, unknown>
  /** A person's token through Swagger UI (authorization code). */
  forUser(userId: string, options?: { scope?: string; orgId?: string | null }): string
  /** A machine client's token (client credentials: sub = client_id). */
  forClient(clientId: string, options?: { scope?: string; orgId?: string }): string
}

/** Mints for the app's issuer (the default test config's public URL unless given). */
export function tokenMinter(app: FastifyInstance, config = testConfig()): TokenMinter {
  const signingJwk = app.oidcKeys.jwks.keys[0]
  if (!signingJwk?.kid) throw new Error('the gateway has no signing key')
  const privateKey = createPrivateKey({ key: signingJwk as never, format: 'jwk' })
  const issuer = issuerOf(config)
  const audience = apiAudienceOf(config)
  const kid = signingJwk.kid
  const alg = algorithmOf(signingJwk)
  const signer: Signer = { alg, key: privateKey }
  const header = () => ({ alg, typ: 'at+jwt', kid })
  const claims: TokenMinter['claims'] = (base) => {
    const now = Math.floor(Date.now() / 1000)
    return { iss: issuer, aud: audience, jti: randomUUID(), iat: now, exp: now + 300, ...base }
  }
  const signed = (base: Parameters<TokenMinter['claims']>[0]) => jwt(header(), claims(base), signer)
  return {
    kid,
    privateKey,
    publicKey: createPublicKey(privateKey),
    signer,
    issuer,
    audience,
    header,
    claims,
    forUser: (userId, options = {}) =>
      signed({ sub: userId, client_id: 'swagger-ui', scope: options.scope ?? 'openid org:read org:admin', ...(options.orgId ? { org_id: options.orgId } : {}) }),
    forClient: (clientId, options = {}) =>
      signed({ sub: clientId, client_id: clientId, scope: options.scope ?? 'org:read', ...(options.orgId ? { org_id: options.orgId } : {}) }),
  }
}
