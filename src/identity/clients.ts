/**
 * OAuth clients. Machine clients (an organisation's in-house system, a surveyor, an insurer) live
 * in `machine_clients` with only a SHA-256 digest of their secret; the provider is taught to
 * compare digests in constant time. The Swagger UI client is a static public PKCE client.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AdapterPayload } from 'oidc-provider'
import type { Database } from '../db/schema.ts'
import { API_SCOPES } from './scopes.ts'

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

export const OPERATOR_CONSOLE_CLIENT_ID = 'operator-console'
/** Where the provider sends operators back to the console after sign-in. */
export const OPERATOR_CONSOLE_CALLBACK_PATH = '/console/callback'

/**
 * The operator console (src/modules/console): a public PKCE client whose code the gateway itself
 * redeems server-side; it asks only for the operators' scopes.
 */
export function operatorConsoleClient(publicUrl: string): AdapterPayload {
  return {
    client_id: OPERATOR_CONSOLE_CLIENT_ID,
    client_name: 'INSW operator console',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${publicUrl}${OPERATOR_CONSOLE_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${publicUrl}/console`],
    scope: 'openid profile offline_access registrations:read registrations:write',
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

/**
 * How long an active machine client's metadata is reused before the database is asked again: the
 * token endpoint reads it on every request, and a client asks for tokens far more often than it
 * changes. Revoking a client or rotating its secret forgets it at once on the instance that did it
 * (forgetMachineClient); other instances notice within this time, the same window in which they
 * still accept the revoked client's tokens (CLIENT_STATUS_TTL_MS in src/plugins/auth.ts). A secret
 * that does not match a reused entry is checked again against the database (compareClientSecret
 * in provider.ts), so a secret rotated elsewhere works at once. Unknown and revoked clients are
 * never kept: every request for them reads the database.
 */
export const MACHINE_CLIENT_TTL_MS = 5_000
const MACHINE_CLIENT_CACHE_SIZE = 10_000

interface CachedClient {
  payload: AdapterPayload
  /** Epoch milliseconds: the TTL, or earlier when the previous secret's grace ends. */
  until: number
}

const machineClients = new Map<string, CachedClient>()

/** Drops a client's reused metadata on this instance: call after revoking it or rotating its secret. */
export function forgetMachineClient(clientId: string): void {
  machineClients.delete(clientId)
}

/** Provider metadata for an active machine client (reused for MACHINE_CLIENT_TTL_MS); undefined for unknown or revoked ones. */
export async function findMachineClientMetadata(db: Kysely<Database>, clientId: string): Promise<AdapterPayload | undefined> {
  const cached = machineClients.get(clientId)
  if (cached && Date.now() < cached.until) return cached.payload
  return readMachineClientMetadata(db, clientId)
}

/** Provider metadata for an active machine client, read from the database (and kept for the next requests). */
export async function readMachineClientMetadata(db: Kysely<Database>, clientId: string): Promise<AdapterPayload | undefined> {
  const row = await db
    .selectFrom('machine_clients')
    .select(['client_id', 'name', 'secret_hash', 'previous_secret_hash', 'previous_secret_expires_at', 'scopes', 'organisation_id', 'kind'])
    .where('client_id', '=', clientId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (!row) {
    machineClients.delete(clientId)
    return undefined
  }
  const now = Date.now()
  const graceValid = row.previous_secret_hash && row.previous_secret_expires_at && row.previous_secret_expires_at.getTime() > now
  const payload: AdapterPayload = {
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
  if (machineClients.size >= MACHINE_CLIENT_CACHE_SIZE) machineClients.delete(machineClients.keys().next().value!)
  const graceEnds = graceValid ? row.previous_secret_expires_at!.getTime() : Infinity
  machineClients.set(clientId, { payload, until: Math.min(now + MACHINE_CLIENT_TTL_MS, graceEnds) })
  return payload
}

/** Compares a presented secret with the stored digest(s) (current, and previous during a rotation grace). */
export function secretMatches(storedDigests: string, presented: string): boolean {
  const presentedDigest = digestSecret(presented)
  // Check every digest without short-circuiting so timing says nothing about which matched.
  return storedDigests.split(':').reduce((matched, digest) => digestEquals(digest, presentedDigest) || matched, false)
}
