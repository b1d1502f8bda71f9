/**
 * OAuth clients. Machine clients (an organisation's in-house system, a surveyor, an insurer) live
 * in `machine_clients` with only a SHA-256 digest of their secret; the provider is taught to
 * compare digests in constant time. The Swagger UI client is a static public PKCE client.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AdapterPayload } from 'oidc-provider'
import type { Database } from '../../../db/schema.ts'
import { API_SCOPES } from '../scopes.ts'

export const SWAGGER_UI_CLIENT_ID = 'swagger-ui'

export function swaggerUiClient(publicUrl: string): AdapterPayload {
  return {
    client_id: SWAGGER_UI_CLIENT_ID,
    client_name: 'Swagger UI (API explorer)',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${publicUrl}/docs/oauth2-redirect.html`],
    post_logout_redirect_uris: [`${publicUrl}/docs/`],
    scope: ['openid', 'profile', 'email', 'offline_access', ...API_SCOPES].join(' '),
  }
}

export function digestSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** A client secret with 256 bits of entropy, prefixed so a leaked one is recognisable in scans. */
export function generateClientSecret(): string {
  return `insw_cs_${randomBytes(32).toString('base64url')}`
}

export function generateClientId(kind: string): string {
  return `${kind}-${randomBytes(9).toString('base64url').replaceAll(/[-_]/g, 'x').toLowerCase()}`
}

function digestEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}

/** Provider metadata for an active machine client; undefined for unknown or revoked ones. */
export async function findMachineClientMetadata(db: Kysely<Database>, clientId: string): Promise<AdapterPayload | undefined> {
  const row = await db
    .selectFrom('machine_clients')
    .select(['client_id', 'name', 'secret_hash', 'previous_secret_hash', 'previous_secret_expires_at', 'scopes', 'organisation_id', 'kind'])
    .where('client_id', '=', clientId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (!row) return undefined
  const graceValid = row.previous_secret_hash && row.previous_secret_expires_at && row.previous_secret_expires_at > new Date()
  return {
    client_id: row.client_id,
    client_name: row.name,
    // The provider never sees a secret, only digests: see compareClientSecret in provider.ts.
    client_secret: graceValid ? `${row.secret_hash}:${row.previous_secret_hash}` : row.secret_hash,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: row.scopes.join(' ') || undefined,
    'urn:insw:organisation_id': row.organisation_id,
    'urn:insw:client_kind': row.kind,
  }
}

/** Compares a presented secret with the stored digest(s) (current, and previous during a rotation grace). */
export function secretMatches(storedDigests: string, presented: string): boolean {
  const presentedDigest = digestSecret(presented)
  // Check every digest without short-circuiting so timing says nothing about which matched.
  return storedDigests.split(':').reduce((matched, digest) => digestEquals(digest, presentedDigest) || matched, false)
}
