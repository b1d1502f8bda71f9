/**
 * Signing keys and cookie keys for the OIDC provider. Production keys come from configuration,
 * so every instance signs with the same key and rotation is a config change: publish the new
 * key first in the set, keep the previous one after it until the tokens it signed expire.
 * In sandbox mode a key is generated once and stored in the database, so instances sharing
 * the database share it too.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Config } from '../config.ts'
import type { Database } from '../db/schema.ts'

/**
 * ES256 (ECDSA P-256) for new keys. Every token the gateway issues is signed once, and verified
 * about once per instance: the resource server caches a verified token until it expires
 * (src/plugins/auth.ts), so repeat requests never verify again. Signing is the cost that recurs
 * (every client-credentials grant, code exchange and refresh). Measured with `npm run bench`
 * ("Access-token signatures", fast-jwt as the resource server uses it) on the 2-core bench
 * machine, 2026-12-02, two runs: ES256 signs 10-14x faster than RS256 (RSA-2048; ~6,300-6,800
 * against ~450-660 signs/s) and verifies 0.6-0.9x as fast, so sign + one verification costs
 * ~0.42-0.47 ms against ~1.7-2.4 ms: 3.5-5.5x cheaper per token. EdDSA signs like ES256 but
 * verified slower in one run, and ES256 is the more widely supported (RFC 9068 resource servers,
 * FAPI). Keys of other types keep their own algorithm (RSA: RS256), so a deployment rotates from
 * an RSA key to an EC key like any other rotation.
 */
export const SIGNING_ALGORITHM = 'ES256'

export type SigningAlgorithm = 'ES256' | 'RS256'

export type PrivateJwk = Record<string, unknown> & { kid: string; kty: string }

export interface OidcKeys {
  jwks: { keys: PrivateJwk[] }
  cookieKeys: string[]
}

/** RFC 7638 thumbprint: a stable key id derived from the public key itself. */
function thumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

/** The JWS algorithm a key signs with: its own `alg`, else the one its type implies. */
export function algorithmOf(jwk: Record<string, unknown>): SigningAlgorithm {
  if (jwk.alg === 'ES256' || jwk.alg === 'RS256') return jwk.alg
  return jwk.kty === 'RSA' ? 'RS256' : 'ES256'
}

/** The first key of the set signs, with its algorithm; the others are only published and verified. */
export function issuingAlgorithm(keys: OidcKeys): SigningAlgorithm {
  return algorithmOf(keys.jwks.keys[0]!)
}

export function generateSigningKey(algorithm: SigningAlgorithm = SIGNING_ALGORITHM): PrivateJwk {
  const { privateKey } = algorithm === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>
  return { ...jwk, kty: jwk.kty as string, kid: thumbprint(jwk), alg: algorithm, use: 'sig' }
}

function withDefaults(jwk: Record<string, unknown>): PrivateJwk {
  return { alg: algorithmOf(jwk), use: 'sig', ...jwk, kid: typeof jwk.kid === 'string' ? jwk.kid : thumbprint(jwk) } as unknown as PrivateJwk
}

/** Reads a sandbox secret, creating it once; concurrent starters agree on whichever insert won. */
async function sharedSandboxSecret<T>(db: Kysely<Database>, name: string, create: () => T): Promise<T> {
  await db
    .insertInto('oidc_secrets')
    .values({ name, value: JSON.stringify(create()) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db.selectFrom('oidc_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow()
  return (typeof row.value === 'string' ? JSON.parse(row.value) : row.value) as T
}

export async function loadOidcKeys(config: Config, db: Kysely<Database>): Promise<OidcKeys> {
  const keys = config.oidc.jwks
    ? config.oidc.jwks.keys.map(withDefaults)
    : await sharedSandboxSecret(db, 'signing_keys', () => [generateSigningKey()])
  const cookieKeys =
    config.oidc.cookieKeys ?? (await sharedSandboxSecret(db, 'cookie_keys', () => [randomBytes(32).toString('base64url')]))
  return { jwks: { keys }, cookieKeys }
}

/** The public half of each key, as published at the JWKS endpoint and used by the resource server. */
export function publicJwks(keys: PrivateJwk[]): { keys: Record<string, unknown>[] } {
  return {
    // `d` is the private part of EC keys too.
    keys: keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart }) => publicPart),
  }
}
