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

/** RS256: an access token is signed once and verified on every request, and RSA verification is
 * cheaper than ECDSA's or Ed25519's (about 1.7x through fast-jwt, 5x in bare node:crypto; `npm run bench`). */
export const SIGNING_ALGORITHM = 'RS256'

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

export function generateSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>
  return { ...jwk, kty: 'RSA', kid: thumbprint(jwk), alg: SIGNING_ALGORITHM, use: 'sig' }
}

function withDefaults(jwk: Record<string, unknown>): PrivateJwk {
  return { alg: SIGNING_ALGORITHM, use: 'sig', ...jwk, kid: typeof jwk.kid === 'string' ? jwk.kid : thumbprint(jwk) } as unknown as PrivateJwk
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
    keys: keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart }) => publicPart),
  }
}
