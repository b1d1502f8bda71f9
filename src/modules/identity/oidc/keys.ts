/**
 * Signing keys and cookie keys for the OIDC provider. Production keys come from configuration,
 * so every instance signs with the same key and rotation is a config change: publish the new
 * key first in the set, keep the previous one after it until the tokens it signed expire.
 * In sandbox mode a key is generated once and stored in the database, so instances sharing
 * the database share it too.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Config } from '../../../config.ts'
import type { Database } from '../../../db/schema.ts'

/**
 * ES256 (ECDSA P-256) for new keys. Every token the gateway issues is signed once, and verified
 * once per instance: the resource server caches a verified token until it expires
 * (src/plugins/auth.ts), so repeat requests never verify again. Signing is the cost that recurs
 * (every client-credentials grant, every code exchange and refresh), and ES256 signs ~20x faster
 * than RS256 (RSA-2048): measured 2026-12-02 on this project's 2-core machine with
 * `npm run bench`'s crypto part, ES256 ~37,000 signs/s against RS256 ~1,500/s through fast-jwt,
 * while an uncached ES256 verification costs ~1.5x an RSA one (~90 against ~60 µs), paid once
 * per token. Keys of other types keep their own algorithm (RSA: RS256), so a deployment can
 * rotate from an RSA key to an EC key like any other rotation.
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
